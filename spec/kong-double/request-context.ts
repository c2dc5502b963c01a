// Per-request state the PDK executor, the bundled plugins and the proxy front share: the client
// request as received, the headers that will go upstream, the authenticated consumer/credential,
// kong.ctx.shared, ngx.ctx, the exit response (if any) and what the log phase may read.
import type http from 'node:http';
import crypto from 'node:crypto';
import type { Route, Service } from './entities';
import type { KongVersion } from './responses';

export interface SerializeValue { key: string; value: unknown; mode: 'set' | 'add' | 'replace' }

export type HeaderPair = [name: string, value: string];

export interface ExitResponse {
  status: number;
  /** Body bytes (undefined = no body). */
  body?: Buffer;
  headers: HeaderPair[];
  /** 'exit' (plugin), 'error' (Lua error / kong.response.error) – for kong.response.get_source. */
  source: 'exit' | 'error';
}

export interface SavedResponse {
  status: number;
  headers: HeaderPair[];
  source: 'service' | 'exit' | 'error';
}

export class RequestContext {
  readonly startMs = Date.now();
  readonly method: string;
  /** The request target as sent (path + query, not normalised). */
  readonly rawUrl: string;
  /** Client header lines in order, as received. */
  readonly clientHeaders: HeaderPair[];
  /**
   * The request headers as nginx holds them: the client's, changed by kong.service.request.* (Kong uses
   * ngx.req.set_header, so kong.request.get_header(s) see the changes too – batch2 45) – and sent upstream.
   */
  headers: HeaderPair[];
  /** Host header override set via kong.service.request.set_header('host', …). */
  upstreamHost?: string;
  consumer: Record<string, unknown> | null = null;
  credential: Record<string, unknown> | null = null;
  readonly shared = new Map<string, unknown>();
  readonly ngxCtx = new Map<string, unknown>();
  /** kong.log.set_serialize_value calls in order (ngx.ctx.serialize_values), applied when the entry is serialized. */
  readonly serializeValues: SerializeValue[] = [];
  exit?: ExitResponse;
  response?: SavedResponse;
  /** 'access' while access handlers run, 'log' in the log phase. */
  phase: 'access' | 'log' = 'access';
  /** The plugin entity currently running (kong.plugin.get_id). */
  currentPluginId?: string;
  /** Path + query sent upstream (set by the proxy front). */
  upstreamUri?: string;
  /** Prefix stripped from the path (X-Forwarded-Prefix) when strip_path applied. */
  strippedPrefix?: string;

  constructor(
    readonly req: http.IncomingMessage,
    readonly body: Buffer,
    readonly route: Route,
    readonly service: Service | null,
    readonly proxyPort: number,
    readonly requestId: string = crypto.randomBytes(16).toString('hex'),
  ) {
    this.method = (req.method ?? 'GET').toUpperCase();
    this.rawUrl = req.url ?? '/';
    const pairs: HeaderPair[] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) pairs.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
    this.clientHeaders = pairs;
    this.headers = pairs.map(([n, v]) => [n, v]);
  }

  get clientIp(): string {
    return (this.req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  }

  get clientPort(): number {
    return this.req.socket.remotePort ?? 0;
  }

  get rawPath(): string {
    const q = this.rawUrl.indexOf('?');
    return q < 0 ? this.rawUrl : this.rawUrl.slice(0, q);
  }

  get rawQuery(): string {
    const q = this.rawUrl.indexOf('?');
    return q < 0 ? '' : this.rawUrl.slice(q + 1);
  }

  /** Host as nginx's $host: Host header without port, lower-cased. */
  get host(): string {
    const h = this.clientHeaders.find(([n]) => n.toLowerCase() === 'host')?.[1] ?? '';
    return h.replace(/:\d+$/, '').toLowerCase();
  }

  /**
   * What nginx appends to every error.log line written while it serves a request (kong-transcripts
   * *.kong-error-log.txt; nginx's ngx_http_log_error_handler): the client, the request line as sent
   * (query string included), the raw Host header and the first Referer header as `referrer`
   * (each left out when the request has none).
   */
  get errorLogContext(): string {
    const first = (name: string) => this.clientHeaders.find(([n]) => n.toLowerCase() === name)?.[1];
    const host = first('host');
    const referer = first('referer');
    const request = `${this.method} ${this.rawUrl} HTTP/${this.req.httpVersion}`;
    return `, client: ${this.clientIp}, server: kong, request: "${request}"${host === undefined ? '' : `, host: "${host}"`}${referer === undefined ? '' : `, referrer: "${referer}"`}`;
  }

  /** First value of a request header; `_` and `-` are interchangeable, case-insensitive. */
  firstHeader(name: string): string | undefined {
    const want = name.toLowerCase().replace(/_/g, '-');
    return this.headers.find(([n]) => n.toLowerCase().replace(/_/g, '-') === want)?.[1];
  }

  /**
   * kong.request.get_header(name) (kong/tools/http.lua get_header): `ngx.var["http_" .. name with
   * "-" → "_"]`, which matches every header line whose name, lower-cased with "-" → "_", is the same
   * (`X-A-B` also reads a client's `X_A_B`; nginx runs with underscores_in_headers on). OpenResty
   * 1.21 (Kong 3.4) returns the first such line. Newer nginx (Kong 3.9) joins them with ", "; when
   * the result holds ", " Kong looks the name up again in ngx.req.get_headers() (first 100 lines,
   * lower-cased names; on a miss, the name lower-cased with "_" → "-") and takes the first value.
   */
  kongHeader(name: string, kongVersion: KongVersion): string | undefined {
    const varName = name.toLowerCase().replace(/-/g, '_');
    const lines = this.headers.filter(([n]) => n.toLowerCase().replace(/-/g, '_') === varName);
    if (lines.length === 0) return undefined;
    if (kongVersion === '3.4.2') return lines[0]![1];
    const joined = lines.map(([, v]) => v).join(', ');
    if (!joined.includes(', ')) return joined;
    const first100 = this.headers.slice(0, 100);
    const byKey = (key: string) => first100.find(([n]) => n.toLowerCase() === key)?.[1];
    return byKey(name) ?? byKey(name.toLowerCase().replace(/_/g, '-'));
  }

  setUpstreamHeader(name: string, values: string[]): void {
    this.clearUpstreamHeader(name);
    for (const v of values) this.headers.push([name, v]);
    if (name.toLowerCase() === 'host') this.upstreamHost = values[0];
  }

  addUpstreamHeader(name: string, values: string[]): void {
    for (const v of values) this.headers.push([name, v]);
  }

  clearUpstreamHeader(name: string): void {
    const lower = name.toLowerCase();
    this.headers = this.headers.filter(([n]) => n.toLowerCase() !== lower);
  }
}
