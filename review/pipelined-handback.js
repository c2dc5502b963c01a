// Review proof: a draining worker hands a connection back while a call read in the same chunk is still
// to be dispatched here; that call's reply is then dropped (socket destroyed) and the next owner never sees it.
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { FramedListener } = require('../dist/server/framed-listener.js');
const dir = require('node:fs').mkdtempSync(path.join(os.tmpdir(), 'rv-'));
const pub = path.join(dir, 'pub.sock'), succ = path.join(dir, 'succ.sock');
const log = { info() {}, debug: (...a) => console.log('debug', ...a), warn: (...a) => console.log('warn', ...a), error: (...a) => console.log('error', ...a) };
let open = false;
const ps = { getLogger: () => log, hasEvent: (id) => open && id === 7, eventCount: 0, refuseEvent: () => ({}), HandleEvent: () => { open = true; return { EventId: 7 }; } };
const { kongPdkMsgpack } = require('../dist/server/kong-pdk-msgpack.js');
const enc = new kongPdkMsgpack.Encoder();
// The successor answers any call after 50 ms.
const events = []; net.createServer((s) => s.on('error', () => {}).on('data', () => (events.push('successor got call #2 from the worker'), 0) || setTimeout(() => s.end(Buffer.from(enc.encode([1, 2, null, { answered: 'by successor' }]))), 50))).listen(succ, () => {
  const l = new FramedListener(ps);
  l.serve(pub).on('connection', (s) => s.prependListener('data', (d) => events.push('chunk ' + d.length))); const wait = () => require('node:fs').existsSync(pub) ? go() : setTimeout(wait, 20); wait(); function go() {
    let handedBack = 0;
    const name = Buffer.from('plugin.GetServerStats');
    const undecodable = Buffer.concat([Buffer.from([0x94, 0x00, 0x01, 0xa0 | name.length]), name, Buffer.from([0x91, 0x81, 0xc0, 0x01])]);
    const second = Buffer.concat([Buffer.from([0x94, 0x00, 0x02, 0xa0 | name.length]), name, Buffer.from([0x90])]);
    const he = Buffer.from('plugin.HandleEvent');
    const handleEvent = Buffer.concat([Buffer.from([0x94, 0x00, 0x00, 0xa0 | he.length]), he, Buffer.from([0x91, 0x80])]);
    const c = net.connect(pub, () => c.write(handleEvent));
    c.once('data', () => setTimeout(() => {
      l.drain(succ, (socket, passed) => { handedBack++; events.push('handed back'); setTimeout(() => { events.push('descriptor passed; worker destroys its copy'); passed(true); }, 10); });
      open = false; // the event ended (its last Step came on another connection)
      c.write(Buffer.concat([undecodable, second]));
    }, 20));
    const got = []; c.on('error', (e) => got.push('client error ' + e.code));
    c.on('data', (d) => got.push(d.length));
    c.on('close', () => events.push('client saw close'));
    setTimeout(() => { const ok = got.length === 3 && events.indexOf('handed back') > events.indexOf('successor got call #2 from the worker'); console.log(ok ? 'PASS' : 'FAIL: call #2 was read by the worker after it handed the connection back, and its reply is lost', JSON.stringify({ replyChunks: got, events })); process.exit(ok ? 0 : 1); }, 1000);
  }
});
