// Helpers for replaying the real-Kong transcripts (spec/fixtures/kong-transcripts) through the double:
// loading scenarios, sending the recorded HTTP requests byte-faithfully, and normalising RPC frames
// (ids, timestamps, ports masked) so sequences can be compared.
import fs from 'node:fs';
import { expect } from 'chai';
import net from 'node:net';
import path from 'node:path';
import { TRANSCRIPTS_DIR } from '../../support/repo-paths';
import { spawn, type ChildProcess } from 'node:child_process';
import type { RpcFrame } from '../../kong-double';
import { socketAccepts } from '../../kong-double/plugin-server';
import { repoRoot } from '../../support/repo-paths';

export const TRANSCRIPTS = TRANSCRIPTS_DIR;

export interface RecordedRequest {
  method?: string; path?: string; port: number; headers?: Array<[string, string]>; body?: string | null; raw?: string;
}
export interface RecordedExchange {
  request: RecordedRequest;
  response: { status: number; headers: Array<[string, string]>; body: string; body_json?: unknown };
  note?: string;
}
export interface TranscriptLine { conn?: number; dir?: 'kong->ps' | 'ps->kong'; frame?: unknown[]; raw_hex?: string; ps?: string; event?: string }

export function scenarioNames(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.jsonl')).map((f) => f.replace(/\.jsonl$/, '')).sort();
}

export function loadFrames(dir: string, name: string): TranscriptLine[] {
  const text = fs.readFileSync(path.join(dir, `${name}.jsonl`), 'utf8');
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as TranscriptLine);
}

export function loadExchanges(dir: string, name: string): RecordedExchange[] {
  const f = path.join(dir, `${name}.http.json`);
  return fs.existsSync(f) ? (JSON.parse(fs.readFileSync(f, 'utf8')) as RecordedExchange[]) : [];
}

/** Undoes the capture's summaries of long header values (`<N chars: head...tail>`) and long header lists. */
export function expandHeaders(headers: Array<[string, string]>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [n, v] of headers) {
    const long = /^<(\d+) chars: (.{24})\.\.\.(.{8})>$/.exec(v);
    const more = /^(\d+) more headers \((X-H-(\d+)) \.\.\. (X-H-(\d+))\)$/.exec(v);
    if (long) {
      const [, len, head, tail] = long;
      out.push([n, head! + head!.slice(-1).repeat(Number(len) - 32) + tail!]);
    } else if (n === '...' && more) {
      for (let i = Number(more[3]); i <= Number(more[5]); i++) out.push([`X-H-${String(i).padStart(3, '0')}`, `v${i}`]);
    } else out.push([n, v]);
  }
  return out;
}

export interface HttpResult { status: number; headers: Array<[string, string]>; body: string }

/** Sends exactly the given header lines (Host first, like Python's http.client), no extras. */
export function rawRequest(port: number, raw: string | Buffer): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => {
      chunks.push(c);
      const parsed = parseResponse(Buffer.concat(chunks));
      if (parsed) {
        s.destroy();
        resolve(parsed);
      }
    });
    s.on('error', reject);
    s.on('end', () => {
      const parsed = parseResponse(Buffer.concat(chunks), true);
      if (parsed) resolve(parsed);
      else reject(new Error('incomplete HTTP response'));
    });
    s.write(raw);
  });
}

function parseResponse(buf: Buffer, eof = false): HttpResult | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const headers = lines.slice(1).map((l) => {
    const i = l.indexOf(':');
    return [l.slice(0, i), l.slice(i + 1).trim()] as [string, string];
  });
  const len = headers.find(([n]) => n.toLowerCase() === 'content-length');
  const body = buf.subarray(end + 4);
  if (len && body.length < Number(len[1])) return undefined;
  if (!len && !eof) return undefined;
  return { status: Number(lines[0]!.split(' ')[1]), headers, body: body.toString('utf8') };
}

export function sendRecorded(port: number, req: RecordedRequest, rewriteBody: (b: string) => string = (b) => b): Promise<HttpResult> {
  if (req.raw) return rawRequest(port, req.raw);
  const headers = expandHeaders(req.headers ?? []);
  const lines = [`${req.method} ${req.path} HTTP/1.1`];
  if (!headers.some(([n]) => n.toLowerCase() === 'host')) lines.push(`Host: 127.0.0.1:${port}`);
  for (const [n, v] of headers) lines.push(`${n}: ${v}`);
  const body = req.body == null ? undefined : Buffer.from(rewriteBody(req.body));
  if (body) lines.push(`Content-Length: ${body.length}`);
  return rawRequest(port, Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), body ?? Buffer.alloc(0)]));
}

