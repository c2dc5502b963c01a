// `okta-jwt doctor --admin-url URL` and `--kong-conf FILE`: checks a Kong node's plugin-server settings
// against what its version needs (kong-versions.ts), and over the Admin API whether every route that
// runs okta-jwt also runs the fail-closed guard; it hands the node's entities to the doctor, which judges
// every okta-jwt config on it. Read-only: GET /, GET /services, GET /routes, GET /plugins.
import fs from 'node:fs';
import { guardCode, type ScopedPlugin } from './guard-check';
import { UsageError } from './args';
import { fail, info, pass, skip, warn, type Check } from './check';
import { PLACEHOLDER_START_CMD, parseKongVersion, readinessNeedsStartCommand, startCommandBreaksAdminRoot, type KongVersion } from './kong-versions';

type Obj = Record<string, unknown>;

export interface KongNodeTarget {
  adminUrl: string;
  /** Extra request headers, e.g. Kong-Admin-Token. */
  headers: Record<string, string>;
  timeoutMs: number;
}

export interface KongNodeResult {
  checks: Check[];
  unreachable: boolean;
  /** readAdminDocument's answer; null when the lists could not be read. */
  document: Obj | null;
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const DEPLOY_DOC = 'docs/deploy.md';

/** One plugin server's settings as kong.conf names them (pluginserver_<name with _>_socket|start_cmd|query_cmd). */
interface ServerSettings { name: string; key: string; socket?: string; startCmd?: string; queryCmd?: string }

function serverSettings(settings: Obj): ServerSettings[] {
  const raw = settings.pluginserver_names;
  const names = Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' ? raw.split(',').map((n) => n.trim()).filter(Boolean) : [];
  return names.map((name) => {
    const key = `pluginserver_${name.toLowerCase().replace(/-/g, '_')}`;
    const text = (field: string) => (typeof settings[`${key}_${field}`] === 'string' && settings[`${key}_${field}`] !== '' ? String(settings[`${key}_${field}`]) : undefined);
    return { name, key, socket: text('socket'), startCmd: text('start_cmd'), queryCmd: text('query_cmd') };
  });
}

/**
 * The rules of kong-versions.ts applied to kong.conf-style settings (GET /'s `configuration`, or a
 * kong.conf / env file). `rootAnswered`: GET / answered 200 (live mode), undefined for a file.
 */
export function pluginServerChecks(version: KongVersion, settings: Obj, rootAnswered?: boolean): Check[] {
  const servers = serverSettings(settings);
  const ours = servers.filter((s) => s.name === 'okta-jwt');
  const judged = ours.length ? ours : servers;
  if (judged.length === 0) return [fail('kong.plugin_server', 'pluginserver_names names no plugin server: okta-jwt needs its own (pluginserver_names = okta-jwt)', 'pluginserver_names')];
  const checks: Check[] = [];
  for (const s of judged) {
    checks.push(info('kong.plugin_server', `${s.name}: socket ${s.socket ?? '(default)'}; query_cmd ${s.queryCmd ?? 'NOT SET'}; start_cmd ${s.startCmd ?? 'none (an external process serves the socket)'}`, `${s.key}_start_cmd`));
    if (s.queryCmd === undefined) checks.push(fail('kong.plugin_server', `${s.key}_query_cmd is not set: Kong cannot learn okta-jwt's schema (Kong 3.9 refuses to start)`, `${s.key}_query_cmd`));
    if (readinessNeedsStartCommand(version)) {
      checks.push(s.startCmd === undefined
        ? fail('kong.plugin_server.ready', `Kong ${version.text} runs an external plugin only after a readiness check it schedules for servers with a start command, and ${s.key}_start_cmd is not set: okta-jwt will never run. Kong logs "plugin server is not ready, okta-jwt will not be executed in this request" and proxies the request without it (routes with the guard answer 503). Set ${s.key}_start_cmd = ${PLACEHOLDER_START_CMD} beside the external server, or let Kong start the server (${DEPLOY_DOC}). (Kong also takes /usr/local/bin/${s.name} as a start command when that file exists; this check cannot see it.)`, `${s.key}_start_cmd`)
        : pass('kong.plugin_server.ready', `Kong ${version.text} checks the socket at start because ${s.key}_start_cmd is set (the server must answer within 20 s of each worker's start)`, `${s.key}_start_cmd`));
    } else {
      checks.push(pass('kong.plugin_server.ready', `Kong ${version.text} has no readiness check: the server is used as soon as it answers`));
    }
    if (startCommandBreaksAdminRoot(version) && s.startCmd !== undefined) {
      const seen = rootAnswered === true ? ' This GET / came from a worker that did not start the server; the one that did answers 500.' : '';
      checks.push((rootAnswered === true ? warn : fail)('kong.admin_root', `Kong ${version.text} answers the Admin API's GET / with 500 while ${s.key}_start_cmd is set: decK (sync, diff, dump, ping) cannot read this node.${seen} Remove the start command and run okta-jwt-pluginserver under a supervisor (${DEPLOY_DOC}).`, `${s.key}_start_cmd`));
    }
  }
  return checks;
}

async function adminGet(target: KongNodeTarget, pathAndQuery: string): Promise<Response> {
  return fetch(new URL(pathAndQuery, target.adminUrl), { headers: target.headers, signal: AbortSignal.timeout(target.timeoutMs), redirect: 'manual' });
}

/** Every entity of an Admin API collection, following `next` (bounded). */
async function listAll(target: KongNodeTarget, collection: string): Promise<Obj[]> {
  const out: Obj[] = [];
  let next: string | null = `/${collection}?size=1000`;
  for (let page = 0; next !== null && page < 100; page++) {
    const res = await adminGet(target, next);
    if (res.status !== 200) throw new Error(`GET /${collection} answered ${res.status}`);
    const body = (await res.json()) as { data?: unknown; next?: unknown };
    if (Array.isArray(body.data)) out.push(...body.data.filter(isObj));
    next = typeof body.next === 'string' && body.next !== '' ? body.next : null;
    // Kong's `next` is a path on the same Admin API: the admin headers (a token) go nowhere else.
    if (next !== null && new URL(next, target.adminUrl).origin !== new URL(target.adminUrl).origin) throw new Error(`GET /${collection} named a next page on another origin`);
  }
  return out;
}

const refId = (v: unknown): string | null => (isObj(v) && typeof v.id === 'string' ? v.id : null);

/** The plugin of this name that applies to a route without a consumer: route, else its service, else global (Kong's precedence). */
function applicable(plugins: Obj[], name: string, route: Obj): Obj | undefined {
  const mine = plugins.filter((p) => p.name === name && p.enabled !== false && refId(p.consumer) === null);
  const service = refId(route.service);
  return mine.find((p) => refId(p.route) === route.id)
    ?? mine.find((p) => refId(p.route) === null && service !== null && refId(p.service) === service)
    ?? mine.find((p) => refId(p.route) === null && refId(p.service) === null);
}

/** Does this post-function run the shipped guard (an earlier form refuses every request okta-jwt marks now)? */
const guards = (postFunction: Obj | undefined): boolean => guardCode(postFunction as ScopedPlugin | undefined) === 'shipped';

/**
 * The node's services, routes and plugins as a declarative document (top-level entities with
 * `{id}` references, as the Admin API returns them), so the doctor judges a live Kong with the
 * same code and the same input as a kong.yml. Works alike in DB-less and database mode: both
 * serve the lists, paged with `next`.
 */
export async function readAdminDocument(target: KongNodeTarget): Promise<Obj> {
  const [services, routes, plugins] = await Promise.all(['services', 'routes', 'plugins'].map((c) => listAll(target, c)));
  return { _format_version: '3.0', services, routes, plugins };
}

/** One check per route that runs okta-jwt: is the fail-closed guard there too? */
export function guardChecks(document: Obj): Check[] {
  const routes = Array.isArray(document.routes) ? document.routes.filter(isObj) : [];
  const plugins = Array.isArray(document.plugins) ? document.plugins.filter(isObj) : [];
  const checks: Check[] = [];
  for (const route of routes) {
    const okta = applicable(plugins, 'okta-jwt', route);
    if (okta === undefined) continue;
    const label = `route "${String(route.name ?? route.id)}"`;
    const marks = isObj(okta.config) && okta.config.fail_closed_guard === true;
    const guarded = guards(applicable(plugins, 'post-function', route));
    if (marks && guarded) checks.push(pass('kong.guard', `${label}: okta-jwt with the fail-closed guard`, 'fail_closed_guard'));
    else {
      const missing = [marks ? null : 'fail_closed_guard: true in okta-jwt\'s config', guarded ? null : 'the guard\'s post-function (docs/fail-closed-guard.md)'].filter(Boolean).join(' and ');
      checks.push(fail('kong.guard', `${label}: okta-jwt without the fail-closed guard (missing ${missing}). When Kong skips okta-jwt (plugin server down, stalled, or on Kong 3.4 never ready) this route proxies requests unauthenticated (docs/fail-closed-guard.md)`, 'fail_closed_guard'));
    }
  }
  if (checks.length === 0) checks.push(info('kong.guard', 'no route runs okta-jwt (consumer-scoped plugins are not examined)'));
  return checks;
}

/** The live checks: GET / (version, plugin-server settings), then the guard on every okta-jwt route. */
export async function kongNodeChecks(target: KongNodeTarget): Promise<KongNodeResult> {
  let res: Response;
  try {
    res = await adminGet(target, '/');
  } catch (err) {
    return { checks: [fail('kong.admin', `cannot reach the Admin API at ${target.adminUrl}: ${(err as Error).message}`, null)], unreachable: true, document: null };
  }
  if (res.status === 401 || res.status === 403) {
    return { checks: [fail('kong.admin', `the Admin API refused GET / with ${res.status}: give its credentials with --admin-header 'Kong-Admin-Token: …'`, null)], unreachable: false, document: null };
  }
  const body = res.status === 200 ? ((await res.json().catch(() => ({}))) as Obj) : {};
  if (res.status !== 200) await res.body?.cancel();
  const version = parseKongVersion(typeof body.version === 'string' ? body.version : res.headers.get('server') ?? '');
  const checks: Check[] = [];
  checks.push(version === null ? warn('kong.version', 'Kong did not say its version (GET / and the Server header)') : info('kong.version', `Kong ${version.text}${typeof body.edition === 'string' ? ` (${body.edition})` : ''}`));
  if (res.status !== 200) {
    const why = version !== null && startCommandBreaksAdminRoot(version)
      ? `Kong ${version.text} does this while it runs a plugin server it started itself (a pluginserver_<name>_start_cmd is set): it keeps the process handle in its configuration and cannot serialise it. decK (sync, diff, dump, ping) fails against this node. Remove the start command and run okta-jwt-pluginserver under a supervisor (${DEPLOY_DOC}).`
      : 'Admin API clients that read GET / (decK) fail against this node.';
    checks.push(fail('kong.admin_root', `GET / answered ${res.status}. ${why}`, null));
  } else {
    const available = isObj(body.plugins) && isObj((body.plugins as Obj).available_on_server) ? ((body.plugins as Obj).available_on_server as Obj) : {};
    checks.push('okta-jwt' in available ? pass('kong.plugin', 'okta-jwt is loaded') : fail('kong.plugin', 'okta-jwt is not loaded on this node: plugins = bundled,okta-jwt and its plugin server settings', 'plugins'));
    const configuration = isObj(body.configuration) ? body.configuration : null;
    if (configuration === null || version === null) checks.push(skip('kong.plugin_server', 'GET / did not report the configuration or version'));
    else {
      const rules = pluginServerChecks(version, configuration, true);
      if (!rules.some((c) => c.id === 'kong.admin_root')) rules.push(pass('kong.admin_root', 'GET / answers 200: decK can read this node'));
      checks.push(...rules);
    }
  }
  let document: Obj | null = null;
  try {
    document = await readAdminDocument(target);
    checks.push(...guardChecks(document));
  } catch (err) {
    checks.push(fail('kong.guard', `cannot list services, routes and plugins (neither the guard nor the okta-jwt configs are checked): ${(err as Error).message}`, null));
  }
  return { checks, unreachable: false, document };
}

/** A kong.conf or environment file's settings (readKongSettings). */
export function readKongConfFile(file: string): Obj {
  try {
    return readKongSettings(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** kong.conf (`key = value`, # comments) or an environment file (KONG_KEY=value): settings by kong.conf name. */
export function readKongSettings(text: string): Obj {
  const settings: Obj = Object.create(null) as Obj;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const env = /^(?:export\s+)?KONG_([A-Z0-9_]+)=(.*)$/.exec(line);
    if (env) settings[env[1]!.toLowerCase()] = env[2]!.replace(/^(["'])(.*)\1$/, '$2');
    else {
      const eq = line.indexOf('=');
      // kong.conf: a # starts a comment unless escaped as \#.
      if (eq > 0) settings[line.slice(0, eq).trim().toLowerCase()] = line.slice(eq + 1).replace(/(^|[^\\])#.*$/, '$1').replace(/\\#/g, '#').trim();
    }
  }
  return settings;
}
