// Applying a scenario's configuration to the gateway under test, and waiting until the proxy runs it.
//
// Kong answers the Admin API before its workers run a change (batch3 §1: DB-less some ms after POST
// /config's 201; DB mode ~0.6 s for routes, `worker_state_update_frequency` = 5 s for plugins). Like
// Kong's own spec helpers (wait_for_all_config_update), the suite waits for a sentinel: a route with a
// fresh path whose pre-function answers a fresh nonce. It is written after (or with) the scenario's
// change, so once the proxy answers it, the scenario's change runs as well:
//   DB-less   the sentinel is part of the declarative config: Kong swaps the whole config at once.
//   DB mode   the scenario's config is applied through the Admin API the way decK sync or an operator
//             does it (create, PATCH/PUT, DELETE), then the sentinel service, route and plugin are
//             created last: the router and the plugins iterator are rebuilt from the database, so
//             earlier writes are live when the sentinel is. The sentinel is removed again.
import crypto from 'node:crypto';
import type { Gateway } from './gateway';
import { send, type HttpResponse } from './http-client';

type Obj = Record<string, unknown>;

/** How long a change may take to run, default 20 s (Kong's plugins iterator alone takes 5 s in DB mode). */
const deadlineMs = (): number => Number(process.env.KONG_CONFIG_WAIT_MS ?? 20000);
const SENTINEL = 'config-sentinel';
const POLL_MS = 10;
const NOWHERE = 'http://127.0.0.1:1';

interface Sentinel { nonce: string; path: string; service: Obj }

function newSentinel(): Sentinel {
  const nonce = crypto.randomBytes(8).toString('hex');
  const path = `/${SENTINEL}/${nonce}`;
  const plugin = { name: 'pre-function', config: { access: [`return kong.response.exit(200, { message = "${nonce}" })`] } };
  // Its service leads nowhere (connection refused, no retry): in DB mode the route runs before its plugin
  // does, and those polls must not reach the scenario's upstream.
  return { nonce, path, service: { name: `${SENTINEL}-${nonce}`, url: NOWHERE, retries: 0, routes: [{ name: `${SENTINEL}-${nonce}`, paths: [path], plugins: [plugin] }] } };
}

function answersNonce(text: string, nonce: string): boolean {
  try {
    return (JSON.parse(text) as { message?: unknown }).message === nonce;
  } catch {
    return false;
  }
}

