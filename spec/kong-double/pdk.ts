// The fake PDK Kong executes for external plugins: `Data.Method` with `Data.Args` from the plugin
// server, with Kong 3.9's validation and semantics (kong-protocol.md §3–§4, batch2 findings).
// A Lua `error()` is modelled by throwing LuaError; only the first return value matters (Kong 3.x).
import os from 'node:os';
import crypto from 'node:crypto';
import { luaArgs, luaRoundTrip, luaToString, luaType } from './pdk-values';
import { defaultErrorMessage, errorResponse, nginxDefaultPage, type KongVersion } from './responses';
import { UUID_RE, withoutNulls, type EntityStore } from './entities';
import type { HeaderPair, RequestContext, SerializeValue } from './request-context';
import type { ErrorLog, LogLevel } from './recorder';
import { normalizePath, parseQuery } from './http-utils';

export class LuaError extends Error {}

export interface PdkEnv {
  ctx: RequestContext;
  pluginName: string;
  kongVersion: KongVersion;
  store: EntityStore;
  log: ErrorLog;
  nodeId: string;
}

/** `value`: reply with this first return value (undefined ⇒ no Data); `exit`: terminal, no reply. */
export type PdkOutcome = { kind: 'value'; value: unknown } | { kind: 'exit' };

type PdkFn = (env: PdkEnv, args: unknown[]) => unknown;

const EXIT = Symbol('exit');
/** Kong's default nginx_http_client_body_buffer_size (kong_defaults.lua): larger bodies go to a temporary file. */
const CLIENT_BODY_BUFFER_SIZE = 8 * 1024;

/**
 * The Step method Kong calls with a PDK call's result (mp_rpc.lua get_step_method): a table result's
 * own `_method` field, whatever it holds, wins over the variant by PDK name. Request data can put it
 * there: a header or query argument `_method` (then an array, as in every multi-map).
 */
export function stepMethodForResult(method: string, value: unknown): string {
  const named = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)._method : undefined;
  return named === undefined || named === null || named === false ? stepMethodFor(method) : (named as string);
}

/** Step variant Kong replies with (mp_rpc.lua by_pdk_method). */
export function stepMethodFor(method: string): string {
  switch (method) {
    case 'kong.client.get_credential':
    case 'kong.client.authenticate':
      return 'plugin.StepCredential';
    case 'kong.client.load_consumer':
    case 'kong.client.get_consumer':
      return 'plugin.StepConsumer';
    case 'kong.node.get_memory_stats':
      return 'plugin.StepMemoryStats';
    case 'kong.router.get_route':
      return 'plugin.StepRoute';
    case 'kong.router.get_service':
      return 'plugin.StepService';
    case 'kong.request.get_query':
    case 'kong.request.get_headers':
    case 'kong.response.get_headers':
    case 'kong.service.response.get_headers':
      return 'plugin.StepMultiMap';
    default:
      return 'plugin.Step';
  }
}

/** PDK fields that exist but are not functions: calling them is a Lua error. */
const NON_CALLABLE: Record<string, string> = {
  'kong.version': 'string', 'kong.version_num': 'number', 'kong.configuration': 'table', 'kong.ctx.shared': 'table',
  'kong.ctx': 'table', 'kong.request': 'table', 'kong.client': 'table', 'kong.response': 'table',
};

export function executePdk(env: PdkEnv, method: string, rawArgs: unknown): PdkOutcome {
  const fn = PDK[method];
  if (!fn) {
    if (NON_CALLABLE[method]) throw new LuaError(`attempt to call local 'method' (a ${NON_CALLABLE[method]} value)`);
    requestLog(env, 'error', `[kong] mp_rpc.lua:116 [${env.pluginName}] could not find pdk method: ${method}`);
    return { kind: 'value', value: undefined };
  }
  const value = fn(env, luaArgs(rawArgs));
  return value === EXIT ? { kind: 'exit' } : { kind: 'value', value };
}

// ---------------------------------------------------------------- helpers
function phaseCheck(env: PdkEnv, allowed: string[]): void {
  if (!allowed.includes(env.ctx.phase)) {
    throw new LuaError(`function cannot be called in ${env.ctx.phase} phase (only in: ${allowed.join(', ')})`);
  }
}

