// Kong-side MessagePack-RPC client: framing and reply checks against a scripted Unix-socket peer.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { decode, encode } from '@msgpack/msgpack';
import { frameLength } from '../../kong-double/msgpack-frames';
import { RpcClient, RpcErrorReply, RpcTransportError } from '../../kong-double/msgpack-rpc-client';
import { RpcRecorder } from '../../kong-double/recorder';
import { encodeKong } from '../../kong-double/kong-msgpack';

type Script = (request: unknown[], socket: net.Socket) => void;

async function peer(script: Script): Promise<{ socketPath: string; close(): Promise<void>; writes: number[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rpc-unit-'));
  const socketPath = path.join(dir, 'peer.sock');
  const writes: number[] = [];
  const server = net.createServer((s) => {
    let buf = Buffer.alloc(0);
    s.on('data', (chunk: Buffer) => {
      writes.push(chunk.length);
      buf = Buffer.concat([buf, chunk]);
      const len = frameLength(buf);
      if (len < 0) return;
      const req = decode(buf.subarray(0, len)) as unknown[];
      buf = buf.subarray(len);
      script(req, s);
    });
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
  return {
    socketPath,
    writes,
    close: () => new Promise<void>((r) => server.close(() => {
      fs.rmSync(dir, { recursive: true, force: true });
      r();
    })),
  };
}

function client(socketPath: string, recorder = new RpcRecorder(() => 0), readTimeoutMs = 2000): RpcClient {
  let n = 0;
  return new RpcClient({ server: 'js', worker: 0, socketPath, recorder, readTimeoutMs, nextConnId: () => ++n });
}

describe('kong-double msgpack framing', () => {
  it('frameLength finds the end of a complete frame and reports -1 for every proper prefix', () => {
    const frame = encode([1, 7, null, { Data: { Method: 'kong.request.get_headers', Args: [] }, EventId: 3, Bin: new Uint8Array(300), N: 1.5, Big: 2 ** 40 }]);
    expect(frameLength(frame)).to.equal(frame.length);
    for (let cut = 0; cut < frame.length; cut++) expect(frameLength(frame.subarray(0, cut)), `prefix ${cut}`).to.equal(-1);
    expect(frameLength(Buffer.concat([frame, frame]))).to.equal(frame.length);
  });

  it('encodes a Map as a msgpack map with integer keys, as Kong sends sparse Lua tables', () => {
    expect(Buffer.from(encodeKong(new Map([[1, 'x'], [3, 'z']]))).toString('hex')).to.equal('8201a17803a17a');
  });
});

describe('kong-double RpcClient (Kong side of mp_rpc)', () => {
  it('sends the whole request frame and accepts a reply split into 1-byte chunks', async () => {
    const p = await peer((req, s) => {
      const reply = encode([1, req[1], null, { Data: 'ret', EventId: 0 }]);
      let i = 0;
      const drip = () => {
        if (i < reply.length) {
          s.write(reply.subarray(i, ++i));
          setTimeout(drip, 1);
        }
      };
      drip();
    });
    try {
      const rec = new RpcRecorder(() => 0);
      const c = client(p.socketPath, rec);
      const big = { Data: { blob: 'x'.repeat(70000) }, EventId: 0 };
      expect(await c.call('plugin.Step', big)).to.deep.equal({ Data: 'ret', EventId: 0 });
      expect(p.writes.reduce((a, b) => a + b, 0)).to.equal(rec.frames[0]!.raw.length);
      expect(rec.frames.map((f) => [f.dir, f.msgid, f.method])).to.deep.equal([['kong->ps', 1, 'plugin.Step'], ['ps->kong', 1, 'plugin.Step']]);
      c.closeAll();
    } finally {
      await p.close();
    }
  });

  it('skips [2,…] notifications, reuses the pooled connection and counts msgids from 1', async () => {
    const p = await peer((req, s) => s.write(Buffer.concat([encode([2, 'serverPid', [123]]), encode([1, req[1], null, req[1]])])));
    try {
      const rec = new RpcRecorder(() => 0);
      const c = client(p.socketPath, rec);
      expect(await c.call('plugin.HandleEvent', {})).to.equal(1);
      await new Promise((r) => setImmediate(r)); // back in the pool once the loop has read past the reply
      expect(await c.call('plugin.HandleEvent', {})).to.equal(2);
      expect(new Set(rec.frames.map((f) => f.conn)).size).to.equal(1);
      c.closeAll();
    } finally {
      await p.close();
    }
  });

  it('never hands out a pooled connection the peer closed with its reply (OpenResty checks before pooling); the next call connects anew', async () => {
    // A draining plugin server closes each connection together with its last reply.
    const p = await peer((req, s) => {
      s.write(encode([1, req[1], null, req[1]]));
      s.destroy();
    });
    try {
      const rec = new RpcRecorder(() => 0);
      const c = client(p.socketPath, rec);
      for (let i = 1; i <= 5; i++) expect(await c.call('plugin.HandleEvent', {})).to.equal(i);
      expect(new Set(rec.frames.map((f) => f.conn)).size).to.equal(5);
      c.closeAll();
    } finally {
      await p.close();
    }
  });

  it('rejects a reply with the wrong msgid and turns [1,id,"err",nil] into RpcErrorReply', async () => {
    let n = 0;
    const p = await peer((req, s) => s.write(encode(++n === 1 ? [1, 99, null, 'x'] : [1, req[1], 'no plugin instance #4', null])));
    try {
      const c = client(p.socketPath);
      const e1 = await c.call('plugin.Step', {}).catch((e: unknown) => e);
      expect(e1).to.be.instanceOf(RpcTransportError).with.property('message', 'unexpected RPC response ID from Go plugin server');
      const e2 = await c.call('plugin.HandleEvent', {}).catch((e: unknown) => e);
      expect(e2).to.be.instanceOf(RpcErrorReply).with.property('message', 'no plugin instance #4');
      c.closeAll();
    } finally {
      await p.close();
    }
  });

  it('fails with a transport error on read timeout and on a missing socket', async () => {
    const p = await peer(() => undefined);
    try {
      const e = await client(p.socketPath, undefined, 100).call('plugin.Step', {}).catch((x: unknown) => x);
      expect(e).to.be.instanceOf(RpcTransportError).with.property('message', 'timeout');
    } finally {
      await p.close();
    }
    const missing = await client('/nonexistent/dir/js.sock').call('plugin.Step', {}).catch((x: unknown) => x);
    expect(missing).to.be.instanceOf(RpcTransportError).with.property('message', 'no such file or directory');
  });
});
