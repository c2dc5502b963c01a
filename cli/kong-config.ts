// Finds the okta-jwt config that applies to a route or service in a declarative Kong config
// (kong.yml / decK, _format_version 3.0), with Kong's precedence: a plugin on the route, else on
// its service, else a global one. Plugins may be nested (services[].plugins, routes[].plugins) or
// top level with a route/service reference (as decK files and the Admin API's lists have them).
// Consumer-scoped plugins are not considered. decK's `${{ env "DECK_X" }}` placeholders are
// expanded from the environment first, as decK does. Saved Admin API output (`GET /plugins`, one
// page `{data, next}`) is read as the top-level plugins of a document.
import fs from 'node:fs';
import { UsageError } from './args';
import type { ScopedPlugin, ScopeNames } from './guard-check';

type Entity = Record<string, unknown>;

export interface SelectedConfig {
  config: Record<string, unknown>;
  /** Where the plugin was found, e.g. 'route "orders"' or 'service "orders" (applies to route "orders")'. */
  where: string;
}

function isEntity(v: unknown): v is Entity {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function list(v: unknown): Entity[] {
  return Array.isArray(v) ? v.filter(isEntity) : [];
}

/** A reference as decK writes it: a name or id string, or {name} / {id}. */
function refersTo(ref: unknown, entity: Entity): boolean {
  const key = isEntity(ref) ? (ref.name ?? ref.id) : ref;
  return typeof key === 'string' && (key === entity.name || key === entity.id);
}

function oktaJwt(plugins: Entity[]): Entity | undefined {
  return plugins.find((p) => p.name === 'okta-jwt' && p.enabled !== false);
}

async function parseDocument(file: string): Promise<unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  text = expandDeckEnv(text, file);
  if (file.endsWith('.json') || text.trimStart().startsWith('{')) {
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new UsageError(`${file} is not valid JSON: ${(err as Error).message}`);
    }
  }
  let yaml: typeof import('yaml');
  try {
    yaml = await import('yaml');
  } catch {
    throw new UsageError(`reading YAML needs the "yaml" package (npm install yaml), or give the config as JSON (deck file convert / kong config db_export)`);
  }
  try {
    return yaml.parse(text);
  } catch (err) {
    throw new UsageError(`${file} is not valid YAML: ${(err as Error).message}`);
  }
}

/** decK's template syntax; it reads only variables named DECK_*. Linear: no nested quantifiers. */
const DECK_ENV = /\$\{\{\s*env\s+"([^"]*)"\s*\}\}/g;

export function expandDeckEnv(text: string, file: string, env: NodeJS.ProcessEnv = process.env): string {
  return text.replace(DECK_ENV, (placeholder, name: string) => {
    if (!name.startsWith('DECK_')) throw new UsageError(`${file}: ${placeholder} names "${name}"; decK reads only environment variables starting with DECK_`);
    const value = env[name];
    if (value === undefined) throw new UsageError(`${file}: ${placeholder} needs the environment variable ${name}, which is not set (decK would refuse the file too)`);
    return value;
  });
}

interface Located {
  service: Entity | undefined;
  route: Entity | undefined;
}

function locate(doc: Entity, route: string | null, service: string | null): Located {
  const services = list(doc.services);
  const routes = [
    ...services.flatMap((s) => list(s.routes).map((r) => ({ route: r, service: s }))),
    ...list(doc.routes).map((r) => ({ route: r, service: services.find((s) => refersTo(r.service, s)) })),
  ];
  if (route !== null) {
    const found = routes.find((r) => r.route.name === route || r.route.id === route);
    if (found === undefined) throw new UsageError(`no route named "${route}" in the config`);
    return found;
  }
  if (service !== null) {
    const found = services.find((s) => s.name === service || s.id === service);
    if (found === undefined) throw new UsageError(`no service named "${service}" in the config`);
    return { service: found, route: undefined };
  }
  return { service: undefined, route: undefined };
}

/**
 * An Admin API list page as a document: its plugins at top level, and the routes and services they
 * name as bare `{id}` entities (a saved GET /plugins does not say which service a route belongs to,
 * so a route's own plugin or a global one is found, not its service's: give --service for that).
 */