function limit(v: unknown, what: string): number {
  if (v === undefined) return 100;
  if (typeof v !== 'number') throw new LuaError(`${what} must be a number`);
  if (v < 1) throw new LuaError(`${what} must be >= 1`);
  if (v > 1000) throw new LuaError(`${what} must be <= 1000`);
  return v;
}

/** Header lines → Kong's multi-map: lower-cased keys, every value an array; at most `max` lines. */
export function headersMultiMap(lines: HeaderPair[], max: number): Record<string, string[]> {
  // Like a Lua table, any header name is just a key (a client may send "__proto__" or "constructor").
  const out: Record<string, string[]> = Object.create(null);
  for (const [n, v] of lines.slice(0, max)) (out[n.toLowerCase()] ??= []).push(v);
  return out;
}

/** Values Kong accepts for a header: string/number/boolean or (3.9) an array of strings. */
function headerValues(env: PdkEnv, name: string, value: unknown, arraysAlways = false): string[] {
  const t = luaType(value);
  if (t === 'string' || t === 'number' || t === 'boolean') {
    const s = luaToString(value);
    return [s === '' ? ' ' : s];
  }
  if (t === 'table' && (arraysAlways || env.kongVersion === '3.9.3')) {
    const list = Array.isArray(value) ? value : []; // a non-sequence table has no array part: no values
    for (const x of list) {
      if (typeof x !== 'string') throw new LuaError(`invalid header value in array "${name}": got ${luaType(x)}, expected string`);
    }
    return list as string[];
  }
  const expected = env.kongVersion === '3.9.3' ? 'array of string, string, number or boolean' : 'string, number or boolean';
  throw new LuaError(`invalid header value for "${name}": got ${t}, expected ${expected}`);
}

function headerName(name: unknown): string {
  if (typeof name !== 'string') throw new LuaError(`invalid header name "${luaToString(name)}": got ${luaType(name)}, expected string`);
  return name;
}

function consumerView(c: object): Record<string, unknown> {
  return withoutNulls(c) as Record<string, unknown>;
}

/** A line written while serving a request: nginx appends the request's context to it. */
function requestLog(env: PdkEnv, level: LogLevel, message: string): void {
  env.log.log(level, message + env.ctx.errorLogContext);
}

function logLine(level: LogLevel) {
  return (env: PdkEnv, args: unknown[]) => {
    requestLog(env, level, `[kong] mp_rpc.lua:127 [${env.pluginName}] ${args.map(luaToString).join('')}`);
    return undefined;
  };
}

function exitWith(env: PdkEnv, status: number, body: Buffer | undefined, headers: HeaderPair[], source: 'exit' | 'error'): typeof EXIT {
  env.ctx.exit = { status, body, headers, source };
  return EXIT;
}

/** cjson encodes every empty Lua table as an object (batch2 10, 23, 37). */
function cjsonView(v: unknown): unknown {
  if (Array.isArray(v)) return v.length === 0 ? {} : v.map(cjsonView);
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), cjsonView(x)]));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, cjsonView(x)]));
  return v ?? {};
}

function headerTable(env: PdkEnv, headers: unknown): HeaderPair[] {
  if (headers === undefined) return [];
  if (luaType(headers) !== 'table') throw new LuaError('headers must be a nil or table');
  const out: HeaderPair[] = [];
  for (const [n, v] of Object.entries(headers as Record<string, unknown>)) {
    for (const value of headerValues(env, n, v, true)) out.push([n, value]);
  }
  return out;
}

/** What Kong's serializer redacts before any plugin's values (kong/pdk/log.lua get_default_serialize_values). */
const DEFAULT_SERIALIZE_VALUES: readonly SerializeValue[] = [
  { key: 'request.headers.authorization', value: 'REDACTED', mode: 'replace' },
  { key: 'request.headers.proxy-authorization', value: 'REDACTED', mode: 'replace' },
];

/**
 * kong/pdk/log.lua edit_result: each value in order, its key split at dots (nothing else is special,
 * a dash included); set and add create missing tables on the way, replace stops at a missing one;
 * a key through a non-table is a Lua error (the log plugin's entry is lost).
 */
