// Response bodies Kong produces itself: kong.response.exit encoding, kong.response.error templates
// (chosen by Accept), nginx's default pages, and the generic 500 for Lua errors.
import type { ExitResponse, HeaderPair } from './request-context';

export type KongVersion = '3.9.3' | '3.4.2';

const ERROR_MESSAGES: Record<number, string> = {
  400: 'Bad request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not found', 405: 'Method not allowed',
  429: 'API rate limit exceeded', 500: 'An unexpected error occurred', 502: 'Bad gateway', 503: 'Service unavailable',
  504: 'Gateway timeout',
};

/** Kong's default kong.response.error message for a status (kong/tools/http.lua). */
export function defaultErrorMessage(status: number): string {
  return ERROR_MESSAGES[status] ?? `The upstream server responded with ${status}`;
}

const NGINX_TITLES: Record<number, string> = {
  400: '400 Bad Request', 401: '401 Authorization Required', 403: '403 Forbidden', 404: '404 Not Found',
  405: '405 Not Allowed', 429: '429 Too Many Requests', 500: '500 Internal Server Error', 502: '502 Bad Gateway',
  503: '503 Service Temporarily Unavailable', 504: '504 Gateway Time-out',
};

/** nginx's built-in page for a status (what `kong.response.exit(status)` without body sends). */
export function nginxDefaultPage(status: number): Buffer | undefined {
  const title = NGINX_TITLES[status];
  if (!title) return undefined;
  return Buffer.from(`<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n</body>\r\n</html>\r\n`);
}

function hasHeader(headers: HeaderPair[], name: string): string | undefined {
  return headers.find(([n]) => n.toLowerCase() === name)?.[1];
}

/** kong.response.error body: template by explicit Content-Type, else Accept; message inserted unescaped (as Kong). */
export function errorResponse(status: number, message: string, headers: HeaderPair[], accept: string | undefined, requestId: string, version: KongVersion): ExitResponse {
  const explicit = hasHeader(headers, 'content-type');
  const pick = (explicit ?? accept ?? '').toLowerCase();
  const withId = version === '3.9.3';
  let type = 'application/json';
  if (/text\/html/.test(pick)) type = 'text/html';
  else if (/application\/xml|text\/xml/.test(pick)) type = 'application/xml';
  else if (/text\/plain/.test(pick)) type = 'text/plain';
  let body: string;
  switch (type) {
    case 'text/html':
      body = `<!doctype html>\n<html>\n  <head>\n    <meta charset="utf-8">\n    <title>Error</title>\n  </head>\n  <body>\n    <h1>Error</h1>\n    <p>${message}.</p>\n${withId ? `    <p>request_id: ${requestId}</p>\n` : ''}  </body>\n</html>\n`;
      break;
    case 'application/xml':
      body = `<?xml version="1.0" encoding="UTF-8"?>\n<error>\n  <message>${message}</message>\n${withId ? `  <requestid>${requestId}</requestid>\n` : ''}</error>\n`;
      break;
    case 'text/plain':
      body = `${message}\n${withId ? `request_id: ${requestId}\n` : ''}`;
      break;
    default:
      body = withId ? `{\n  "message":"${message}",\n  "request_id":"${requestId}"\n}` : `{\n  "message":"${message}"\n}`;
  }
  const out = headers.filter(([n]) => n.toLowerCase() !== 'content-type');
  return { status, body: Buffer.from(body), headers: [['Content-Type', explicit ?? `${type}; charset=utf-8`], ...out], source: 'error' };
}

/** The 500 Kong answers when a plugin raised a Lua error (or StartInstance failed). */
export function unexpectedError(requestId: string, version: KongVersion, accept?: string): ExitResponse {
  return errorResponse(500, 'An unexpected error occurred', [], accept, requestId, version);
}
