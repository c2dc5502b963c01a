// "Lua-equivalent" bundled plugins, implemented in TypeScript inside the double. A bundled plugin has
// a name, a priority, a config normaliser (defaults; throws a message on invalid config) and
// access/log handlers that act on the RequestContext like the real Lua plugin would.
//
// pre-function / post-function: configured as in kong.yml (`config.access: [<lua source>, …]`), but
// only this small Lua subset is understood (statements separated by newlines or `;`):
//   kong.service.request.clear_header("<name>")
//   kong.service.request.set_header("<name>", "<value>")
//   kong.client.authenticate(kong.client.load_consumer("<id or username>", true), { id = "<credential id>" })
//   if kong.request.get_header("<name>") ~= "<value>" then return kong.response.exit(<status>[, <body>]) end
//   if not kong.request.get_header("<name>") then return kong.response.exit(<status>[, <body>]) end
//   if kong.ctx.shared.<key> ~= true then return kong.response.exit(<status>[, <body>]) end
//   local <name> = kong.ctx.shared.<key>
//   if type(<name>) ~= "table"[ or <name>.<field> ~= true] then return kong.response.exit(<status>[, <body>]) end
//   if <name>.<field> then kong.service.request.set_headers(<name>.<field>) end
//   return kong.response.exit(<status>[, <body>])
// where <body> is "<text>" or { message = "<text>" }.
// Anything else is rejected when the config is loaded. A Lua error in a statement (set_headers
// refusing a value) is thrown as the PDK's LuaError: the pipeline answers 500 as Kong does.
//
// http-log: kong.log.serialize's entry as JSON, POSTed (or PUT/PATCH) to config.http_endpoint after the
// response, one entry per request (Kong's default queue batch of 1 sends the object, not an array).
import http from 'node:http';
import type { EntityStore } from './entities';
import { executePdk, serializeLogEntry, type PdkEnv } from './pdk';
import type { RequestContext } from './request-context';
import type { ErrorLog } from './recorder';
import { errorResponse, type KongVersion } from './responses';

export interface BundledEnv {
  ctx: RequestContext;
  store: EntityStore;
  kongVersion: KongVersion;
  log: ErrorLog;
  nodeId: string;
  /** Response headers the plugin adds to whatever the client gets (e.g. rate-limit headers). */
  addResponseHeader(name: string, value: string): void;
}

export interface BundledPlugin {
  name: string;
  priority: number;
  /** Config with defaults applied; throws Error(message) when invalid. */
  normalize(config: Record<string, unknown>): Record<string, unknown>;
  access?(env: BundledEnv, config: Record<string, unknown>): void;
  log?(env: BundledEnv, config: Record<string, unknown>): void;
}

function respondError(env: BundledEnv, status: number, message: string): void {
  env.ctx.exit = errorResponse(status, message, [], env.ctx.firstHeader('accept'), env.ctx.requestId, env.kongVersion);
}

// ---------------------------------------------------------------- acl (950)
/**
 * Outcomes as observed in batch2 30–36: consumer in an allowed group → pass (X-Consumer-Groups);
 * credential without consumer and no authenticated groups → 403; nobody / a consumer without
 * groups and without credential → 401; groups from ctx.shared.authenticated_groups when there is
 * no credential-bound consumer (X-Authenticated-Groups).
 */