/** Polls the sentinel route until it answers its nonce, or fails with what the proxy answered instead. */
async function sentinelLive(gw: Gateway, sentinel: Sentinel): Promise<void> {
  const started = Date.now();
  let last = 'no answer';
  while (Date.now() - started < deadlineMs()) {
    const res = await send('GET', gw.proxyUrl + sentinel.path).catch((e: Error) => ({ status: 0, text: e.message }));
    if (res.status === 200 && answersNonce(res.text, sentinel.nonce)) return; // not the upstream echoing the path
    last = `${res.status} ${res.text.slice(0, 200)}`;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  throw new Error(`configuration not live after ${deadlineMs()} ms (KONG_CONFIG_WAIT_MS): the sentinel ${gw.proxyUrl}${sentinel.path} ` +
    `answered ${last}, not 200 {"message":"${sentinel.nonce}"}; is ${gw.proxyUrl} the proxy of the Kong behind ${gw.adminUrl}?`);
}

/**
 * Applies a kong.yml-shaped config (DB-less: POST /config; DB mode: Admin API writes) and, when the
 * gateway accepted it, waits until the proxy runs it. Returns the Admin API's answer: the /config
 * response, or in DB mode the first refused write (else the last write).
 */
export async function applyConfig(gw: Gateway, config: Obj): Promise<HttpResponse> {
  const sentinel = newSentinel();
  if (gw.database === 'off') {
    const res = await gw.postConfig({ ...config, services: [...((config.services as Obj[] | undefined) ?? []), sentinel.service] });
    if (res.status === 201) await sentinelLive(gw, sentinel);
    return res;
  }
  const res = await syncThroughAdminApi(gw, config);
  if (res.status < 300) await waitForConfig(gw, sentinel);
  return res;
}

/** applyConfig that must succeed. */
export async function useConfig(gw: Gateway, config: Obj): Promise<void> {
  const res = await applyConfig(gw, config);
  if (res.status >= 300) throw new Error(`the gateway refused the configuration: ${res.status} ${res.text}`);
}

/** DB mode: waits until every Admin API write made so far runs on the proxy path. */
export async function waitForConfig(gw: Gateway, sentinel = newSentinel()): Promise<void> {
  if (gw.database === 'off') throw new Error('waitForConfig is for DB mode; DB-less configs go through applyConfig');
  const routes = sentinel.service.routes as Obj[];
  const service = await write(gw, 'POST', '/services', { name: sentinel.service.name, url: sentinel.service.url, retries: 0 });
  const route = await write(gw, 'POST', `/services/${service.id}/routes`, { name: routes[0]!.name, paths: routes[0]!.paths });
  const plugin = await write(gw, 'POST', `/routes/${route.id}/plugins`, (routes[0]!.plugins as Obj[])[0]!);
  try {
    await sentinelLive(gw, sentinel);
  } finally {
    for (const path of [`/plugins/${plugin.id}`, `/routes/${route.id}`, `/services/${service.id}`]) await write(gw, 'DELETE', path);
  }
}

async function write(gw: Gateway, method: string, path: string, body?: unknown): Promise<Obj> {
  const res = await gw.admin(method, path, body);
  if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status} ${res.text}`);
  return res.status === 204 ? {} : res.json();
}

// ------------------------------------------------------------------ DB mode: the config as Admin API writes

interface PluginSpec { body: Obj; scope: { route?: string; service?: string; consumer?: string } }

const list = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);

/** The plugins of a kong.yml with their scope named (route, service or consumer name; none = global). */
function pluginSpecs(config: Obj): PluginSpec[] {
  const out: PluginSpec[] = [];
  for (const s of list(config.services)) {
    for (const p of list(s.plugins)) out.push({ body: p, scope: { service: s.name as string } });
    for (const r of list(s.routes)) for (const p of list(r.plugins)) out.push({ body: p, scope: { route: r.name as string } });
  }
  for (const c of list(config.consumers)) for (const p of list(c.plugins)) out.push({ body: p, scope: { consumer: c.username as string } });
  for (const p of list(config.plugins)) out.push({ body: p, scope: {} });
  return out;
}

/** Every entity of a collection: Kong pages its lists (`next`) in both database modes. */
async function all(gw: Gateway, path: string): Promise<Obj[]> {
  const out: Obj[] = [];
  for (let page: string | null = `${path}?size=1000`; page !== null;) {
    const res = await gw.admin('GET', page);
    if (res.status !== 200) throw new Error(`GET ${page} answered ${res.status} ${res.text}`);
    const body = res.json<{ data: Obj[]; next?: string | null }>();
    out.push(...body.data);
    page = typeof body.next === 'string' && body.next !== '' ? body.next : null;
  }
  return out;
}

/**
 * Brings the database to the config: services, routes and consumers matched by name are PATCHed,
 * missing ones created, others deleted; plugins matched by name and scope are replaced (PUT: a PATCH
 * would keep config fields the new config leaves out), missing ones created, others deleted.
 */
async function syncThroughAdminApi(gw: Gateway, config: Obj): Promise<HttpResponse> {
  const [services, routes, consumers, plugins] = await Promise.all(['/services', '/routes', '/consumers', '/plugins'].map((p) => all(gw, p)));
  const nameOf = (entities: Obj[], field: string, ref: unknown) => entities.find((e) => e.id === (ref as Obj | null)?.id)?.[field] as string | undefined;
  const keyOf = (name: unknown, scope: PluginSpec['scope']) => `${name}|${scope.route ?? ''}|${scope.service ?? ''}|${scope.consumer ?? ''}`;
  const existing = new Map(plugins.map((p) => [keyOf(p.name, { route: nameOf(routes, 'name', p.route), service: nameOf(services, 'name', p.service), consumer: nameOf(consumers, 'username', p.consumer) }), p]));
  const wanted = pluginSpecs(config);
  const wantedKeys = new Set(wanted.map((w) => keyOf(w.body.name, w.scope)));
  const wantedServices = list(config.services);
  const wantedRoutes: Obj[] = wantedServices.flatMap((s) => list(s.routes).map((r) => ({ ...r, service: s.name })));
  const wantedConsumers = list(config.consumers);

  let last: HttpResponse | undefined;
  const step = async (method: string, path: string, body?: unknown): Promise<HttpResponse | undefined> => {
    last = await gw.admin(method, path, body);
    return last.status >= 300 && last.status !== 404 ? last : undefined; // a 404 DELETE: already gone
  };
  const steps: Array<() => Promise<HttpResponse | undefined>> = [];
  for (const [key, p] of existing) if (!wantedKeys.has(key)) steps.push(() => step('DELETE', `/plugins/${p.id}`));
  for (const r of routes) if (!wantedRoutes.some((w) => w.name === r.name)) steps.push(() => step('DELETE', `/routes/${r.id}`));
  for (const s of services) if (!wantedServices.some((w) => w.name === s.name)) steps.push(() => step('DELETE', `/services/${s.id}`));
  for (const c of consumers) if (!wantedConsumers.some((w) => w.username === c.username)) steps.push(() => step('DELETE', `/consumers/${c.id}`));
  const serviceIds = new Map(services.map((s) => [s.name, s.id])); // foreign keys in bodies are ids
  for (const s of wantedServices) {
    const found = services.find((e) => e.name === s.name);
    steps.push(async () => {
      const refused = await (found ? step('PATCH', `/services/${found.id}`, { url: s.url }) : step('POST', '/services', { name: s.name, url: s.url }));
      if (!found && !refused) serviceIds.set(s.name, last!.json().id);
      return refused;
    });
  }
  for (const r of wantedRoutes) {
    const found = routes.find((e) => e.name === r.name);
    steps.push(() => {
      const body = { name: r.name, paths: r.paths ?? null, service: { id: serviceIds.get(r.service) } };
      return found ? step('PATCH', `/routes/${found.id}`, body) : step('POST', `/services/${serviceIds.get(r.service)}/routes`, body);
    });
  }
  for (const c of wantedConsumers) {
    const found = consumers.find((e) => e.username === c.username);
    steps.push(() => (found ? step('PATCH', `/consumers/${found.id}`, { custom_id: c.custom_id ?? null }) : step('POST', '/consumers', { username: c.username, custom_id: c.custom_id })));
    steps.push(() => syncAcls(gw, String(c.username), list(c.acls).map((a) => String(a.group)), step));
  }
  for (const w of wanted) {
    const found = existing.get(keyOf(w.body.name, w.scope));
    const { route, service, consumer } = w.scope;
    const path = route ? `/routes/${route}/plugins` : service ? `/services/${service}/plugins` : consumer ? `/consumers/${consumer}/plugins` : '/plugins';
    steps.push(() => (found ? step('PUT', `/plugins/${found.id}`, { ...w.body, ...scopeIds(found) }) : step('POST', path, w.body)));
  }
  for (const run of steps) {
    const refused = await run();
    if (refused) return refused;
  }
  return last ?? (await gw.admin('GET', '/status'));
}

/** The route/service/consumer references of a stored plugin, for a PUT that keeps its scope. */
function scopeIds(p: Obj): Obj {
  return Object.fromEntries(['route', 'service', 'consumer'].map((f) => [f, p[f] ?? null]));
}

async function syncAcls(gw: Gateway, username: string, groups: string[], step: (m: string, p: string, b?: unknown) => Promise<HttpResponse | undefined>): Promise<HttpResponse | undefined> {
  const have = await all(gw, `/consumers/${encodeURIComponent(username)}/acls`);
  for (const a of have) if (!groups.includes(String(a.group))) {
    const refused = await step('DELETE', `/consumers/${encodeURIComponent(username)}/acls/${a.id}`);
    if (refused) return refused;
  }
  for (const g of groups) if (!have.some((a) => a.group === g)) {
    const refused = await step('POST', `/consumers/${encodeURIComponent(username)}/acls`, { group: g });
    if (refused) return refused;
  }
  return undefined;
}
