// DB-less declarative configuration (kong.yml, `_format_version: "3.0"`): parses YAML or JSON,
// resolves nested and top-level scoping (kong-protocol.md §7.1), validates plugin configs and returns
// the new entity store – or the 400 body Kong answers for an invalid document.
import YAML from 'yaml';
import {
  emptyStore, makeConsumer, makeRoute, makeService, nowSeconds, uuidV5, DEFAULT_WS_ID,
  type EntityStore, type PluginEntity, type Ref,
} from './entities';
import type { PluginCatalog } from './plugin-catalog';
import { schema } from './schema-bridge';
import type { DeclarativeEntityError, EntityErrors } from './schema';
import { declaredTwiceMessage } from './plugin-uniqueness';

type Obj = Record<string, unknown>;

export type LoadResult = { ok: true; store: EntityStore } | { ok: false; status: number; body: unknown };

export function parseDocument(input: string | Obj): Obj {
  if (typeof input !== 'string') return input;
  const doc = YAML.parse(input) as unknown;
  if (!doc || typeof doc !== 'object') throw new Error('expected an object');
  return doc as Obj;
}

const list = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);

export function loadDeclarative(input: string | Obj, catalog: PluginCatalog, flatten: boolean): LoadResult {
  let doc: Obj;
  try {
    doc = parseDocument(input);
  } catch (e) {
    return { ok: false, status: 400, body: { code: 14, name: 'invalid declarative configuration', message: `failed parsing declarative configuration: ${(e as Error).message}`, fields: {} } };
  }
  if (doc._format_version !== '3.0' && doc._format_version !== '2.1') {
    return { ok: false, status: 400, body: { code: 14, name: 'invalid declarative configuration', message: 'declarative config is invalid: {_format_version="expected one of: 1.1, 2.1, 3.0"}', fields: { _format_version: 'expected one of: 1.1, 2.1, 3.0' } } };
  }
  const store = emptyStore();
  const errors: DeclarativeEntityError[] = [];
  const pendingPlugins: Array<{ raw: Obj; path: Array<string | number>; scope: { route?: string; service?: string; consumer?: string } }> = [];

  const addRoute = (raw: Obj, service: Ref | null, path: Array<string | number>) => {
    const id = (raw.id as string) ?? uuidV5(`routes:${raw.name ?? path.join('.')}`);
    store.routes.push(makeRoute(raw, id, service));
    list(raw.plugins).forEach((p, k) => pendingPlugins.push({ raw: p, path: [...path, 'plugins', k], scope: { route: id } }));
  };
  list(doc.services).forEach((s, i) => {
    const id = (s.id as string) ?? uuidV5(`services:${s.name ?? i}`);
    store.services.push(makeService(s, id));
    list(s.routes).forEach((r, j) => addRoute(r, { id }, ['services', i, 'routes', j]));
    list(s.plugins).forEach((p, k) => pendingPlugins.push({ raw: p, path: ['services', i, 'plugins', k], scope: { service: id } }));
  });
  list(doc.routes).forEach((r, j) => {
    const svc = r.service as string | Obj | undefined;
    const key = typeof svc === 'string' ? svc : (svc?.id ?? svc?.name) as string | undefined;
    const found = key ? store.services.find((s) => s.id === key || s.name === key) : undefined;
    addRoute(r, found ? { id: found.id } : null, ['routes', j]);
  });
  list(doc.consumers).forEach((c, i) => {
    const id = (c.id as string) ?? uuidV5(`consumers:${c.username ?? c.custom_id ?? i}`);
    store.consumers.push(makeConsumer(c, id));
    list(c.acls).forEach((a) => store.acls.push({ id: uuidV5(`acls:${id}:${a.group}`), consumer: { id }, group: String(a.group), tags: (a.tags as string[]) ?? null, created_at: nowSeconds() }));
    list(c.plugins).forEach((p, k) => pendingPlugins.push({ raw: p, path: ['consumers', i, 'plugins', k], scope: { consumer: id } }));
  });
  list(doc.acls).forEach((a) => {
    const c = resolve(store.consumers, a.consumer, 'username');
    if (c) store.acls.push({ id: uuidV5(`acls:${c}:${a.group}`), consumer: { id: c }, group: String(a.group), tags: null, created_at: nowSeconds() });
  });
  list(doc.plugins).forEach((p, k) => pendingPlugins.push({ raw: p, path: ['plugins', k], scope: {} }));

  for (const { raw, path, scope } of pendingPlugins) {
    const route = scope.route ?? resolve(store.routes, raw.route, 'name');
    const service = scope.service ?? resolve(store.services, raw.service, 'name');
    const consumer = scope.consumer ?? resolve(store.consumers, raw.consumer, 'username');
    const name = String(raw.name);
    const checked = catalog.validate(name, raw.config);
    if (!checked.ok) {
      // An unknown plugin's errors are about the entity (its name); a known one's about its config.
      errors.push({ path, entityType: 'plugin', entityName: name, entity: raw, errors: catalog.get(name) ? { config: checked.errors } : (checked.errors as EntityErrors) });
      continue;
    }
    store.plugins.push(makePlugin(raw, name, checked.config, route, service, consumer));
  }
  if (errors.length) return { ok: false, status: 400, body: schema.declarativeErrorBody(errors, flatten) };
  const repeated = repeatedPlugins(store.plugins, pendingPlugins); // every pending plugin was valid, so the lists align
  if (repeated.length) return { ok: false, status: 400, body: schema.declarativeErrorBody(repeated, flatten) };
  return { ok: true, store };
}

/**
 * Plugins declared with an id an earlier one already has (Kong checks this once the entities are
 * valid): the error is the message itself, where the entity's error table would otherwise be.
 */
function repeatedPlugins(plugins: PluginEntity[], declared: Array<{ raw: Obj; path: Array<string | number> }>): DeclarativeEntityError[] {
  const seen = new Set<string>();
  const out: DeclarativeEntityError[] = [];
  plugins.forEach((p, i) => {
    if (seen.has(p.id)) out.push({ path: declared[i]!.path, entityType: 'plugin', entityName: p.name, entity: declared[i]!.raw, errors: declaredTwiceMessage(p.id) as unknown as EntityErrors });
    seen.add(p.id);
  });
  return out;
}

function resolve<T extends { id: string }>(entities: T[], ref: unknown, nameField: keyof T): string | undefined {
  if (ref === undefined || ref === null) return undefined;
  const key = typeof ref === 'string' ? ref : ((ref as Obj).id ?? (ref as Obj)[nameField as string]) as string;
  return entities.find((e) => e.id === key || e[nameField] === key)?.id;
}

export function makePlugin(raw: Obj, name: string, config: Obj, route?: string, service?: string, consumer?: string): PluginEntity {
  const t = nowSeconds();
  return {
    id: (raw.id as string) ?? uuidV5(`plugins:${name}:${route ?? ''}:${service ?? ''}:${consumer ?? ''}`),
    name, instance_name: (raw.instance_name as string) ?? null, config,
    enabled: (raw.enabled as boolean) ?? true, protocols: (raw.protocols as string[]) ?? ['grpc', 'grpcs', 'http', 'https'],
    route: route ? { id: route } : null, service: service ? { id: service } : null, consumer: consumer ? { id: consumer } : null,
    tags: (raw.tags as string[]) ?? null, ws_id: DEFAULT_WS_ID, created_at: t, updated_at: t,
  };
}