const acl: BundledPlugin = {
  name: 'acl',
  priority: 950,
  normalize(c) {
    if (!c.allow && !c.deny) throw new Error('at least one of these fields must be non-empty: \'config.allow\', \'config.deny\'');
    return { allow: c.allow ?? null, deny: c.deny ?? null, hide_groups_header: c.hide_groups_header ?? false, include_consumer_groups: c.include_consumer_groups ?? false, always_use_authenticated_groups: c.always_use_authenticated_groups ?? false };
  },
  access(env, c) {
    const { ctx, store } = env;
    const consumerId = (ctx.consumer?.id as string | undefined) ?? (ctx.credential?.consumer_id as string | undefined);
    const shared = ctx.shared.get('authenticated_groups');
    const authGroups = Array.isArray(shared) ? (shared as string[]) : undefined;
    let groups: string[] | undefined;
    let header: string;
    if (consumerId && !(authGroups && !ctx.credential)) {
      groups = store.acls.filter((a) => a.consumer.id === consumerId).map((a) => a.group);
      header = 'X-Consumer-Groups';
    } else {
      groups = authGroups;
      header = 'X-Authenticated-Groups';
    }
    if (!groups || groups.length === 0) {
      if (!consumerId && ctx.credential) return respondError(env, 403, 'You cannot consume this service');
      if (!consumerId || !ctx.credential) return respondError(env, 401, 'Unauthorized');
    }
    const allow = c.allow as string[] | null;
    const deny = c.deny as string[] | null;
    const list = groups ?? [];
    const blocked = (allow && !list.some((g) => allow.includes(g))) || (deny && list.some((g) => deny.includes(g)));
    if (blocked) return respondError(env, 403, 'You cannot consume this service');
    if (!c.hide_groups_header) ctx.setUpstreamHeader(header, [list.join(', ')]);
  },
};

// ---------------------------------------------------------------- rate-limiting (910)
const windows = new Map<string, { start: number; count: number }>();

const rateLimiting: BundledPlugin = {
  name: 'rate-limiting',
  priority: 910,
  normalize(c) {
    if (typeof c.minute !== 'number') throw new Error('this double supports only config.minute');
    return { minute: c.minute, limit_by: c.limit_by ?? 'consumer', policy: c.policy ?? 'local', hide_client_headers: c.hide_client_headers ?? false };
  },
  access(env, c) {
    const { ctx } = env;
    const id = c.limit_by === 'ip' ? ctx.clientIp : ((ctx.consumer?.id ?? ctx.credential?.id ?? ctx.clientIp) as string);
    const now = Date.now();
    const minuteStart = now - (now % 60000);
    const key = `${ctx.route.id}:${id}`;
    const w = windows.get(key);
    const win = w && w.start === minuteStart ? w : { start: minuteStart, count: 0 };
    windows.set(key, win);
    const limit = c.minute as number;
    const remaining = limit - win.count - 1;
    if (!c.hide_client_headers) {
      const reset = String(Math.ceil((minuteStart + 60000 - now) / 1000));
      env.addResponseHeader('X-RateLimit-Limit-Minute', String(limit));
      env.addResponseHeader('RateLimit-Remaining', String(Math.max(0, remaining)));
      env.addResponseHeader('RateLimit-Reset', reset);
      env.addResponseHeader('RateLimit-Limit', String(limit));
      env.addResponseHeader('X-RateLimit-Remaining-Minute', String(Math.max(0, remaining)));
      if (remaining < 0) env.addResponseHeader('Retry-After', reset);
    }
    if (remaining < 0) return respondError(env, 429, 'API rate limit exceeded');
    win.count++;
  },
};

// ---------------------------------------------------------------- pre-/post-function
/** The snippet's `local` variables: Lua values as the double keeps them (luaRoundTrip). */
type Locals = Map<string, unknown>;
type Statement = (env: BundledEnv, locals: Locals) => boolean; // false = stop (exit)
const NAME = '([A-Za-z_][A-Za-z0-9_]*)';

/** `t.field` in Lua: nil unless t is a table holding the field (own keys only: Lua tables have no prototype). */
function field(table: unknown, name: string): unknown {
  return typeof table === 'object' && table !== null && Object.hasOwn(table, name) ? (table as Record<string, unknown>)[name] : undefined;
}

/** Lua's type(v) for the values kong.ctx.shared holds. */
function luaTypeOf(v: unknown): string {
  if (v === undefined || v === null) return 'nil';
  if (typeof v === 'object') return 'table';
  return typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'boolean' : 'string';
}