function applySerializeValues(root: Record<string, unknown>, values: readonly SerializeValue[]): void {
  for (const { key, value, mode } of [...DEFAULT_SERIALIZE_VALUES, ...values]) {
    const parts = key.split('.');
    let node: Record<string, unknown> | undefined = root;
    for (const part of parts.slice(0, -1)) {
      if (node[part] === undefined) {
        if (mode === 'replace') {
          node = undefined;
          break;
        }
        node[part] = {};
      }
      if (typeof node[part] !== 'object' || node[part] === null) {
        throw new LuaError(`The key '${key}' could not be used as a serialize value. Subkey '${part}' is not a table. It's ${luaToString(node[part])}`);
      }
      node = node[part] as Record<string, unknown>;
    }
    if (node === undefined) continue;
    const last = parts[parts.length - 1]!;
    const existing = node[last];
    if (mode === 'set' || (mode === 'add' && existing === undefined) || (mode === 'replace' && existing !== undefined)) {
      if (value === undefined) delete node[last];
      else node[last] = value;
    }
  }
}

/** kong.log.serialize's entry (kong/pdk/log.lua serialize), shaped like batch2 38/46; what log plugins write. */
export function serializeLogEntry(ctx: RequestContext, kongVersion: KongVersion): Record<string, unknown> {
  const proxied = ctx.response?.source === 'service';
  const entry: Record<string, unknown> = {
    request: {
      id: ctx.requestId, method: ctx.method, uri: ctx.rawUrl, url: `http://${ctx.firstHeader('host') ?? ''}${ctx.rawUrl}`,
      headers: Object.fromEntries(Object.entries(headersMultiMap(ctx.headers, 100)).map(([k, v]) => [k, v.length === 1 ? v[0] : v])),
      querystring: parseQuery(ctx.rawQuery, 100), size: ctx.body.length,
    },
    response: { status: ctx.response?.status, headers: Object.fromEntries((ctx.response?.headers ?? []).map(([n, v]) => [n.toLowerCase(), v])), size: 0 },
    route: withoutNulls(ctx.route), service: ctx.service ? withoutNulls(ctx.service) : undefined,
    client_ip: ctx.clientIp, started_at: ctx.startMs, upstream_uri: ctx.upstreamUri ?? ctx.rawUrl,
    upstream_status: proxied ? String(ctx.response?.status) : '',
    latencies: { kong: 0, proxy: proxied ? 0 : -1, request: Date.now() - ctx.startMs, receive: 0 },
    tries: proxied ? [{ ip: ctx.service?.host, port: ctx.service?.port, balancer_latency: 0 }] : [],
  };
  if (kongVersion === '3.9.3') Object.assign(entry, { workspace: ctx.route.ws_id, workspace_name: 'default', source: proxied ? 'upstream' : 'kong' });
  if (ctx.consumer) entry.consumer = ctx.consumer;
  if (ctx.credential) entry.authenticated_entity = ctx.credential;
  applySerializeValues(entry, ctx.serializeValues);
  return entry;
}

/** kong/pdk/private/phases.lua phases_with_ctx: where kong.log.set_serialize_value may be called. */
const PHASES_WITH_CTX = ['rewrite', 'access', 'header_filter', 'response', 'body_filter', 'log'];

const REQUEST_PHASES = ['rewrite', 'access', 'header_filter', 'response', 'body_filter', 'log'];

