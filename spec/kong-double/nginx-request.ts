// Requests nginx refuses before Kong runs any plugin (batch3 §2): a header nginx keeps as a single
// value sent twice (two Content-Length or Transfer-Encoding lines already stop Node's parser).
// Kong's error handler renders the 400 (Connection: close) in the type the Accept header asks for,
// else in `error_default_type` (text/plain by default); nginx stopped reading the request at the
// duplicate, so only an Accept line before it counts (batch4 §4).
import crypto from 'node:crypto';
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { errorResponse, type KongVersion } from './responses';
import type { ExitResponse } from './request-context';

/**
 * nginx's request headers handled as unique lines (ngx_http_headers_in: process_host and
 * process_unique_header_line); a second line makes nginx answer 400 "client sent duplicate header line".
 */
const UNIQUE_HEADERS = new Set([
  'host', 'authorization', 'content-length', 'transfer-encoding', 'if-modified-since', 'if-unmodified-since',
  'if-match', 'if-none-match', 'if-range', 'content-range', 'expect',
]);

/** Kong's default `error_default_type`: the format of its error pages when the request has no Accept header. */
const ERROR_DEFAULT_TYPE = 'text/plain';

/** A request nginx refuses for a duplicate unique header: which one, and the Accept value read before it. */
export interface DuplicateHeader { name: string; acceptBefore: string | undefined }

/** The first unique header sent twice (lower-cased) with the first Accept line before it; undefined when there is none. */
export function duplicateUniqueHeader(rawHeaders: string[]): DuplicateHeader | undefined {
  const seen = new Set<string>();
  let acceptBefore: string | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (name === 'accept') acceptBefore ??= rawHeaders[i + 1];
    if (!UNIQUE_HEADERS.has(name)) continue;
    if (seen.has(name)) return { name, acceptBefore };
    seen.add(name);
  }
  return undefined;
}

/** Kong's 400 for a request nginx refused (no WWW-Authenticate: no plugin ran), per the Accept nginx read. */
export function nginxBadRequest(requestId: string, version: KongVersion, acceptBefore: string | undefined): ExitResponse {
  return errorResponse(400, 'Bad request', [['Connection', 'close']], acceptBefore ?? ERROR_DEFAULT_TYPE, requestId, version);
}

/** The header lines of a request Node's parser refused (err.rawPacket), as rawHeaders-style pairs; the request line is skipped. */
function rawPacketHeaders(packet: Buffer | undefined): string[] {
  if (packet === undefined) return [];
  const head = packet.toString('latin1').split('\r\n\r\n')[0]!.split('\r\n').slice(1);
  return head.flatMap((line) => {
    const colon = line.indexOf(':');
    return colon > 0 ? [line.slice(0, colon).trim(), line.slice(colon + 1).trim()] : [];
  });
}

/** Node's parse errors for what nginx refuses as a duplicate header: two Content-Length or Transfer-Encoding lines. */
const DUPLICATE_FRAMING = new Set(['HPE_UNEXPECTED_CONTENT_LENGTH', 'HPE_INVALID_TRANSFER_ENCODING']);

/** What Node answers to its other parse errors when no 'clientError' listener is installed. */
const NODE_DEFAULT: Record<string, string> = { HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large', ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout' };

/**
 * Answers duplicate framing headers, which Node's parser refuses before the double sees the request,
 * the way Kong does (nginx's 400); every other parse error keeps Node's own answer.
 */
export function refuseUnparsableLikeNginx(server: http.Server, version: KongVersion): void {
  server.on('clientError', (err: Error & { code?: string; rawPacket?: Buffer }, socket: Duplex) => {
    if (!socket.writable || err.code === 'ECONNRESET') return void socket.destroy();
    if (!DUPLICATE_FRAMING.has(err.code ?? '')) return void socket.end(`HTTP/1.1 ${NODE_DEFAULT[err.code ?? ''] ?? '400 Bad Request'}\r\nConnection: close\r\n\r\n`);
    const requestId = crypto.randomBytes(16).toString('hex');
    const r = nginxBadRequest(requestId, version, duplicateUniqueHeader(rawPacketHeaders(err.rawPacket))?.acceptBefore);
    const lines = [`HTTP/1.1 400 Bad Request`, `Date: ${new Date().toUTCString()}`, ...r.headers.map(([n, v]) => `${n}: ${v}`),
      `Content-Length: ${r.body?.length ?? 0}`, `Server: kong/${version}`, ...(version === '3.9.3' ? [`X-Kong-Request-Id: ${requestId}`] : [])];
    socket.end(Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), r.body ?? Buffer.alloc(0)]));
  });
}