/** A PDK function called from Lua: the same checks and effects as a call from a JS plugin. */
function pdkFromLua(env: BundledEnv, method: string, args: unknown[]): void {
  const pdkEnv: PdkEnv = { ctx: env.ctx, pluginName: 'function', kongVersion: env.kongVersion, store: env.store, log: env.log, nodeId: env.nodeId };
  executePdk(pdkEnv, method, args);
}

const STR = '"([^"]*)"';
/** `return kong.response.exit(<status>[, "<text>" | { message = "<text>" }])`: groups status, text body, message. */
const EXIT_RE = `return kong\\.response\\.exit\\((\\d+)(?:\\s*,\\s*(?:${STR}|\\{\\s*message\\s*=\\s*${STR}\\s*\\}))?\\)`;
const exitFrom = (m: RegExpMatchArray, at: number) => (env: BundledEnv) => exitWith(env, Number(m[at]), m[at + 1], m[at + 2]);
const PATTERNS: Array<[RegExp, (m: RegExpMatchArray) => Statement]> = [
  [new RegExp(`^kong\\.service\\.request\\.clear_header\\(${STR}\\)$`), (m) => (env) => (env.ctx.clearUpstreamHeader(m[1]!), true)],
  [new RegExp(`^kong\\.service\\.request\\.set_header\\(${STR}\\s*,\\s*${STR}\\)$`), (m) => (env) => (env.ctx.setUpstreamHeader(m[1]!, [m[2]!]), true)],
  // What an auth plugin that ran first leaves behind (kong.client.get_credential sees the credential).
  [new RegExp(`^kong\\.client\\.authenticate\\(kong\\.client\\.load_consumer\\(${STR}\\s*,\\s*true\\)\\s*,\\s*\\{\\s*id\\s*=\\s*${STR}\\s*\\}\\)$`), (m) => (env) => {
    const consumer = env.store.consumers.find((c) => c.id === m[1] || c.username === m[1]);
    env.ctx.consumer = consumer === undefined ? null : { ...consumer };
    env.ctx.credential = { id: m[2] };
    return true;
  }],
  [new RegExp(`^if kong\\.request\\.get_header\\(${STR}\\) ~= ${STR} then ${EXIT_RE} end$`), (m) => (env) => {
    if (env.ctx.kongHeader(m[1]!, env.kongVersion) === m[2]) return true;
    exitFrom(m, 3)(env);
    return false;
  }],
  [new RegExp(`^if not kong\\.request\\.get_header\\(${STR}\\) then ${EXIT_RE} end$`), (m) => (env) => {
    if (env.ctx.kongHeader(m[1]!, env.kongVersion) !== undefined) return true;
    exitFrom(m, 2)(env);
    return false;
  }],
  // The fail-closed guard: kong.ctx.shared of this request (RequestContext.shared), as a JS plugin set it.
  [new RegExp(`^if kong\\.ctx\\.shared\\.${NAME} ~= true then ${EXIT_RE} end$`), (m) => (env) => {
    if (env.ctx.shared.get(m[1]!) === true) return true;
    exitFrom(m, 2)(env);
    return false;
  }],
  [new RegExp(`^local ${NAME} = kong\\.ctx\\.shared\\.${NAME}$`), (m) => (env, locals) => (locals.set(m[1]!, env.ctx.shared.get(m[2]!)), true)],
  [new RegExp(`^if type\\(${NAME}\\) ~= "table"(?: or \\1\\.${NAME} ~= true)? then ${EXIT_RE} end$`), (m) => (env, locals) => {
    const value = locals.get(m[1]!);
    if (luaTypeOf(value) === 'table' && (m[2] === undefined || field(value, m[2]) === true)) return true;
    exitFrom(m, 3)(env);
    return false;
  }],
  [new RegExp(`^if ${NAME}\\.${NAME} then kong\\.service\\.request\\.set_headers\\(\\1\\.\\2\\) end$`), (m) => (env, locals) => {
    const headers = field(locals.get(m[1]!), m[2]!);
    // Lua's `if`: only nil and false skip.
    if (headers !== undefined && headers !== null && headers !== false) pdkFromLua(env, 'kong.service.request.set_headers', [headers]);
    return true;
  }],
  [new RegExp(`^${EXIT_RE}$`), (m) => (env) => (exitFrom(m, 1)(env), false)],
];

