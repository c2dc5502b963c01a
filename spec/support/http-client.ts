// A small HTTP client for integration tests: raw header lines (duplicates kept, order kept),
// no automatic headers beyond Host, and the full response.
import http from 'node:http';

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  text: string;
  json<T = Record<string, unknown>>(): T;
}

/**
 * `rawTarget`: the request target written as given (a `\`, `#` or dot segments that `url`'s WHATWG
 * parsing would fold, cut or resolve); `url` then gives only the origin.
 */
export function send(method: string, url: string, headers: Array<[string, string]> = [], body?: string, rawTarget?: string): Promise<HttpResponse> {
  const target = new URL(url);
  // With raw header lines Node adds no Host header itself (HTTP/1.1 requires one).
  const flat = headers.some(([name]) => name.toLowerCase() === 'host') ? headers.flat() : ['Host', target.host, ...headers.flat()];
  if (body !== undefined) flat.push('Content-Length', String(Buffer.byteLength(body)));
  return new Promise((resolve, reject) => {
    const req = http.request(
      { method, hostname: target.hostname, port: target.port, path: rawTarget ?? target.pathname + target.search, headers: flat, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, text, json: () => JSON.parse(text) });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(30000, () => req.destroy(new Error(`timeout: ${method} ${url}`)));
    req.end(body);
  });
}

export const get = (url: string, headers: Array<[string, string]> = []) => send('GET', url, headers);
export const bearer = (token: string): Array<[string, string]> => [['Authorization', `Bearer ${token}`]];
