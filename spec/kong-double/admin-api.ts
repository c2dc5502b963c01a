// The Admin API listener: POST /config (DB-less), status/info endpoints, plugin schemas and
// validation, and entity CRUD (DB mode only; DB-less answers 405 like Kong).
import http from 'node:http';
import crypto from 'node:crypto';
import { listen } from '../../dev/listen';
import YAML from 'yaml';
import { loadDeclarative, makePlugin } from './declarative';
import { makeConsumer, makeRoute, makeService, nowSeconds, findByIdOrName, type EntityStore, type PluginEntity } from './entities';
import { schema } from './schema-bridge';
import type { KongRuntime } from './runtime';
import { emptyCollection, entitySchema, inferFormFields, multipartFields } from './admin-reads';
import { sameScope, uniqueViolationBody } from './plugin-uniqueness';

type Obj = Record<string, unknown>;
type Reply = { status: number; body?: unknown };

/**
 * One page of a collection, as Kong pages every list in both database modes: `size` entities
 * (default 100, at most 1000), then `next`, a path on this Admin API with an opaque `offset` (it
 * does not repeat `size`: a client that follows it gets the default page size).
 */
function page(all: Obj[], url: URL): Reply {
  const sizeText = url.searchParams.get('size');
  const size = sizeText === null ? 100 : Number(sizeText);
  if (!Number.isInteger(size) || size < 1 || size > 1000) return { status: 400, body: { message: 'size must be an integer between 1 and 1000' } };
  const offsetText = url.searchParams.get('offset');
  const start = offsetText === null ? 0 : Number(Buffer.from(offsetText, 'base64url').toString());
  if (!Number.isInteger(start) || start < 0) return { status: 400, body: { message: 'invalid offset' } };
  const end = start + size;
  const next = end < all.length ? `${url.pathname}?offset=${Buffer.from(String(end)).toString('base64url')}` : null;
  return { status: 200, body: { data: all.slice(start, end), next } };
}

export interface AdminApi { url: string; port: number; close(): Promise<void> }

const COLLECTIONS = { services: 'name', routes: 'name', consumers: 'username', plugins: 'id' } as const;
type Collection = keyof typeof COLLECTIONS;

function parseBody(raw: string, type: string | undefined): Obj {
  if (!raw) return {};
  if ((type ?? '').includes('json')) return JSON.parse(raw) as Obj;
  if ((type ?? '').includes('multipart/form-data')) return multipartFields(Buffer.from(raw, 'utf8'), type!) ?? {};
  if ((type ?? '').includes('x-www-form-urlencoded')) {
    const out: Obj = {};
    for (const [k, v] of new URLSearchParams(raw)) {
      const path = k.replace(/\[\]$/, '').split('.');
      let o = out;
      for (const p of path.slice(0, -1)) o = (o[p] ??= {}) as Obj;
      const last = path[path.length - 1]!;
      o[last] = k.endsWith('[]') ? [...((o[last] as string[]) ?? []), v] : v;
    }
    return inferFormFields(out);
  }
  return YAML.parse(raw) as Obj;
}

/**
 * `unserialisableConfiguration`: Kong 3.9 keeps the process handle of each plugin server it spawns in
 * its configuration, and `GET /` (which serialises it) fails with a 500 (batch3 §3, Kong/kong#14260).
 * `nodeSettings`: kong.conf settings `GET /` reports in `configuration` (plugins, plugin servers).
 */