// ------------------------------------------------------------------ normalisation
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
/** Probe-result entries (js-probe2's `{call, ret}`) whose values are machine-specific. */
export const MACHINE_SPECIFIC_PROBE_CALLS = /kong\.client\.(getPort|getForwardedPort)|kong\.node\.(getId|getHostname|getMemoryStats)|getStartTime/;
const MASKED_KEYS = new Set(['js_us', 'total_js_us', 'at', 'StartTime', 'created_at', 'updated_at', '__seq__', 'EventId', 'InstanceId', 'Id', 'pid', 'Pid', 'http_allocated_gc', 'started_at', 'latencies', 'request_id']);

/** Turns the capture's JSON conventions ($emptyarray, $float, $bin …) back into plain values. */
export function fromCapture(v: unknown): unknown {
  if (v instanceof Uint8Array) return { bin: Buffer.from(v).toString('base64') };
  if (v instanceof Map) return { map: [...v].map(([k, x]) => [k, fromCapture(x)]) };
  if (Array.isArray(v)) return v.map(fromCapture);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (o.$emptyarray) return [];
    if (o.$emptymap) return {};
    if ('$float' in o) return o.$float;
    if ('$bin' in o) return { bin: o.$bin };
    if ('$map' in o) return { map: (o.$map as unknown[][]).map(([k, x]) => [k, fromCapture(x)]) };
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, fromCapture(x)]));
  }
  return v;
}

/** Masks ids, timestamps, ports and timings; `ports` are the numbers to replace by <port>. */
export function mask(v: unknown, ports: number[], key?: string): unknown {
  if (key && MASKED_KEYS.has(key)) return '<masked>';
  const probeEntry = v as { call?: unknown } | null;
  if (probeEntry && typeof probeEntry === 'object' && typeof probeEntry.call === 'string' && MACHINE_SPECIFIC_PROBE_CALLS.test(probeEntry.call)) {
    return { call: probeEntry.call, ret: '<machine-specific>' };
  }
  if (v instanceof Uint8Array) return { bin: Buffer.from(v).toString('base64') };
  if (Array.isArray(v)) return v.map((x) => mask(x, ports));
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)); // Lua map order is arbitrary
    return Object.fromEntries(entries.map(([k, x]) => [k, mask(x, ports, k)]));
  }
  if (typeof v === 'number') return ports.includes(v) ? '<port>' : v > 1e9 ? '<time>' : v;
  if (typeof v === 'string') {
    let s = v.replace(UUID, '<uuid>').replace(/\b[0-9a-f]{32}\b/g, '<hex>').replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<ts>');
    for (const p of ports) s = s.split(String(p)).join('<port>');
    if (/^\d+$/.test(s) && Number(s) > 1e9) s = '<time>';
    if (s.startsWith('{') || s.startsWith('[')) {
      try {
        return { json: mask(JSON.parse(s), ports) };
      } catch {
        return s;
      }
    }
    return s;
  }
  return v;
}

/** PDK results that differ per machine/run (client ephemeral port, node id, hostname, memory). */
const MACHINE_SPECIFIC = new Set(['kong.client.get_port', 'kong.client.get_forwarded_port', 'kong.node.get_id', 'kong.node.get_hostname', 'kong.node.get_memory_stats']);

/** The PDK method the plugin server asked for in a reply frame (HandleEvent/Step result), if any. */
function requestedPdkMethod(dir: string, frame: unknown[]): string | undefined {
  if (dir !== 'ps->kong') return undefined;
  const data = (frame[3] as { Data?: { Method?: string } } | null)?.Data;
  return typeof data === 'object' && data ? data.Method : undefined;
}

/**
 * One comparable line per frame: direction, RPC method, and the masked params / result. `previousPdk`
 * is the PDK method whose result this frame carries (machine-specific results and kong.log.serialize's
 * JSON are reduced to their shape).
 */
