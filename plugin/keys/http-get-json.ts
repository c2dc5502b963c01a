// One bounded HTTP request for issuer metadata and key sets (GET) and token introspection (a form
// POST): connect timeout, an overall deadline (an AbortSignal shared by every request of one
// refresh), a body-size cap that aborts the read as soon as it is exceeded, exactly 200 required,
// redirects never followed, JSON body. Through a forward proxy when one applies (egress-proxy.ts);
// the limits hold the same way through it. Error messages describe the failure only; they never
// contain a body, sent or received.
import http from 'node:http';
import https from 'node:https';
import { agentFor, pooledAgentFor, proxyFor, proxyLabel } from './egress-proxy';

export interface HttpLimits {
  connectTimeoutMs: number;
  maxBodyBytes: number;
  /** key_set.proxy_url; null: the environment's proxy settings decide. */
  proxyUrl: string | null;
}

export interface JsonResponse {
  json: unknown;
  /** Seconds the response may be cached (max-age minus Age), or undefined without max-age. */
  maxAgeSeconds: number | undefined;
}

export class FetchFailure extends Error {}

/** A form POST (application/x-www-form-urlencoded) with its extra headers (e.g. Authorization). */
export interface FormPost {
  form: string;
  headers: Record<string, string>;
}

export function httpGetJson(url: URL, limits: HttpLimits, deadline: AbortSignal): Promise<JsonResponse> {
  return httpJson(url, limits, deadline, null);
}

/**
 * Posts a form and reads a JSON answer. Sent on pooled keep-alive connections: unlike key-set
 * refreshes, a post may run per request (token introspection), where a handshake each time costs.
 */
export function httpPostFormJson(url: URL, post: FormPost, limits: HttpLimits, deadline: AbortSignal): Promise<JsonResponse> {
  return httpJson(url, limits, deadline, post);
}

function httpJson(url: URL, limits: HttpLimits, deadline: AbortSignal, post: FormPost | null): Promise<JsonResponse> {
  return new Promise<JsonResponse>((resolve, reject) => {
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      reject(new FetchFailure(`unsupported URL scheme ${url.protocol}`));
      return;
    }
    if (deadline.aborted) {
      reject(new FetchFailure('deadline passed before the request started'));
      return;
    }
    let proxy: URL | null;
    try {
      proxy = proxyFor(url, limits.proxyUrl);
    } catch (error) {
      reject(new FetchFailure((error as Error).message));
      return;
    }
    const via = proxy === null ? '' : ` via proxy ${proxyLabel(proxy)}`;
    let connectTimer: NodeJS.Timeout | undefined;
    let settled = false;
    const finish = (error: Error | undefined, value?: JsonResponse): void => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      deadline.removeEventListener('abort', onDeadline);
      if (error !== undefined) {
        req.destroy();
        reject(error);
      } else {
        resolve(value as JsonResponse);
      }
    };
    const onDeadline = (): void => finish(new FetchFailure(`no complete response from ${url.origin}${via} in time`));

    const client = url.protocol === 'https:' ? https : http;
    // GET: a fresh connection per request (refreshes are minutes apart): no stale pooled sockets, and
    // the connect timeout always applies. POST: pooled (see httpPostFormJson).
    const req = post === null
      ? client.request(url, { method: 'GET', agent: agentFor(url, proxy), headers: { accept: 'application/json' } })
      : client.request(url, {
        method: 'POST',
        agent: pooledAgentFor(url, proxy),
        headers: { ...post.headers, accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(post.form)) },
      });
    deadline.addEventListener('abort', onDeadline, { once: true });
    // Runs from the start: a proxy agent hands the request its socket only once the tunnel is up.
    connectTimer = setTimeout(
      () => finish(new FetchFailure(`connect to ${url.origin}${via} timed out after ${limits.connectTimeoutMs} ms`)),
      limits.connectTimeoutMs,
    );
    connectTimer.unref();
    req.on('socket', (socket) => {
      if (socket.connecting) socket.once('connect', () => clearTimeout(connectTimer));
      else clearTimeout(connectTimer);
    });
    req.on('error', (err: NodeJS.ErrnoException) => finish(new FetchFailure(`request to ${url.origin}${via} failed: ${err.code ?? err.message}`)));
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        finish(new FetchFailure(`${url.origin}${url.pathname}${via} answered HTTP ${res.statusCode}`));
        return;
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > limits.maxBodyBytes) {
        finish(new FetchFailure(`body of ${declared} bytes exceeds the ${limits.maxBodyBytes}-byte cap`));
        return;
      }
      const chunks: Buffer[] = [];
      let received = 0;
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > limits.maxBodyBytes) {
          finish(new FetchFailure(`body exceeds the ${limits.maxBodyBytes}-byte cap`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', (err) => finish(new FetchFailure(`reading ${url.origin} failed: ${err.message}`)));
      res.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          finish(new FetchFailure(`${url.origin}${url.pathname} did not answer JSON`));
          return;
        }
        finish(undefined, { json, maxAgeSeconds: cacheLifetime(res.headers) });
      });
    });
    req.end(post?.form);
  });
}

function cacheLifetime(headers: http.IncomingHttpHeaders): number | undefined {
  const cacheControl = headers['cache-control'] ?? '';
  if (/(?:^|,)\s*no-(?:store|cache)\b/i.test(cacheControl)) return 0;
  const match = /(?:^|,)\s*max-age\s*=\s*"?(\d+)"?\s*(?=,|$)/i.exec(cacheControl);
  if (match === null) return undefined;
  const age = Number(headers.age);
  return Math.max(0, Number(match[1]) - (Number.isFinite(age) && age > 0 ? age : 0));
}
