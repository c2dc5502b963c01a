// The entity store of the double: services, routes, consumers, ACL groups and plugin entities in the
// shapes Kong stores and returns them (Admin API, kong.router.get_route/get_service, load_consumer).
import crypto from 'node:crypto';

export interface Ref { id: string }

export interface Service {
  id: string; name: string | null; protocol: string; host: string; port: number; path: string | null;
  retries: number; connect_timeout: number; read_timeout: number; write_timeout: number; enabled: boolean;
  tags: string[] | null; ws_id: string; created_at: number; updated_at: number;
}

export interface Route {
  id: string; name: string | null; paths: string[] | null; methods: string[] | null; hosts: string[] | null;
  protocols: string[]; strip_path: boolean; preserve_host: boolean; regex_priority: number; path_handling: string;
  request_buffering: boolean; response_buffering: boolean; https_redirect_status_code: number;
  service: Ref | null; tags: string[] | null; ws_id: string; created_at: number; updated_at: number;
}

export interface Consumer {
  id: string; username: string | null; custom_id: string | null; tags: string[] | null; created_at: number; updated_at: number;
}

export interface Acl { id: string; consumer: Ref; group: string; tags: string[] | null; created_at: number }

export interface PluginEntity {
  id: string; name: string; instance_name: string | null;
  /** Stored form: defaults applied, unset optionals null. */
  config: Record<string, unknown>;
  enabled: boolean; protocols: string[];
  route: Ref | null; service: Ref | null; consumer: Ref | null;
  tags: string[] | null; ws_id: string; created_at: number; updated_at: number;
}

export interface EntityStore {
  services: Service[];
  routes: Route[];
  consumers: Consumer[];
  acls: Acl[];
  plugins: PluginEntity[];
}

/** The default workspace id (the value seen in the 3.9.3 transcripts). */
export const DEFAULT_WS_ID = '0dc6f45b-8f8d-40d2-a504-473544ee190b';

export function emptyStore(): EntityStore {
  return { services: [], routes: [], consumers: [], acls: [], plugins: [] };
}

/** UUID v5 (SHA-1, namespace = default workspace) – stable ids for entities declared without one, like DB-less Kong. */
export function uuidV5(name: string): string {
  const ns = Buffer.from(DEFAULT_WS_ID.replace(/-/g, ''), 'hex');
  const h = crypto.createHash('sha1').update(ns).update(name).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Finds an entity by id or by its name field (name for services/routes, username for consumers). */
export function findByIdOrName<T extends { id: string }>(list: T[], key: string, nameField: keyof T): T | undefined {
  return list.find((e) => e.id === key) ?? list.find((e) => e[nameField] === key);
}

export function parseServiceUrl(url: string): Pick<Service, 'protocol' | 'host' | 'port' | 'path'> {
  const u = new URL(url);
  const protocol = u.protocol.replace(':', '');
  const hasPath = /^[a-z]+:\/\/[^/]+\//i.test(url); // `new URL` always reports at least "/"
  return { protocol, host: u.hostname, port: u.port ? Number(u.port) : protocol === 'https' ? 443 : 80, path: hasPath ? u.pathname : null };
}

export function makeService(input: Record<string, unknown>, id: string): Service {
  const t = nowSeconds();
  const fromUrl = typeof input.url === 'string' ? parseServiceUrl(input.url) : undefined;
  return {
    id, name: (input.name as string) ?? null,
    protocol: (input.protocol as string) ?? fromUrl?.protocol ?? 'http',
    host: (input.host as string) ?? fromUrl?.host ?? '',
    port: (input.port as number) ?? fromUrl?.port ?? 80,
    path: (input.path as string) ?? fromUrl?.path ?? null,
    retries: (input.retries as number) ?? 5,
    connect_timeout: (input.connect_timeout as number) ?? 60000,
    read_timeout: (input.read_timeout as number) ?? 60000,
    write_timeout: (input.write_timeout as number) ?? 60000,
    enabled: (input.enabled as boolean) ?? true,
    tags: (input.tags as string[]) ?? null, ws_id: DEFAULT_WS_ID, created_at: t, updated_at: t,
  };
}

export function makeRoute(input: Record<string, unknown>, id: string, service: Ref | null): Route {
  const t = nowSeconds();
  return {
    id, name: (input.name as string) ?? null,
    paths: (input.paths as string[]) ?? null, methods: (input.methods as string[]) ?? null, hosts: (input.hosts as string[]) ?? null,
    protocols: (input.protocols as string[]) ?? ['http', 'https'],
    strip_path: (input.strip_path as boolean) ?? true, preserve_host: (input.preserve_host as boolean) ?? false,
    regex_priority: (input.regex_priority as number) ?? 0, path_handling: (input.path_handling as string) ?? 'v0',
    request_buffering: true, response_buffering: true, https_redirect_status_code: 426,
    service, tags: (input.tags as string[]) ?? null, ws_id: DEFAULT_WS_ID, created_at: t, updated_at: t,
  };
}

export function makeConsumer(input: Record<string, unknown>, id: string): Consumer {
  const t = nowSeconds();
  return {
    id, username: (input.username as string) ?? null, custom_id: (input.custom_id as string) ?? null,
    tags: (input.tags as string[]) ?? null, created_at: t, updated_at: t,
  };
}

/** Drops null fields: the form in which Kong hands entities to external plugins (nil fields vanish in msgpack). */
export function withoutNulls<T extends object>(e: T): Partial<T> {
  return Object.fromEntries(Object.entries(e).filter(([, v]) => v !== null)) as Partial<T>;
}