export function signature(dir: string, method: string, frame: unknown[], ports: number[], previousPdk?: string): string {
  // Instance ids are process-specific (the server counts from its start time), in error texts too.
  const err = typeof frame[2] === 'string' ? frame[2].replace(/^no plugin instance #\d+$/, 'no plugin instance #<id>') : frame[2];
  const body = dir === 'kong->ps' ? (frame[3] as unknown[])[0] : { err, result: frame[3] };
  let shown: unknown = body;
  const step = body as { Data?: unknown };
  if (dir === 'kong->ps' && previousPdk && 'Data' in step) {
    if (MACHINE_SPECIFIC.has(previousPdk)) shown = { ...step, Data: '<machine-specific>' };
    if (previousPdk === 'kong.log.serialize') shown = { ...step, Data: { serializeKeys: Object.keys(JSON.parse(String(step.Data)) as object).sort() } };
  }
  if (method === 'plugin.StartInstance' && dir === 'ps->kong') shown = { err: frame[2], name: (frame[3] as { Name?: string } | null)?.Name };
  if (method === 'plugin.CloseInstance') shown = dir === 'kong->ps' ? '<id>' : { err: frame[2] };
  return `${dir} ${method} ${JSON.stringify(mask(shown, ports))}`;
}

/** Signatures of a transcript, per plugin server (the requests' methods are carried over to replies). */
/**
 * Keeps only request/reply pairs: drops replies Kong never read (the capture proxy logged them and then
 * failed to forward them: a `kong-error` event follows on that connection) and Kong requests left without
 * a reply on their connection.
 */
export function pairsOnly(lines: TranscriptLine[]): TranscriptLine[] {
  const unread = (l: TranscriptLine, i: number) =>
    l.dir === 'ps->kong' && lines.slice(i + 1).find((x) => x.conn === l.conn)?.event === 'kong-error';
  const live = lines.filter((l, i) => l.frame && !unread(l, i));
  return live.filter((l, i) => {
    if (l.dir !== 'kong->ps') return true;
    const next = live.slice(i + 1).find((x) => x.conn === l.conn && x.ps === l.ps);
    return next?.dir === 'ps->kong';
  });
}

/** The double's frames reduced the same way (a request without a reply on its connection is dropped). */
export function doublePairsOnly(frames: RpcFrame[]): RpcFrame[] {
  return frames.filter((f, i) => f.dir !== 'kong->ps' || frames.slice(i + 1).find((x) => x.conn === f.conn)?.dir === 'ps->kong');
}

export function transcriptSignatures(lines: TranscriptLine[], ports: number[]): Map<string, string[]> {
  const pendingMethod = new Map<string, string>();
  return signatures(lines.filter((l) => l.frame && l.dir).map((l) => {
    const server = l.ps ?? 'js';
    const frame = fromCapture(l.frame) as unknown[];
    const connKey = `${server}:${l.conn}`;
    if (l.dir === 'kong->ps') pendingMethod.set(connKey, String(frame[2]));
    return { server, dir: l.dir!, method: pendingMethod.get(connKey) ?? '?', frame, conn: connKey };
  }), ports);
}

export function doubleSignatures(frames: RpcFrame[], ports: number[]): Map<string, string[]> {
  return signatures(frames.map((f) => ({ server: f.server, dir: f.dir, method: f.method, frame: fromCapture(f.frame) as unknown[], conn: `${f.server}:${f.conn}` })), ports);
}

function signatures(frames: Array<{ server: string; dir: string; method: string; frame: unknown[]; conn: string }>, ports: number[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const lastPdk = new Map<string, string | undefined>(); // per server: the PDK call the next Step answers
  for (const f of frames) {
    (out.get(f.server) ?? out.set(f.server, []).get(f.server)!).push(signature(f.dir, f.method, f.frame, ports, f.dir === 'kong->ps' ? lastPdk.get(f.server) : undefined));
    if (f.dir === 'ps->kong') lastPdk.set(f.server, requestedPdkMethod(f.dir, f.frame));
  }
  return out;
}

export function header(h: Array<[string, string]>, name: string): string[] {
  return h.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v);
}

/** Compares two signature lists and reports the first difference compactly (full diffs get truncated). */
export function expectSameSequence(have: string[], want: string[], label: string): void {
  const i = have.findIndex((h, k) => h !== want[k]);
  const at = i < 0 && have.length !== want.length ? Math.min(have.length, want.length) : i;
  if (at < 0) return;
  expect.fail(`${label}: first difference at frame ${at} of ${want.length} expected / ${have.length} got\n  expected: ${want[at]}\n  got:      ${have[at]}`);
}

/** A plugin server started by "something else" (the test), as a container's supervisor would. */
export async function startExternalServer(dir: string, pluginsDir: string, sockName: string): Promise<ChildProcess> {
  const child = spawn(path.join(repoRoot(), 'bin', 'okta-jwt-pluginserver'), ['-p', dir, '--sock-name', sockName, '-d', pluginsDir], { stdio: 'ignore' });
  const deadline = Date.now() + 15000;
  while (!(await socketAccepts(path.join(dir, sockName)))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`external plugin server on ${sockName} not ready`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return child;
}
