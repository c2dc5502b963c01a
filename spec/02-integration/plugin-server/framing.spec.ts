// The launcher over its real Unix socket, fed byte streams Kong's single writes never produce but a
// stream socket may deliver: messages split at any byte, several in one read, one larger than a read.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { encode } from '@msgpack/msgpack';
import { fixtureDir, launchServer, type ServerProcess } from '../../support/plugin-server/launch';
import { RawConnection, request, type Reply } from '../../support/plugin-server/raw-connection';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Config JSON as Kong sends it: the plugin's fields plus Kong's bookkeeping keys. */
const START = {
  Name: 'ps-probe',
  Config: JSON.stringify({
    mode: 'headers',
    __plugin_id: randomUUID(),
    __ws_id: randomUUID(),
    __key__: `plugins:ps-probe:${randomUUID()}::::${randomUUID()}`,
    __seq__: 17,
    route_id: randomUUID(),
  }),
};
const BEARER = `Bearer eyJraWQiOiJr${'x'.repeat(780)}`;

/** A realistic request's header map (values are arrays, names lower-cased), about 1.5 KB encoded. */
function headerMap(extra = 0): Record<string, string[]> {
  const h: Record<string, string[]> = {
    host: ['api.example.com'],
    authorization: [BEARER],
    accept: ['application/json, text/plain, */*'],
    'user-agent': ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36'],
    'x-forwarded-for': ['203.0.113.7, 198.51.100.23'],
    'x-request-id': [randomUUID()],
    cookie: ['session=abc123; theme=dark; lang=en-GB'],
    'x-multi': ['one', 'two', 'three'],
    'content-length': ['0'],
  };
  for (let i = 0; i < extra; i++) h[`x-extra-${i}`] = [`value-${i}-${'v'.repeat(40)}`];
  return h;
}

function expectedExit(headers: Record<string, string[]>): unknown {
  const names = Object.keys(headers);
  const valueBytes = names.reduce((n, k) => n + headers[k]!.reduce((m, v) => m + Buffer.byteLength(v), 0), 0);
  return { Method: 'kong.response.exit', Args: [401, { authLength: BEARER.length, headerCount: names.length, valueBytes }] };
}

/**
 * One request as Kong drives it (StartInstance, HandleEvent, Step, StepMultiMap, Step, then
 * CloseInstance), each message written by `send`; asserts every reply.
 */
async function exchange(conn: RawConnection, send: (bytes: Uint8Array) => Promise<void>, headers = headerMap(15)): Promise<void> {
  let msgid = 0;
  const call = async (method: string, param: unknown): Promise<Reply> => {
    const id = ++msgid;
    await send(request(id, method, param));
    const reply = await conn.reply(id);
    expect(reply[2], `${method} error`).to.equal(null);
    return reply;
  };
  const inst = (await call('plugin.StartInstance', START))[3] as { Id: number };
  const ev = (await call('plugin.HandleEvent', { InstanceId: inst.Id, EventName: 'access' }))[3] as { EventId: number; Data: unknown };
  expect(ev.Data).to.deep.equal({ Method: 'kong.request.get_header', Args: ['authorization'] });
  expect(((await call('plugin.Step', { EventId: ev.EventId, Data: BEARER }))[3] as { Data: unknown }).Data).to.deep.equal({
    Method: 'kong.request.get_headers',
    Args: [1000],
  });
  const setHeader = (await call('plugin.StepMultiMap', { EventId: ev.EventId, Data: headers }))[3] as { Data: unknown };
  expect(setHeader.Data).to.deep.equal({ Method: 'kong.service.request.set_header', Args: ['x-header-count', String(Object.keys(headers).length)] });
  expect(((await call('plugin.Step', { EventId: ev.EventId }))[3] as { Data: unknown }).Data).to.deep.equal(expectedExit(headers));
  expect(((await call('plugin.CloseInstance', inst.Id))[3] as { Id: number }).Id).to.equal(inst.Id);
}

/** Writes `bytes` in two parts cut at `at` (if inside), pausing so the server reads the first part alone. */
function splitWriter(conn: RawConnection, at: number, pauseMs: number) {
  return async (bytes: Uint8Array): Promise<void> => {
    if (at <= 0 || at >= bytes.length) return conn.write(bytes);
    await conn.write(bytes.subarray(0, at));
    await sleep(pauseMs);
    await conn.write(bytes.subarray(at));
  };
}

