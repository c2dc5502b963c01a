// The proxy listener: route, run the access pipeline, then either send the exit response or proxy
// to the service with Kong's added headers; the log phase runs after the response is sent.
import http from 'node:http';
import crypto from 'node:crypto';
import { listen } from '../../dev/listen';
import { RequestContext, type HeaderPair } from './request-context';
import { matchRoute, upstreamPath } from './router';
import { runAccess, runLog } from './pipeline';
import { errorResponse } from './responses';
import { headerLineTooLong, normalizePath, percentEncodeHeaderName, percentEncodeHeaderValue } from './http-utils';
import type { KongRuntime } from './runtime';
import { duplicateUniqueHeader, nginxBadRequest, refuseUnparsableLikeNginx } from './nginx-request';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'upgrade', 'te', 'trailer', 'host']);

export interface ProxyFront {
  url: string;
  port: number;
  /** Resolves when every log phase started so far has finished. */
  logsSettled(): Promise<void>;
  close(): Promise<void>;
}

export async function startProxyFront(rt: KongRuntime, port: number): Promise<ProxyFront> {
  const version = rt.options.kongVersion;
  const pendingLogs = new Set<Promise<void>>();
  let boundPort = 0;

  // Kong 3.4 keeps the upstream's Server header on proxied responses (none if the upstream sends none)
  const send = (res: http.ServerResponse, status: number, headers: HeaderPair[], body: Buffer | undefined, requestId: string, extra: HeaderPair[], kongServer = true) => {
    const out: string[] = [];
    const add = (n: string, v: string) => out.push(n, v);
    add('Date', new Date().toUTCString());
    for (const [n, v] of headers) add(percentEncodeHeaderName(n), percentEncodeHeaderValue(v));
    add('Content-Length', String(body?.length ?? 0));
    for (const [n, v] of extra) add(n, v);
    if (kongServer) add('Server', `kong/${version}`);
    if (version === '3.9.3') add('X-Kong-Request-Id', requestId);
    res.writeHead(status, out);
    res.end(status === 204 || status === 304 ? undefined : body);
  };

  const server = http.createServer({ maxHeaderSize: 256 * 1024 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks)).catch((e) => {
        rt.log.log('error', `[kong-double] proxy failure: ${(e as Error).stack}`);
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): Promise<void> {
    const started = Date.now();
    const requestId = crypto.randomBytes(16).toString('hex');
    if (headerLineTooLong(req.rawHeaders)) {
      const page = version === '3.9.3' ? `Request header or cookie too large\nrequest_id: ${requestId}\n` : 'Bad request\n';
      return send(res, 400, [['Content-Type', 'text/plain; charset=utf-8']], Buffer.from(page), requestId, []);
    }
    const duplicate = duplicateUniqueHeader(req.rawHeaders);
    if (duplicate) {
      const r = nginxBadRequest(requestId, version, duplicate.acceptBefore);
      return send(res, r.status, r.headers, r.body, requestId, []);
    }
    const rawUrl = req.url ?? '/';
    const rawPath = rawUrl.split('?')[0]!;
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    const match = matchRoute(rt.store, (req.method ?? 'GET').toUpperCase(), host, rawPath);
    if (!match) {
      const r = errorResponse(404, 'no Route matched with those values', [], req.headers.accept, requestId, version);
      return send(res, r.status, r.headers, r.body, requestId, []);
    }
    const service = rt.store.services.find((s) => s.id === match.route.service?.id) ?? null;
    const ctx = new RequestContext(req, body, match.route, service, boundPort, requestId);
    if (match.route.strip_path && match.prefix !== '/') ctx.strippedPrefix = match.prefix.replace(/\/$/, '');
    if (service) ctx.upstreamUri = upstreamPath(service.path, ctx.rawPath, match) + (ctx.rawQuery ? '?' + ctx.rawQuery : '');
    const worker = rt.pickWorker();
    const responseHeaders: HeaderPair[] = [];
    await runAccess(rt, ctx, worker, { responseHeaders });
    const proxyLatency = String(Date.now() - started);
    if (ctx.exit || !service) {
      const exit = ctx.exit ?? errorResponse(503, 'no Service found with those values', [], req.headers.accept, requestId, version);
      ctx.response = { status: exit.status, headers: exit.headers, source: exit.source };
      send(res, exit.status, exit.headers, exit.body, requestId, [...responseHeaders, ['X-Kong-Response-Latency', proxyLatency]]);
    } else {
      await proxy(ctx, service, match, res, responseHeaders, proxyLatency);
    }
    const logRun = runLog(rt, ctx, worker).catch((e) => rt.log.log('error', `[kong-double] log phase failure: ${e}`));
    pendingLogs.add(logRun);
    void logRun.finally(() => pendingLogs.delete(logRun));
  }

  function proxy(ctx: RequestContext, service: NonNullable<RequestContext['service']>, match: NonNullable<ReturnType<typeof matchRoute>>, res: http.ServerResponse, responseHeaders: HeaderPair[], proxyLatency: string): Promise<void> {
    const clientHost = ctx.firstHeader('host') ?? '';
    const hostHeader = ctx.upstreamHost ?? (match.route.preserve_host ? clientHost : `${service.host}:${service.port}`);
    const headers: string[] = [];
    const add = (n: string, v: string) => headers.push(percentEncodeHeaderName(n), percentEncodeHeaderValue(v));
    if (version === '3.9.3') add('Via', `1.1 kong/${version}`);
    add('Host', hostHeader);
    add('Connection', 'keep-alive');
    add('X-Forwarded-For', ctx.clientIp);
    add('X-Forwarded-Proto', 'http');
    add('X-Forwarded-Host', ctx.host);
    add('X-Forwarded-Port', String(ctx.proxyPort));
    add('X-Forwarded-Path', normalizePath(ctx.rawPath));
    if (ctx.strippedPrefix) add('X-Forwarded-Prefix', ctx.strippedPrefix);
    add('X-Real-IP', ctx.clientIp);
    if (version === '3.9.3') add('X-Kong-Request-Id', ctx.requestId);
    const skip = new Set([...HOP_BY_HOP, 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-forwarded-path', 'x-forwarded-prefix', 'x-real-ip', 'content-length']);
    for (const [n, v] of ctx.headers) if (!skip.has(n.toLowerCase())) add(n, v);
    if (ctx.body.length) add('Content-Length', String(ctx.body.length));
    const upstreamStart = Date.now();
    return new Promise<void>((resolve) => {
      const upstream = http.request({
        host: service.host, port: service.port, method: ctx.method, path: ctx.upstreamUri,
        headers: headers as unknown as http.OutgoingHttpHeaders, setHost: false, agent: false,
        timeout: service.read_timeout,
      }, (up) => {
        const chunks: Buffer[] = [];
        up.on('data', (c: Buffer) => chunks.push(c));
        up.on('end', () => {
          const out: HeaderPair[] = [];
          for (let i = 0; i < up.rawHeaders.length; i += 2) {
            const n = up.rawHeaders[i]!;
            const lower = n.toLowerCase();
            if (HOP_BY_HOP.has(lower) || lower === 'content-length' || lower === 'date' || (lower === 'server' && version === '3.9.3')) continue;
            out.push([n, up.rawHeaders[i + 1]!]);
          }
          ctx.response = { status: up.statusCode ?? 502, headers: out, source: 'service' };
          send(res, up.statusCode ?? 502, out, Buffer.concat(chunks), ctx.requestId, [
            ...responseHeaders,
            ['X-Kong-Upstream-Latency', String(Date.now() - upstreamStart)], ['X-Kong-Proxy-Latency', proxyLatency],
            ['Via', version === '3.9.3' ? `1.1 kong/${version}` : `kong/${version}`],
          ], version === '3.9.3');
          resolve();
        });
      });
      upstream.on('error', (e) => {
        rt.log.log('error', `[kong-double] upstream error: ${e.message}`);
        const r = errorResponse(502, 'An invalid response was received from the upstream server', [], ctx.firstHeader('accept'), ctx.requestId, version);
        ctx.response = { status: 502, headers: r.headers, source: 'error' };
        send(res, 502, r.headers, r.body, ctx.requestId, []);
        resolve();
      });
      upstream.end(ctx.body.length ? ctx.body : undefined);
    });
  }

  refuseUnparsableLikeNginx(server, version);
  boundPort = await listen(server, port, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${boundPort}`,
    port: boundPort,
    logsSettled: async () => {
      while (pendingLogs.size) await Promise.all([...pendingLogs]);
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