/** A string body goes out as is (no Content-Type); a { message = … } table as JSON, as Kong encodes tables. */
function exitWith(env: BundledEnv, status: number, text: string | undefined, message: string | undefined): void {
  if (message !== undefined) {
    env.ctx.exit = { status, body: Buffer.from(JSON.stringify({ message })), headers: [['Content-Type', 'application/json; charset=utf-8']], source: 'exit' };
    return;
  }
  env.ctx.exit = { status, body: text === undefined ? undefined : Buffer.from(text), headers: [], source: 'exit' };
}

export function compileSnippet(source: string): Statement[] {
  return source.split(/\n|;/).map((s) => s.trim()).filter(Boolean).map((stmt) => {
    for (const [re, make] of PATTERNS) {
      const m = stmt.match(re);
      if (m) return make(m);
    }
    throw new Error(`unsupported Lua statement in function plugin (kong-double subset): ${stmt}`);
  });
}

function functionPlugin(name: string, priority: number): BundledPlugin {
  return {
    name,
    priority,
    normalize(c) {
      const access = (c.access ?? []) as string[];
      if (!Array.isArray(access)) throw new Error('config.access must be an array of strings');
      access.forEach(compileSnippet);
      return { access, log: c.log ?? [] };
    },
    access(env, c) {
      for (const snippet of c.access as string[]) {
        const locals: Locals = new Map();
        for (const stmt of compileSnippet(snippet)) if (!stmt(env, locals)) return;
      }
    },
  };
}

// ---------------------------------------------------------------- request-termination (2)
const requestTermination: BundledPlugin = {
  name: 'request-termination',
  priority: 2,
  normalize(c) {
    return { status_code: c.status_code ?? 503, message: c.message ?? null, body: c.body ?? null, content_type: c.content_type ?? null };
  },
  access(env, c) {
    if (c.body) {
      env.ctx.exit = { status: c.status_code as number, body: Buffer.from(c.body as string), headers: [['Content-Type', (c.content_type as string) ?? 'application/json; charset=utf-8']], source: 'exit' };
      return;
    }
    env.ctx.exit = { status: c.status_code as number, body: Buffer.from(JSON.stringify({ message: c.message ?? 'Service unavailable' })), headers: [['Content-Type', 'application/json; charset=utf-8']], source: 'exit' };
  },
};

// ---------------------------------------------------------------- http-log (12)
const httpLog: BundledPlugin = {
  name: 'http-log',
  priority: 12,
  normalize(c) {
    if (typeof c.http_endpoint !== 'string' || !/^https?:\/\//.test(c.http_endpoint)) throw new Error('config.http_endpoint: required field missing');
    if (c.custom_fields_by_lua) throw new Error('this double does not run config.custom_fields_by_lua');
    const method = c.method ?? 'POST';
    if (!['POST', 'PUT', 'PATCH'].includes(method as string)) throw new Error('config.method: expected one of: POST, PUT, PATCH');
    return { http_endpoint: c.http_endpoint, method, content_type: c.content_type ?? 'application/json', headers: c.headers ?? null };
  },
  log(env, c) {
    const body = JSON.stringify(serializeLogEntry(env.ctx, env.kongVersion));
    const headers = { ...(c.headers as Record<string, string> | null), 'Content-Type': c.content_type as string, 'Content-Length': String(Buffer.byteLength(body)) };
    // Sent after the response, never awaited by the request; a failure is Kong's log line, not the client's.
    const req = http.request(c.http_endpoint as string, { method: c.method as string, headers });
    req.on('error', () => undefined);
    req.on('response', (res) => res.resume());
    req.end(body);
  },
};

export const BUNDLED_PLUGINS: ReadonlyMap<string, BundledPlugin> = new Map(
  [acl, rateLimiting, functionPlugin('pre-function', 1000000), functionPlugin('post-function', -1000), requestTermination, httpLog].map((p) => [p.name, p]),
);
