// Requests nginx refuses before Kong runs any plugin (batch3 §2): a header nginx keeps as a single
// value sent twice (two Content-Length or Transfer-Encoding lines already stop Node's parser).
// Kong's error page renders the 400: `{"message":"Bad request","request_id":…}`, Connection: close.
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

/** The first unique header that appears more than once, lower-cased; undefined when there is none. */
export function duplicateUniqueHeader(rawHeaders: string[]): string | undefined {
  const seen = new Set<string>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (!UNIQUE_HEADERS.has(name)) continue;
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return undefined;
}

/** Kong's 400 for a request nginx refused (no WWW-Authenticate: no plugin ran). */
export function nginxBadRequest(requestId: string, version: KongVersion, accept?: string): ExitResponse {
  return errorResponse(400, 'Bad request', [['Connection', 'close']], accept, requestId, version);
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
  server.on('clientError', (err: Error & { code?: string }, socket: Duplex) => {
    if (!socket.writable || err.code === 'ECONNRESET') return void socket.destroy();
    if (!DUPLICATE_FRAMING.has(err.code ?? '')) return void socket.end(`HTTP/1.1 ${NODE_DEFAULT[err.code ?? ''] ?? '400 Bad Request'}\r\nConnection: close\r\n\r\n`);
    const requestId = crypto.randomBytes(16).toString('hex');
    const r = nginxBadRequest(requestId, version);
    const lines = [`HTTP/1.1 400 Bad Request`, `Date: ${new Date().toUTCString()}`, ...r.headers.map(([n, v]) => `${n}: ${v}`),
      `Content-Length: ${r.body?.length ?? 0}`, `Server: kong/${version}`, ...(version === '3.9.3' ? [`X-Kong-Request-Id: ${requestId}`] : [])];
    socket.end(Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), r.body ?? Buffer.alloc(0)]));
  });
}