function asDocument(document: Entity): Entity {
  if (!Array.isArray(document.data) || '_format_version' in document) return document;
  const plugins = list(document.data);
  const referenced = (kind: 'route' | 'service') => [...new Set(plugins.map((p) => (isEntity(p[kind]) ? p[kind].id : undefined)).filter((id): id is string => typeof id === 'string'))].map((id) => ({ id }));
  return { plugins, routes: referenced('route'), services: referenced('service') };
}

export function selectPluginConfig(parsed: unknown, route: string | null, service: string | null): SelectedConfig {
  if (!isEntity(parsed)) throw new UsageError('the config file does not hold a declarative Kong config (a mapping)');
  const document = asDocument(parsed);
  const top = list(document.plugins);
  const located = locate(document, route, service);
  const scoped = (entity: Entity | undefined, kind: 'route' | 'service'): Entity | undefined =>
    entity === undefined ? undefined : oktaJwt([...list(entity.plugins), ...top.filter((p) => p.consumer == null && refersTo(p[kind], entity))]);
  const global = oktaJwt(top.filter((p) => p.route == null && p.service == null && p.consumer == null));

  const name = (e: Entity | undefined) => String(e?.name ?? e?.id ?? '?');
  const target = located.route !== undefined ? `route "${name(located.route)}"` : located.service !== undefined ? `service "${name(located.service)}"` : null;
  const candidates: Array<[Entity | undefined, string]> = [
    [scoped(located.route, 'route'), `route "${name(located.route)}"`],
    [scoped(located.service, 'service'), `service "${name(located.service)}"`],
    [global, 'global plugin'],
  ];
  for (const [plugin, where] of candidates) {
    if (plugin === undefined) continue;
    const config = isEntity(plugin.config) ? plugin.config : {};
    return { config, where: target === null || where.startsWith(target) ? where : `${where} (applies to ${target})` };
  }
  if (target === null) {
    const count = countPlugins(document);
    throw new UsageError(count === 0 ? 'no okta-jwt plugin in the config' : `no global okta-jwt plugin; name the --route or --service (${count} scoped okta-jwt plugins found)`);
  }
  throw new UsageError(`no okta-jwt plugin applies to ${target}${hint(document, located)}`);
}

/** Where the okta-jwt plugins are, as the --route/--service flags that would pick them. */
function pluginPlaces(doc: Entity): Array<{ kind: 'route' | 'service'; name: string; service: Entity | undefined }> {
  const services = list(doc.services);
  const label = (e: Entity) => String(e.name ?? e.id);
  const has = (e: Entity) => oktaJwt(list(e.plugins)) !== undefined;
  const routes = [
    ...services.flatMap((s) => list(s.routes).map((r) => ({ route: r, service: s as Entity | undefined }))),
    ...list(doc.routes).map((r) => ({ route: r, service: services.find((s) => refersTo(r.service, s)) })),
  ];
  const top = list(doc.plugins).filter((p) => p.name === 'okta-jwt' && p.enabled !== false);
  return [
    ...routes.filter(({ route }) => has(route) || top.some((p) => refersTo(p.route, route))).map(({ route, service }) => ({ kind: 'route' as const, name: label(route), service })),
    ...services.filter((s) => has(s) || top.some((p) => refersTo(p.service, s))).map((s) => ({ kind: 'service' as const, name: label(s), service: s })),
  ];
}

/** E.g. `; the plugin is on route "echo" (try --route echo)`: a --service whose route carries it, or any place. */
function hint(doc: Entity, located: Located): string {
  const places = pluginPlaces(doc);
  const near = places.filter((p) => located.route === undefined && p.service === located.service);
  const shown = (near.length ? near : places).slice(0, 3);
  if (shown.length === 0) return '; the config has no okta-jwt plugin';
  return `; the plugin is on ${shown.map((p) => `${p.kind} "${p.name}" (try --${p.kind} ${p.name})`).join(', ')}`;
}

function countPlugins(doc: Entity): number {
  const services = list(doc.services);
  const all = [
    ...list(doc.plugins),
    ...services.flatMap((s) => [...list(s.plugins), ...list(s.routes).flatMap((r) => list(r.plugins))]),
    ...list(doc.routes).flatMap((r) => list(r.plugins)),
  ];
  return all.filter((p) => p.name === 'okta-jwt').length;
}