// ---------------------------------------------------------------- the method table
const PDK: Record<string, PdkFn> = {
  // kong.request
  'kong.request.get_header': (env, [name]) => {
    if (typeof name !== 'string') throw new LuaError('header name must be a string');
    if (name === '') return undefined;
    return env.ctx.kongHeader(name, env.kongVersion);
  },
  'kong.request.get_headers': (env, [max]) => {
    const n = limit(max, 'max_headers');
    if (env.ctx.headers.length > n) requestLog(env, 'notice', `[kong] request headers truncated`);
    return headersMultiMap(env.ctx.headers, n);
  },
  'kong.request.get_method': (env) => env.ctx.method,
  'kong.request.get_path': (env) => normalizePath(env.ctx.rawPath),
  'kong.request.get_raw_path': (env) => env.ctx.rawPath,
  'kong.request.get_path_with_query': (env) => env.ctx.rawUrl,
  'kong.request.get_raw_query': (env) => env.ctx.rawQuery,
  'kong.request.get_query': (env, [max]) => {
    const q = parseQuery(env.ctx.rawQuery, limit(max, 'max_args'));
    return Object.fromEntries(Object.entries(q).map(([k, v]) => [k, (Array.isArray(v) ? v : [v]).filter((x) => x !== true)]));
  },
  'kong.request.get_query_arg': (env, [name]) => {
    if (typeof name !== 'string') throw new LuaError('query argument name must be a string');
    const v = parseQuery(env.ctx.rawQuery, 100)[name];
    return Array.isArray(v) ? v[0] : v;
  },
  'kong.request.get_scheme': () => 'http',
  'kong.request.get_host': (env) => env.ctx.host,
  'kong.request.get_port': (env) => env.ctx.proxyPort,
  'kong.request.get_http_version': (env) => Number(env.ctx.req.httpVersion),
  'kong.request.get_forwarded_scheme': () => 'http',
  'kong.request.get_forwarded_host': (env) => env.ctx.host,
  'kong.request.get_forwarded_port': (env) => (env.kongVersion === '3.9.3' ? env.ctx.proxyPort : String(env.ctx.proxyPort)),
  'kong.request.get_forwarded_path': (env) => normalizePath(env.ctx.rawPath),
  'kong.request.get_forwarded_prefix': (env) => env.ctx.strippedPrefix,
  'kong.request.get_start_time': (env) => env.ctx.startMs,
  // Kong 3.4.2 and 3.9.3 (kong/pdk/request.lua): a body nginx wrote to a temporary file, being larger than
  // client_body_buffer_size (8k by default), is nil unless 3.9's max_allowed_file_size argument is given.
  'kong.request.get_raw_body': (env, [maxAllowedFileSize]) =>
    env.ctx.body.length > CLIENT_BODY_BUFFER_SIZE && !(env.kongVersion === '3.9.3' && typeof maxAllowedFileSize === 'number' && maxAllowedFileSize >= 0 && (maxAllowedFileSize === 0 || env.ctx.body.length <= maxAllowedFileSize))
      ? undefined
      : new Uint8Array(env.ctx.body),
  'kong.request.get_body': (env) => {
    const type = (env.ctx.firstHeader('content-type') ?? '').toLowerCase();
    const text = env.ctx.body.toString('utf8');
    if (type.includes('application/json')) {
      try {
        return JSON.parse(text);
      } catch {
        return undefined;
      }
    }
    if (type.includes('application/x-www-form-urlencoded')) return parseQuery(text, 100);
    return undefined;
  },
  'kong.request.get_uri_captures': () => ({ named: [], unnamed: [] }),

  // kong.client
  'kong.client.get_ip': (env) => env.ctx.clientIp,
  'kong.client.get_forwarded_ip': (env) => env.ctx.clientIp,
  'kong.client.get_port': (env) => env.ctx.clientPort,
  'kong.client.get_forwarded_port': (env) => env.ctx.clientPort,
  'kong.client.get_protocol': () => 'http',
  'kong.client.load_consumer': (env, [id, byUsername]) => {
    phaseCheck(env, ['access', 'header_filter', 'response', 'body_filter', 'log']);
    if (typeof id !== 'string') throw new LuaError('consumer_id must be a string');
    if (!UUID_RE.test(id) && !byUsername) throw new LuaError('cannot load a consumer with an id that is not a uuid');
    const c = env.store.consumers.find((x) => x.id === id) ?? (byUsername ? env.store.consumers.find((x) => x.username === id) : undefined);
    return c ? consumerView(c) : undefined;
  },
  'kong.client.authenticate': (env, [consumer, credential]) => {
    phaseCheck(env, ['access']);
    if (consumer !== undefined && luaType(consumer) !== 'table') throw new LuaError('consumer must be a table or nil');
    if (credential !== undefined && luaType(credential) !== 'table') throw new LuaError('credential must be a table or nil');
    if (consumer === undefined && credential === undefined) throw new LuaError('either credential or consumer must be provided');
    env.ctx.consumer = (luaRoundTrip(consumer) as Record<string, unknown>) ?? null;
    env.ctx.credential = (luaRoundTrip(credential) as Record<string, unknown>) ?? null;
    return undefined;
  },
  'kong.client.get_consumer': (env) => env.ctx.consumer ?? undefined,
  'kong.client.get_credential': (env) => env.ctx.credential ?? undefined,

  // kong.service.request
  'kong.service.request.set_header': (env, [name, value]) => {
    phaseCheck(env, ['rewrite', 'access', 'balancer']);
    const n = headerName(name);
    env.ctx.setUpstreamHeader(n, headerValues(env, n, value));
    return undefined;
  },
  'kong.service.request.add_header': (env, [name, value]) => {
    phaseCheck(env, ['rewrite', 'access']);
    const n = headerName(name);
    env.ctx.addUpstreamHeader(n, headerValues(env, n, value));
    return undefined;
  },
  'kong.service.request.clear_header': (env, [name]) => {
    phaseCheck(env, ['rewrite', 'access']);
    env.ctx.clearUpstreamHeader(headerName(name));
    return undefined;
  },
  // kong/pdk/service/request.lua: ngx.req.set_uri_args(query); the upstream request line takes the new args.
  'kong.service.request.set_raw_query': (env, [query]) => {
    phaseCheck(env, ['rewrite', 'access', 'balancer']);
    if (typeof query !== 'string') throw new LuaError('query must be a string');
    const path = (env.ctx.upstreamUri ?? env.ctx.rawPath).split('?')[0]!;
    env.ctx.upstreamUri = query === '' ? path : `${path}?${query}`;
    return undefined;
  },
  'kong.service.request.set_headers': (env, [headers]) => {
    phaseCheck(env, ['rewrite', 'access']);
    if (luaType(headers) !== 'table') throw new LuaError(`headers must be a table, got ${luaType(headers)}`);
    const checked = Object.entries(headers as Record<string, unknown>).map(([n, v]) => [n, headerValues(env, n, v, true)] as const);
    for (const [n, values] of checked) env.ctx.setUpstreamHeader(n, values);
    return undefined;
  },

  // kong.response
  'kong.response.exit': (env, [status, body, headers]) => {
    phaseCheck(env, ['rewrite', 'access', 'header_filter', 'response', 'balancer']);
    if (typeof status !== 'number') throw new LuaError('code must be a number');
    if (!Number.isInteger(status) || status < 100 || status > 599) throw new LuaError('code must be a number between 100 and 599');
    const hs = headerTable(env, headers);
    const hasType = hs.some(([n]) => n.toLowerCase() === 'content-type');
    if (body === undefined) return exitWith(env, status, status === 204 ? undefined : nginxDefaultPage(status), status !== 204 && nginxDefaultPage(status) && !hasType ? [['Content-Type', 'text/html; charset=UTF-8'], ...hs] : hs, 'exit');
    if (typeof body === 'string' || body instanceof Uint8Array) return exitWith(env, status, Buffer.from(body as string), hs, 'exit');
    if (luaType(body) !== 'table') throw new LuaError('body must be a nil, string or table');
    const bodyJson = JSON.stringify(cjsonView(luaRoundTrip(body)));
    return exitWith(env, status, Buffer.from(bodyJson), hasType ? hs : [['Content-Type', 'application/json; charset=utf-8'], ...hs], 'exit');
  },
  'kong.response.error': (env, [status, message, headers]) => {
    phaseCheck(env, ['rewrite', 'access', 'header_filter', 'response', 'balancer']);
    if (typeof status !== 'number' || status < 400 || status > 599) throw new LuaError('code must be a number between 400 and 599');
    let msg: string;
    if (message === undefined) msg = defaultErrorMessage(status);
    else if (typeof message === 'string') msg = message;
    else msg = JSON.stringify(luaRoundTrip(message));
    env.ctx.exit = errorResponse(status, msg, headerTable(env, headers), env.ctx.firstHeader('accept'), env.ctx.requestId, env.kongVersion);
    return EXIT;
  },
  'kong.response.get_status': (env) => env.ctx.response?.status ?? 200,
  'kong.response.get_header': (env, [name]) => {
    if (typeof name !== 'string') throw new LuaError('header name must be a string');
    return env.ctx.response?.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
  },
  'kong.response.get_headers': (env, [max]) => headersMultiMap(env.ctx.response?.headers ?? [], limit(max, 'max_headers')),
  'kong.response.get_source': (env) => env.ctx.response?.source ?? 'service',

  // kong.ctx.shared / kong.nginx
  'kong.ctx.shared.get': (env, [k]) => env.ctx.shared.get(String(k)),
  'kong.ctx.shared.set': (env, [k, v]) => {
    env.ctx.shared.set(String(k), luaRoundTrip(v));
    return undefined;
  },
  'kong.nginx.get_ctx': (env, [k]) => env.ctx.ngxCtx.get(String(k)),
  'kong.nginx.set_ctx': (env, [k, v]) => {
    env.ctx.ngxCtx.set(String(k), luaRoundTrip(v));
    return undefined;
  },
  'kong.nginx.get_var': (env, [name]) => {
    const ctx = env.ctx;
    const vars: Record<string, unknown> = {
      request_uri: ctx.rawUrl, uri: normalizePath(ctx.rawPath), args: ctx.rawQuery || undefined, host: ctx.host,
      remote_addr: ctx.clientIp, request_method: ctx.method, scheme: 'http', server_port: String(ctx.proxyPort),
      upstream_uri: ctx.upstreamUri, request_id: ctx.requestId,
    };
    return vars[String(name)];
  },
  'kong.nginx.get_subsystem': () => 'http',
  'kong.nginx.req_start_time': (env) => env.ctx.startMs / 1000,

  // kong.log
  'kong.log.debug': logLine('debug'), 'kong.log.info': logLine('info'), 'kong.log.notice': logLine('notice'),
  'kong.log.warn': logLine('warn'), 'kong.log.err': logLine('error'), 'kong.log.crit': logLine('crit'),
  'kong.log.alert': logLine('alert'), 'kong.log.emerg': logLine('emerg'),
  'kong.log.inspect': (env, args) => {
    requestLog(env, 'notice', `[kong] mp_rpc.lua:call_pdk_method:127 [${env.pluginName}] ${JSON.stringify(args)}`);
    return undefined;
  },
  // kong/pdk/log.lua set_serialize_value: checks phase, key and mode now; the value is applied (and
  // type-checked) when the entry is serialized.
  'kong.log.set_serialize_value': (env, [key, value, options]) => {
    phaseCheck(env, PHASES_WITH_CTX);
    const mode = options !== undefined && luaType(options) === 'table' ? ((options as Record<string, unknown>).mode ?? 'set') : 'set';
    if (typeof key !== 'string') throw new LuaError('key must be a string');
    if (mode !== 'set' && mode !== 'add' && mode !== 'replace') throw new LuaError("mode must be 'set', 'add' or 'replace'");
    env.ctx.serializeValues.push({ key, value: luaRoundTrip(value), mode });
    return undefined;
  },
  'kong.log.serialize': (env) => {
    phaseCheck(env, ['log']);
    return JSON.stringify(serializeLogEntry(env.ctx, env.kongVersion));
  },

  // kong.router / plugin / node
  'kong.router.get_route': (env) => { phaseCheck(env, REQUEST_PHASES); return withoutNulls(env.ctx.route); },
  'kong.router.get_service': (env) => { phaseCheck(env, REQUEST_PHASES); return env.ctx.service ? withoutNulls(env.ctx.service) : undefined; },
  'kong.plugin.get_id': (env) => env.ctx.currentPluginId,
  'kong.node.get_id': (env) => env.nodeId,
  'kong.node.get_hostname': () => os.hostname(),
  'kong.node.get_memory_stats': () => ({
    lua_shared_dicts: {}, workers_lua_vms: [{ pid: process.pid, http_allocated_gc: process.memoryUsage().heapUsed }],
  }),
};

export function newNodeId(): string {
  return crypto.randomUUID();
}
