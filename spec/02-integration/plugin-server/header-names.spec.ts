// Kong passes any token-shaped request header name to get_headers (nginx runs with
// `underscores_in_headers on`), so a client chooses the keys of the map Kong sends the plugin
// server. Kong proxies a request whose plugin server drops the connection or answers an RPC error
// (rpc/mp_rpc.lua): the server must decode every such map, and refuse what it cannot decode.
import { expect } from 'chai';
import { encode } from '@msgpack/msgpack';
import { fixtureDir, launchServer, type ServerKind, type ServerProcess } from '../../support/plugin-server/launch';
import { RawConnection, request, type Reply } from '../../support/plugin-server/raw-connection';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const HOSTILE_NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'x_user_sub', '_', `x_${'n'.repeat(8190)}`];

/** Kong's get_headers reply for these names (values are arrays), with __proto__ an own key as in the Lua table. */
function headerMap(names: string[]): unknown {
  return JSON.parse(`{${names.map((n) => `${JSON.stringify(n)}:["x"]`).join(',')}}`);
}

/** Starts the probe in "headers" mode and plays Kong up to the get_headers call; returns the event id. */
async function openEvent(conn: RawConnection): Promise<number> {
  await conn.write(request(1, 'plugin.StartInstance', { Name: 'ps-probe', Config: JSON.stringify({ mode: 'headers' }) }));
  const { Id } = (await conn.reply(1))[3] as { Id: number };
  await conn.write(request(2, 'plugin.HandleEvent', { InstanceId: Id, EventName: 'access' }));
  const { EventId } = (await conn.reply(2))[3] as { EventId: number };
  await conn.write(request(3, 'plugin.Step', { EventId, Data: null }));
  expect(((await conn.reply(3))[3] as { Data: unknown }).Data).to.deep.equal({ Method: 'kong.request.get_headers', Args: [1000] });
  return EventId;
}

async function withServer(kind: ServerKind, body: (proc: ServerProcess, conn: RawConnection) => Promise<void>): Promise<void> {
  const proc = await launchServer({ kind, pluginsDir: fixtureDir('probe') });
  const conn = await RawConnection.open(proc.socketPath);
  try {
    await body(proc, conn);
  } finally {
    conn.close();
    await proc.stop();
  }
}

describe('plugin server: client-chosen header names in Kong\'s get_headers reply', function () {
  this.timeout(30_000);

  it('okta-jwt-pluginserver hands the plugin every name, __proto__ and 8 KB names included, as plain data', async () => {
    await withServer('hardened', async (proc, conn) => {
      const EventId = await openEvent(conn);
      const names = [...HOSTILE_NAMES, ...Array.from({ length: 990 }, (_, i) => `x-h-${i}`)];
      await conn.write(request(4, 'plugin.StepMultiMap', { EventId, Data: headerMap(names) }));
      const next = (await conn.reply(4)) as Reply;
      expect(next[2]).to.equal(null);
      expect((next[3] as { Data: unknown }).Data).to.deep.equal({ Method: 'kong.service.request.set_header', Args: ['x-header-count', String(names.length)] });
      expect(proc.alive).to.equal(true);
    });
  });

  it('okta-jwt-pluginserver takes a get_headers reply with a `_method` header, which Kong sends under an array as the method name, as a Step', async () => {
    await withServer('hardened', async (proc, conn) => {
      const EventId = await openEvent(conn);
      // mp_rpc.lua get_step_method: `pdk_res._method` (here the header's values, {"DELETE"}) names the call.
      await conn.write(encode([0, 4, ['DELETE'], [{ EventId, Data: headerMap(['_method', 'host']) }]]));
      const next = (await conn.reply(4)) as Reply;
      expect(next[2]).to.equal(null);
      expect((next[3] as { Data: unknown }).Data).to.deep.equal({ Method: 'kong.service.request.set_header', Args: ['x-header-count', '2'] });
      expect(proc.alive).to.equal(true);
    });
  });

  it('okta-jwt-pluginserver answers a get_headers reply it cannot decode with kong.response.exit(500), never a dropped connection', async () => {
    await withServer('hardened', async (proc, conn) => {
      const EventId = await openEvent(conn);
      // {EventId: n, Data: {true: ["x"]}}: a map key JavaScript data cannot hold (Kong never writes one for headers).
      const frame = Buffer.concat([
        Buffer.from(request(4, 'plugin.StepMultiMap', { EventId, Data: {} })).subarray(0, -1),
        Buffer.from([0x81, 0xc3, 0x91, 0xa1, 0x78]),
      ]);
      await conn.write(frame);
      const reply = await conn.reply(4);
      expect(reply[2]).to.equal(null);
      expect(reply[3]).to.deep.equal({ EventId, Data: { Method: 'kong.response.exit', Args: [500, { message: 'An unexpected error occurred' }] } });
      expect(conn.closed).to.equal(false);
      await conn.write(request(5, 'plugin.GetServerStats', null));
      expect(((await conn.reply(5))[3] as { Events: number }).Events).to.equal(0);
      expect(proc.stderr).to.include('plugin.StepMultiMap: cannot decode a map key of type boolean; the request is refused');
    });
  });

  // The stock server is not safe in production: one request with a header named __proto__ kills it,
  // and Kong proxies that request and every request until the process is back (batch3, issue 12).
  it('(stock kong-js-pluginserver, documented) dies on a header named __proto__', async () => {
    await withServer('stock', async (proc, conn) => {
      const EventId = await openEvent(conn);
      await conn.write(request(4, 'plugin.StepMultiMap', { EventId, Data: headerMap(['__proto__']) }));
      const exit = await Promise.race([proc.exited, sleep(5000).then(() => null)]);
      expect(exit?.code).to.equal(1);
      expect(proc.stderr + proc.stdout).to.include('The key __proto__ is not allowed');
    });
  });
});