/**
 * Every enabled okta-jwt plugin of a document (consumer-scoped ones aside), each selected as
 * --route/--service would select it (so each gets exactly what a single selection gets).
 */
export function everyPluginConfig(parsed: unknown): SelectedConfig[] {
  if (!isEntity(parsed)) throw new UsageError('the config does not hold a declarative Kong config (a mapping)');
  const document = asDocument(parsed);
  const key = (e: Entity) => (typeof e.id === 'string' ? e.id : typeof e.name === 'string' ? e.name : null);
  const top = list(document.plugins).filter((p) => p.consumer == null);
  const own = (e: Entity, kind: 'route' | 'service') => oktaJwt([...list(e.plugins), ...top.filter((p) => (kind === 'service' ? p.route == null : true) && refersTo(p[kind], e))]) !== undefined;
  const services = list(document.services);
  const routes = [...services.flatMap((s) => list(s.routes)), ...list(document.routes)];
  const found: SelectedConfig[] = [];
  if (oktaJwt(top.filter((p) => p.route == null && p.service == null)) !== undefined) found.push(selectPluginConfig(document, null, null));
  for (const s of services) if (own(s, 'service') && key(s) !== null) found.push(selectPluginConfig(document, null, key(s)));
  for (const r of routes) if (own(r, 'route') && key(r) !== null) found.push(selectPluginConfig(document, key(r), null));
  return found;
}

/** Consumer-scoped okta-jwt plugins: Kong applies them only with that consumer, which the doctor does not model. */
export function consumerScopedCount(parsed: unknown): number {
  if (!isEntity(parsed)) return 0;
  return list(asDocument(parsed).plugins).filter((p) => p.name === 'okta-jwt' && p.consumer != null).length;
}

/** The file's document, parsed (YAML or JSON) with decK's placeholders expanded. */
export const readConfigDocument = parseDocument;

const keyOf = (e: Entity): string => String(e.id ?? e.name ?? '?');
/** decK's reference (a name, an id, or {name} / {id}) as the key of the entity it names, else the reference itself. */
function resolve(ref: unknown, entities: Entity[]): string | null {
  if (ref == null) return null;
  const found = entities.find((e) => refersTo(ref, e));
  return found !== undefined ? keyOf(found) : String(isEntity(ref) ? (ref.id ?? ref.name) : ref);
}

/** Every plugin, nested or top level, as the Admin API lists them: route/service/consumer by key. */
export function scopedPlugins(document: unknown): { plugins: ScopedPlugin[]; names: ScopeNames } {
  const doc = isEntity(document) ? asDocument(document) : {};
  const services = list(doc.services);
  const routes = [
    ...services.flatMap((s) => list(s.routes).map((r) => ({ route: r, service: s as Entity | undefined }))),
    ...list(doc.routes).map((r) => ({ route: r, service: services.find((s) => refersTo(r.service, s)) })),
  ];
  const allRoutes = routes.map((r) => r.route);
  const entry = (p: Entity, route: string | null, service: string | null): ScopedPlugin => ({
    name: String(p.name), enabled: p.enabled !== false, config: p.config, route, service, consumer: p.consumer == null ? null : String(keyOf(isEntity(p.consumer) ? p.consumer : { id: p.consumer })),
  });
  const plugins = [
    ...list(doc.plugins).map((p) => entry(p, resolve(p.route, allRoutes), resolve(p.service, services))),
    ...services.flatMap((s) => list(s.plugins).map((p) => entry(p, null, keyOf(s)))),
    ...routes.flatMap(({ route }) => list(route.plugins).map((p) => entry(p, keyOf(route), null))),
  ];
  const label = (e: Entity) => String(e.name ?? e.id);
  return {
    plugins,
    names: {
      routes: new Map(allRoutes.map((r) => [keyOf(r), label(r)])),
      services: new Map(services.map((s) => [keyOf(s), label(s)])),
      routeServices: new Map(routes.map(({ route, service }) => [keyOf(route), service === undefined ? null : keyOf(service)])),
    },
  };
}
