// A draining worker hands an idle connection back to the supervisor (framed-listener.ts, release): never
// while calls it has read are still to be dispatched. Real listener and sockets; the plugin server is a
// stub with one open event, the successor a socket that answers every call, the supervisor a callback.
import { expect } from 'chai';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { decode, encode } from '@msgpack/msgpack';
import { FramedListener } from '../../../server/framed-listener';
import { FrameSplitter } from '../../../server/msgpack-frames';
import { RawConnection, request } from '../../support/plugin-server/raw-connection';

const quiet = { info: () => undefined, debug: () => undefined, warn: () => undefined, error: () => undefined };

/** Answers every call passed to it, as the successor worker does. */
function successor(socketPath: string): Promise<net.Server> {
  const server = net.createServer((s) => {
    const splitter = new FrameSplitter();
    s.on('error', () => undefined);
    s.on('data', (chunk: Buffer) => {
      for (const frame of splitter.push(chunk)) s.write(encode([1, (decode(frame) as unknown[])[1], null, { by: 'successor' }]));
    });
  });
  return new Promise((resolve) => server.listen(socketPath, () => resolve(server)));
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 5));
}

describe('plugin server: a draining worker hands a connection back only once every call read on it is answered', () => {
  it('a call written in the same read as one answered at once (undecodable) is answered, then the connection leaves', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'handback-'));
    const succ = await successor(path.join(dir, 'successor.sock'));
    let open = false;
    const ps = {
      getLogger: () => quiet,
      hasEvent: (id: number) => open && id === 7,
      eventCount: 0,
      refuseEvent: () => ((open = false), { EventId: 7, Data: { Method: 'kong.response.exit', Args: [500] } }),
      HandleEvent: () => ((open = true), { EventId: 7, Data: { Method: 'kong.request.get_headers', Args: [] } }),
    };
    const listener = new FramedListener(ps as never);
    const server = listener.serve(path.join(dir, 'public.sock'));
    await new Promise((r) => server.once('listening', r));
    const kong = await RawConnection.open(path.join(dir, 'public.sock'));
    try {
      // The connection carries an open event when the drain starts, so it stays here.
      await kong.write(request(1, 'plugin.HandleEvent', { InstanceId: 1, EventName: 'access' }));
      expect((await kong.reply(1))[2]).to.equal(null);
      let handedBack = false;
      listener.drain(succ.address() as string, (_socket, passed) => {
        handedBack = true;
        passed(true);
      });
      expect(handedBack).to.equal(false);
      // One read: a Step of the event that cannot be decoded (refused at once, ending the event), then another call.
      const undecodable = Buffer.concat([Buffer.from([0x94, 0x00]), encode(2), encode('plugin.Step'), Buffer.from([0x91, 0x82]), encode('EventId'), encode(7), encode('Data'), Buffer.from([0x81, 0xc0, 0x01])]);
      await kong.write(Buffer.concat([undecodable, request(3, 'plugin.GetServerStats', null)]));
      expect((await kong.reply(2))[3]).to.deep.include({ EventId: 7 });
      const third = await kong.reply(3);
      expect(third[2], 'the call read with the refused one was lost').to.equal(null);
      expect(third[3]).to.deep.equal({ by: 'successor' });
      await until(() => handedBack);
    } finally {
      kong.close();
      await listener.close();
      succ.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