export async function startAdminApi(rt: KongRuntime, port: number, unserialisableConfiguration = false, nodeSettings: Obj = {}): Promise<AdminApi> {
  const verbs: Record<string, string> = { POST: 'create', PUT: 'create or update', PATCH: 'update', DELETE: 'delete' };

  function route(method: string, url: URL, body: Obj, rawBody: string): Reply {
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const store = rt.db;
    if (method === 'GET' && parts.length === 0) {
      if (unserialisableConfiguration) {
        rt.log.log('error', 'api_helpers.lua:558: handle_error(): [kong-double] body encoding failed while flushing response: Cannot serialise cdata: type not supported');
        return { status: 500, body: { message: 'An unexpected error occurred' } };
      }
      return { status: 200, body: { version: rt.options.kongVersion, tagline: 'Welcome to kong', node_id: rt.nodeId, edition: 'community', configuration: { database: rt.options.database, router_flavor: 'traditional', ...nodeSettings }, plugins: { available_on_server: Object.fromEntries([...rt.catalog.entries.values()].map((e) => [e.name, { version: e.kind === 'external' ? e.info.Version : rt.options.kongVersion, priority: e.priority }])), enabled_in_cluster: [...new Set(store.plugins.map((p) => p.name))] } } };
    }
    if (method === 'GET' && parts[0] === 'status') {
      // Kong reports configuration_hash only without a database (DB-less nodes and data planes).
      const hash = rt.options.database === 'off' ? { configuration_hash: crypto.createHash('md5').update(JSON.stringify(rt.store)).digest('hex') } : {};
      return { status: 200, body: { database: { reachable: true }, server: { connections_accepted: 0, total_requests: 0 }, ...hash } };
    }
    if (parts[0] === 'config' && parts.length === 1) {
      if (method !== 'POST') return { status: 405, body: { message: 'Method not allowed' } };
      if (rt.options.database !== 'off') return { status: 400, body: { message: 'this endpoint is only available when Kong is configured to not use a database' } };
      const flatten = ['1', 'true'].includes(url.searchParams.get('flatten_errors') ?? '');
      const doc = (body.config as string | undefined) ?? rawBody;
      const result = loadDeclarative(typeof doc === 'string' ? doc : (body as Obj), rt.catalog, flatten);
      if (!result.ok) return { status: result.status, body: result.body };
      rt.accept(result.store);
      return { status: 201, body: entityMaps(result.store) };
    }
    const empty = emptyCollection(method, parts);
    if (empty) return { status: 200, body: empty };
    const entity = entitySchema(method, parts);
    if (entity) return { status: 200, body: entity };
    if (method === 'GET' && parts.length === 1 && parts[0] === 'acls') return { status: 200, body: { data: store.acls, next: null } };
    if (parts[0] === 'plugins' && parts[1] === 'enabled' && method === 'GET') return { status: 200, body: { enabled_plugins: [...rt.catalog.entries.keys()].sort() } };
    if (parts[0] === 'schemas' && parts[1] === 'plugins') {
      if (parts[2] === 'validate' && method === 'POST') {
        const r = rt.catalog.validate(String(body.name), body.config);
        return r.ok ? { status: 200, body: { message: 'schema validation successful' } } : { status: 400, body: schema.schemaViolationBody(r.errors) };
      }
      const entry = rt.catalog.get(parts[2] ?? '');
      if (!entry) return { status: 404, body: { message: `No plugin named '${parts[2]}'` } };
      if (entry.kind === 'external' && schema.schemaEndpointBody) return { status: 200, body: schema.schemaEndpointBody(entry.info.Schema) };
      const fields = entry.kind === 'external' ? entry.info.Schema.fields : [{ config: { type: 'record', fields: [] } }];
      return { status: 200, body: { fields, entity_checks: [] } };
    }
    return crud(method, parts, body, store, url);
  }

  function crud(method: string, parts: string[], body: Obj, store: EntityStore, url: URL): Reply {
    const top = parts[0] as Collection;
    if (!(top in COLLECTIONS)) return { status: 404, body: { message: 'Not found' } };
    // nested: /{services|routes|consumers}/{x}/plugins[/id], /consumers/{c}/acls[/id]
    let scope: Partial<Record<'service' | 'route' | 'consumer', string>> = {};
    let coll: Collection | 'acls' = top;
    let key = parts[1];
    if (parts.length >= 3) {
      const owner = findByIdOrName(store[top] as Array<{ id: string }>, parts[1]!, COLLECTIONS[top] as never);
      if (!owner) return { status: 404, body: { message: 'Not found' } };
      const field = ({ services: 'service', routes: 'route', consumers: 'consumer', plugins: 'plugin' } as const)[top];
      scope = { [field]: owner.id };
      coll = parts[2] === 'acls' ? 'acls' : (parts[2] as Collection);
      key = parts[3];
    }
    if (method !== 'GET' && rt.options.database === 'off') {
      const entity = coll === 'acls' ? 'acls' : coll;
      return { status: 405, body: { name: 'operation unsupported', message: `cannot ${verbs[method] ?? 'modify'} '${entity}' entities when not using a database`, code: 12 } };
    }
    const list = store[coll] as unknown as Array<Obj & { id: string }>;
    const inScope = (e: Obj) => Object.entries(scope).every(([f, id]) => (e[f] as { id: string } | null)?.id === id);
    const nameField = coll === 'acls' ? 'group' : COLLECTIONS[coll];
    const found = key ? list.find((e) => (e.id === key || e[nameField] === key) && inScope(e)) : undefined;
    if (method === 'GET') {
      if (!key) return page(list.filter(inScope), url);
      return found ? { status: 200, body: found } : { status: 404, body: { message: 'Not found' } };
    }
    if (method === 'DELETE') {
      if (found) list.splice(list.indexOf(found), 1);
      rt.written(coll === 'plugins' ? 'plugins' : 'router');
      return { status: 204 };
    }
    const input = method === 'PATCH' && found ? mergeForPatch(found, body) : { ...body, ...Object.fromEntries(Object.entries(scope).map(([f, id]) => [f, { id }])) };
    const id = found?.id ?? (method === 'PUT' && key ? key : crypto.randomUUID());
    const built = build(coll, input, id);
    if ('errors' in built) return { status: 400, body: built.errors };
    if (coll === 'plugins') {
      const plugin = built.entity as unknown as PluginEntity;
      if (store.plugins.some((other) => other.id !== found?.id && sameScope(other, plugin))) return { status: 409, body: uniqueViolationBody(plugin) };
    }
    if (found) list[list.indexOf(found)] = built.entity;
    else list.push(built.entity);
    rt.written(coll === 'plugins' ? 'plugins' : 'router');
    return { status: found ? 200 : 201, body: built.entity };
  }

  function mergeForPatch(old: Obj, patch: Obj): Obj {
    const merged: Obj = { ...old, ...patch };
    if (old.config && patch.config) merged.config = { ...(old.config as Obj), ...(patch.config as Obj) };
    return merged;
  }

  function build(coll: Collection | 'acls', input: Obj, id: string): { entity: Obj & { id: string } } | { errors: unknown } {
    const ref = (v: unknown) => (v && typeof v === 'object' ? ((v as Obj).id as string) ?? findName(v as Obj) : undefined);
    const findName = (v: Obj) => (v.name ? rt.db.services.find((s) => s.name === v.name)?.id ?? rt.db.routes.find((r) => r.name === v.name)?.id : v.username ? rt.db.consumers.find((c) => c.username === v.username)?.id : undefined);
    switch (coll) {
      case 'services': return { entity: makeService(input, id) as unknown as Obj & { id: string } };
      case 'routes': return { entity: makeRoute(input, id, input.service ? { id: ref(input.service)! } : null) as unknown as Obj & { id: string } };
      case 'consumers': return { entity: makeConsumer(input, id) as unknown as Obj & { id: string } };
      case 'acls': return { entity: { id, consumer: input.consumer as { id: string }, group: String(input.group), tags: null, created_at: nowSeconds() } };
      case 'plugins': {
        const name = String(input.name);
        const r = rt.catalog.validate(name, input.config);
        if (!r.ok) return { errors: schema.schemaViolationBody(r.errors) };
        const p: PluginEntity = makePlugin({ ...input, id }, name, r.config, ref(input.route), ref(input.service), ref(input.consumer));
        return { entity: p as unknown as Obj & { id: string } };
      }
    }
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let reply: Reply;
      try {
        const url = new URL(req.url ?? '/', 'http://admin');
        const body = parseBody(raw, req.headers['content-type']);
        reply = route((req.method ?? 'GET').toUpperCase(), url, body, raw);
      } catch (e) {
        reply = { status: 400, body: { message: `cannot parse request body: ${(e as Error).message}` } };
      }
      const text = reply.body === undefined ? '' : JSON.stringify(reply.body);
      res.writeHead(reply.status, {
        // No CORS headers: a web page must not be able to read or drive the local gateway's Admin API.
        'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), Server: `kong/${rt.options.kongVersion}`,
      });
      res.end(text);
    });
  });
  const bound = await listen(server, port, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function entityMaps(store: EntityStore): Obj {
  const byId = (l: Array<{ id: string }>) => Object.fromEntries(l.map((e) => [e.id, e]));
  return { services: byId(store.services), routes: byId(store.routes), consumers: byId(store.consumers), plugins: byId(store.plugins), acls: byId(store.acls) };
}
