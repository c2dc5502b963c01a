// Finds the okta-jwt config that applies to a route or service in a declarative Kong config
// (kong.yml / decK, _format_version 3.0), with Kong's precedence: a plugin on the route, else on
// its service, else a global one. Plugins may be nested (services[].plugins, routes[].plugins) or
// top level with a route/service reference. Consumer-scoped plugins are not considered. decK's
// `${{ env "DECK_X" }}` placeholders are expanded from the environment first, as decK does.
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

export function selectPluginConfig(document: unknown, route: string | null, service: string | null): SelectedConfig {
  if (!isEntity(document)) throw new UsageError('the config file does not hold a declarative Kong config (a mapping)');
  const top = list(document.plugins);
  const located = locate(document, route, service);
  const scoped = (entity: Entity | undefined, kind: 'route' | 'service'): Entity | undefined =>
    entity === undefined ? undefined : oktaJwt([...list(entity.plugins), ...top.filter((p) => refersTo(p[kind], entity))]);
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

const keyOf = (e: Entity): string => String(e.id ?? e.name ?? '?');
/** decK's reference (a name, an id, or {name} / {id}) as the key of the entity it names, else the reference itself. */
function resolve(ref: unknown, entities: Entity[]): string | null {
  if (ref == null) return null;
  const found = entities.find((e) => refersTo(ref, e));
  return found !== undefined ? keyOf(found) : String(isEntity(ref) ? (ref.id ?? ref.name) : ref);
}

/** Every plugin, nested or top level, as the Admin API lists them: route/service/consumer by key. */
export function scopedPlugins(document: unknown): { plugins: ScopedPlugin[]; names: ScopeNames } {
  const doc = isEntity(document) ? document : {};
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

/** The okta-jwt config for the target, and every plugin of the file (for the guard check). */
export async function readKongConfig(file: string, route: string | null, service: string | null): Promise<SelectedConfig & ReturnType<typeof scopedPlugins>> {
  const document = await parseDocument(file);
  return { ...selectPluginConfig(document, route, service), ...scopedPlugins(document) };
}