describe('plugin server: framing on the real socket (okta-jwt-pluginserver)', function () {
  this.timeout(60_000);
  let proc: ServerProcess;

  before(async () => {
    proc = await launchServer({ kind: 'hardened', pluginsDir: fixtureDir('probe') });
  });
  after(async () => {
    await proc?.stop();
  });
  afterEach(() => expect(proc.alive, `server died:\n${proc.stderr}`).to.equal(true));

  it('answers every message of a request correctly whatever byte it is split at', async () => {
    const conn = await RawConnection.open(proc.socketPath);
    const longest = Math.max(...[START, { EventId: 1, Data: headerMap(15) }].map((p) => request(1, 'plugin.StepMultiMap', p).length));
    // Split point k cuts every message longer than k; one request per k covers all offsets of all messages.
    for (let at = 1; at < longest; at++) await exchange(conn, splitWriter(conn, at, 1));
    conn.close();
  });

  it('answers every message when several arrive in one write, including one cut across two writes', async () => {
    const conn = await RawConnection.open(proc.socketPath);
    const start = (id: number) => request(id, 'plugin.StartInstance', START);
    await conn.write(Buffer.concat([start(1), start(2), start(3)]));
    const ids = [];
    for (const id of [1, 2, 3]) ids.push(((await conn.reply(id))[3] as { Id: number }).Id);
    expect(new Set(ids).size).to.equal(3);

    const tail = request(7, 'plugin.CloseInstance', 123456);
    const burst = Buffer.concat([
      request(4, 'plugin.HandleEvent', { InstanceId: ids[0], EventName: 'access' }),
      request(5, 'plugin.HandleEvent', { InstanceId: ids[1], EventName: 'access' }),
      request(6, 'plugin.GetServerStats', null),
      tail,
    ]);
    const cut = burst.length - tail.length + 3;
    await conn.write(burst.subarray(0, cut));
    await sleep(5);
    await conn.write(Buffer.concat([burst.subarray(cut), request(8, 'plugin.CloseInstance', ids[2])]));
    for (const id of [4, 5]) expect(((await conn.reply(id))[3] as { Data: unknown }).Data).to.deep.include({ Method: 'kong.request.get_header' });
    expect((await conn.reply(6))[3]).to.include({ Pid: proc.pid });
    expect((await conn.reply(7))[2]).to.equal('no plugin instance #123456');
    expect(((await conn.reply(8))[3] as { Id: number }).Id).to.equal(ids[2]);
    conn.close();
  });

  it('decodes a StepMultiMap larger than 64 KiB sent in one write and cut at the read boundary', async () => {
    const conn = await RawConnection.open(proc.socketPath);
    const big = headerMap(2000);
    expect(encode(big).length).to.be.greaterThan(100 * 1024);
    await exchange(conn, (b) => conn.write(b), big);
    for (const at of [65535, 65536, 65537]) await exchange(conn, splitWriter(conn, at, 5), big);
    conn.close();
  });

  it('closes only the connection that sends bytes that are not MessagePack-RPC', async () => {
    const bad = await RawConnection.open(proc.socketPath);
    await bad.write(Buffer.from([0x94, 0x00, 0x01, 0xc1]));
    expect((await bad.reply(1))[2]).to.equal('connection closed by the plugin server');
    const notRequest = await RawConnection.open(proc.socketPath);
    await notRequest.write(encode([0, 1, 42, []]));
    expect((await notRequest.reply(1))[2]).to.equal('connection closed by the plugin server');
    expect(proc.stderr).to.match(/\[error\] closing connection after malformed input: invalid MessagePack type byte 0xc1/);
    const good = await RawConnection.open(proc.socketPath);
    await exchange(good, (b) => good.write(b));
    good.close();
  });

  it('keeps running when a peer disconnects before its reply is written', async () => {
    for (let i = 0; i < 20; i++) {
      const conn = await RawConnection.open(proc.socketPath);
      await conn.write(request(1, 'plugin.StartInstance', START));
      conn.close();
    }
    await sleep(100);
    const conn = await RawConnection.open(proc.socketPath);
    await exchange(conn, (b) => conn.write(b));
    conn.close();
  });
});

describe('plugin server: framing bugs of the stock kong-js-pluginserver (kong-pdk 0.6.0), documented', function () {
  this.timeout(30_000);

  async function crashOf(feed: (conn: RawConnection) => Promise<void>): Promise<{ code: number | null; stderr: string }> {
    const proc = await launchServer({ kind: 'stock', pluginsDir: fixtureDir('probe') });
    try {
      const conn = await RawConnection.open(proc.socketPath);
      // The server may already be gone before the last write.
      await feed(conn).catch(() => undefined);
      // Generous: a starved process can take seconds to read, fail and exit.
      const exit = await Promise.race([proc.exited, sleep(20_000).then(() => null)]);
      conn.close();
      return { code: exit?.code ?? null, stderr: proc.stderr };
    } finally {
      await proc.stop();
    }
  }

  it('dies when a message arrives split after its first byte', async () => {
    // The pause must outlast the server's read of the first byte, or it reads the message whole.
    const { code, stderr } = await crashOf((conn) => splitWriter(conn, 1, 500)(request(1, 'plugin.StartInstance', START)));
    expect(code).to.equal(1);
    expect(stderr).to.include('Offset is outside the bounds of the DataView');
  });

  it('dies when two messages arrive in one read', async () => {
    const { code, stderr } = await crashOf((conn) => conn.write(Buffer.concat([request(1, 'plugin.GetStatus', null), request(2, 'plugin.GetStatus', null)])));
    expect(code).to.equal(1);
    expect(stderr).to.match(/Extra \d+ of \d+ byte\(s\) found/);
  });
});
