/**
 * Kong-side test double: plays Kong 3.9's (or 3.4's) side of the external-plugin protocol against the
 * REAL kong-js-pluginserver processes, with a proxy listener and an Admin API on 127.0.0.1.
 *
 *   const kong = await startKongDouble({
 *     pluginServers: [{ name: 'okta-jwt', pluginsDir: '/abs/dir/with/one/plugin' }],
 *     config: yamlOrObject,            // initial declarative config (optional)
 *   });
 *   await fetch(kong.proxyUrl + '/echo', { headers: { authorization: 'Bearer …' } });
 *   kong.rpcLog.frames               // every RPC frame (RpcFrame in recorder.ts); kong.rpcLog.reset()
 *   kong.errorLog.lines / .text()    // Kong-style error.log lines the double wrote
 *   kong.pluginServers.get('okta-jwt')!.pid / .kill('SIGKILL') / .output / .nextStart() / .startedAt / .socketPath (servers the double started; external ones are absent)
 *   await kong.loadConfig(yaml)       // like POST /config, resolved once the proxy runs it; throws with the 400 body on invalid config
 *   await kong.propagated()           // wait until every change accepted by the Admin API runs on the proxy path
 *   await kong.logsSettled()          // wait for log phases of finished requests
 *   kong.dropPooledConnections('okta-jwt') // test hook: forget pooled sockets (after moving the socket away)
 *   await kong.close()
 *
 * Like Kong 3.9, the Admin API's GET / answers 500 while the double spawns a plugin server itself
 * (startCommand unset or an argv, a placeholder too; batch3 §3, batch4 §10); GET /status always answers.
 * Like Kong 3.4 (kongVersion '3.4.2'), a server without a start command is never ready: its plugins
 * are skipped and each worker logs Kong's "plugin server is not ready" warning once (readiness.ts,
 * batch4 §1); with any start command the readiness check connects to the socket and passes.
 *
 * Options (KongDoubleOptions): pluginServers [{ name, pluginsDir, startCommand? (null: started by something
 * else, the double only connects to socketPath), queryCommand?, socketPath?, waitForSocket? (default true), env?,
 * server? ('hardened' | 'stock') }], workers (default 2), proxyPort/adminPort (default 0 = ephemeral),
 * database ('off' | 'postgres', default 'off'), kongVersion ('3.9.3' | '3.4.2', default '3.9.3'), config,
 * readTimeoutMs (socket read timeout per RPC, default 60000), failClosed (EE 3.14+ 500 on RPC failure,
 * default false), maxInstanceRestarts (default 3), prefix (temp dir for sockets; default a new dir under os.tmpdir()),
 * recordRpc (default true; false for long runs – same as setting kong.rpcLog.enabled = false),
 * propagation ({ declarativeMs, routerMs, pluginsMs }: how long an accepted change takes to reach the proxy
 * path; default KONG_DELAYS in propagation.ts, Kong's measured values; shorten them in tests).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ErrorLog, RpcRecorder } from './recorder';
import { PluginServerProcess, pluginServerBinary, queryPlugins, type PluginServerOptions } from './plugin-server';
import { PluginCatalog } from './plugin-catalog';
import { BUNDLED_PLUGINS } from './bundled-plugins';
import { RpcClient } from './msgpack-rpc-client';
import { InstanceRegistry } from './instances';
import { KongRuntime } from './runtime';
import { emptyStore } from './entities';
import { loadDeclarative } from './declarative';
import { startProxyFront, type ProxyFront } from './proxy-front';
import { startAdminApi, type AdminApi } from './admin-api';
import { newNodeId } from './pdk';
import { schema } from './schema-bridge';
import type { KongVersion } from './responses';
import { KONG_DELAYS, Propagation, type PropagationDelays } from './propagation';
import { ServerReadiness } from './readiness';

export type { RpcFrame, LogLine } from './recorder';
export type { PluginServerOptions } from './plugin-server';
export { KONG_DELAYS, type PropagationDelays } from './propagation';

export interface KongDoubleOptions {
  pluginServers: PluginServerOptions[];
  workers?: number;
  proxyPort?: number;
  adminPort?: number;
  database?: 'off' | 'postgres';
  kongVersion?: KongVersion;
  config?: string | Record<string, unknown>;
  readTimeoutMs?: number;
  failClosed?: boolean;
  maxInstanceRestarts?: number;
  prefix?: string;
  recordRpc?: boolean;
  propagation?: Partial<PropagationDelays>;
}

export interface KongDouble {
  proxyUrl: string;
  adminUrl: string;
  proxyPort: number;
  adminPort: number;
  prefix: string;
  rpcLog: RpcRecorder;
  errorLog: ErrorLog;
  pluginServers: Map<string, PluginServerProcess>;
  /** The dumped plugin info per plugin name (what the query command returned). */
  plugins: Map<string, { server: string; priority: number; version: string; phases: string[] }>;
  loadConfig(config: string | Record<string, unknown>): Promise<void>;
  propagated(): Promise<void>;
  logsSettled(): Promise<void>;
  /** Test hook: closes the pooled keep-alive connections to one plugin server (all workers). */
  dropPooledConnections(server: string): void;
  close(): Promise<void>;
}

export async function startKongDouble(options: KongDoubleOptions): Promise<KongDouble> {
  const kongVersion = options.kongVersion ?? '3.9.3';
  const workers = options.workers ?? 2;
  const t0 = performance.now();
  const clock = () => performance.now() - t0;
  const recorder = new RpcRecorder(clock);
  recorder.enabled = options.recordRpc ?? true;
  const log = new ErrorLog(clock);
  const prefix = options.prefix ?? fs.mkdtempSync(path.join(os.tmpdir(), 'kong-double-'));
  const ownsPrefix = !options.prefix;

  const propagation = new Propagation({ ...KONG_DELAYS, ...options.propagation });
  const catalog = new PluginCatalog();
  for (const p of BUNDLED_PLUGINS.values()) catalog.addBundled(p);
  const servers = new Map<string, PluginServerProcess>();
  const rpc = new Map<string, RpcClient[]>();
  const readinessByServer = new Map<string, ServerReadiness>();
  // What GET / reports of kong.conf: `plugins`, `pluginserver_names` (arrays) and each server's
  // `pluginserver_<name with _>_socket|start_cmd|query_cmd` strings as given (Kong's dynamic keys);
  // Kong 3.9 also derives `pluginservers` from them (conf_loader).
  const nodeSettings: Record<string, unknown> = { plugins: ['bundled'], pluginserver_names: [] };
  let connId = 0;
  const cleanup: Array<() => Promise<void> | void> = [];
  const close = async () => {
    propagation.close();
    for (const fn of cleanup.splice(0).reverse()) await fn();
    if (ownsPrefix) fs.rmSync(prefix, { recursive: true, force: true });
  };

  try {
    for (const def of options.pluginServers) {
      const dir = path.resolve(def.pluginsDir);
      const query = def.queryCommand ?? [pluginServerBinary(def.server), '--plugins-directory', dir, '--dump-all-plugins'];
      const infos = await queryPlugins(query, kongVersion, def.env);
      for (const info of infos) {
        const problems = schema.checkPluginSchema(info.Schema);
        if (problems.length) throw new Error(`plugin '${info.Name}' schema invalid: ${problems.join('; ')}`);
        catalog.addExternal(info, def.name);
        (nodeSettings.plugins as string[]).push(info.Name);
      }
      const socketPath = def.socketPath ?? path.join(prefix, `${def.name}.sock`);
      if (def.startCommand === null) {
        // Kong 3.9's words (batch3 §3); such a server is never (re)started by Kong (batch3 §4).
        if (kongVersion === '3.9.3') log.log('notice', `[pluginserver] start_command undefined for pluginserver ${def.name}; assuming external process management`);
      } else {
        const start = def.startCommand ?? defaultStart(def, socketPath, dir);
        const proc = new PluginServerProcess(def.name, start, socketPath, log, def.waitForSocket ?? true, def.env);
        servers.set(def.name, proc);
        cleanup.push(() => proc.close());
        await proc.start();
      }
      const clients = Array.from({ length: workers }, (_, worker) => new RpcClient({
        server: def.name, worker, socketPath, recorder, readTimeoutMs: options.readTimeoutMs ?? 60000, nextConnId: () => ++connId,
      }));
      rpc.set(def.name, clients);
      cleanup.push(() => clients.forEach((c) => c.closeAll()));
      recordSettings(nodeSettings, kongVersion, def.name, socketPath, def.startCommand === null ? undefined : (def.startCommand ?? defaultStart(def, socketPath, dir)), query);
      const readiness = await ServerReadiness.start(kongVersion, workers, socketPath, def.startCommand !== null);
      readinessByServer.set(def.name, readiness);
      cleanup.push(() => readiness.close());
    }

    const runtime = new KongRuntime(
      { kongVersion, workers, failClosed: options.failClosed ?? false, maxInstanceRestarts: options.maxInstanceRestarts ?? 3, database: options.database ?? 'off' },
      catalog, rpc, new InstanceRegistry(), log, recorder, newNodeId(), emptyStore(), propagation,
    );
    for (const [name, readiness] of readinessByServer) runtime.readiness.set(name, readiness);
    const validated = (config: string | Record<string, unknown>) => {
      const result = loadDeclarative(config, catalog, true);
      if (!result.ok) throw Object.assign(new Error(`invalid declarative config: ${JSON.stringify(result.body)}`), { body: result.body });
      return result.store;
    };
    const loadConfig = async (config: string | Record<string, unknown>) => {
      runtime.accept(validated(config));
      await propagation.settled();
    };
    if (options.config) runtime.install(validated(options.config));

    const proxy: ProxyFront = await startProxyFront(runtime, options.proxyPort ?? 0);
    cleanup.push(() => proxy.close());
    // Kong 3.9 fails GET / while it holds the handle of a plugin server it spawned (batch3 §3, not 3.4 §7).
    const admin: AdminApi = await startAdminApi(runtime, options.adminPort ?? 0, kongVersion === '3.9.3' && servers.size > 0, nodeSettings);
    cleanup.push(() => admin.close());

    return {
      proxyUrl: proxy.url, adminUrl: admin.url, proxyPort: proxy.port, adminPort: admin.port, prefix,
      rpcLog: recorder, errorLog: log, pluginServers: servers,
      plugins: new Map([...catalog.entries.values()].flatMap((e) => (e.kind === 'external' ? [[e.name, { server: e.server, priority: e.priority, version: e.info.Version, phases: e.info.Phases }]] : []))),
      loadConfig,
      propagated: () => propagation.settled(),
      logsSettled: () => proxy.logsSettled(),
      dropPooledConnections: (server) => rpc.get(server)?.forEach((c) => c.closeAll()),
      close: async () => {
        await proxy.logsSettled().catch(() => undefined);
        await close();
      },
    };
  } catch (e) {
    await close();
    throw e;
  }
}

function defaultStart(def: PluginServerOptions, socketPath: string, dir: string): string[] {
  return [pluginServerBinary(def.server), '-p', path.dirname(socketPath), '--sock-name', path.basename(socketPath), '-d', dir];
}

/** Adds one plugin server's settings to what GET / reports, in Kong's spelling. */
function recordSettings(settings: Record<string, unknown>, kongVersion: KongVersion, name: string, socket: string, start: string[] | undefined, query: string[]): void {
  const key = `pluginserver_${name.replace(/-/g, '_')}`;
  (settings.pluginserver_names as string[]).push(name);
  settings[`${key}_socket`] = socket;
  if (start) settings[`${key}_start_cmd`] = start.join(' ');
  settings[`${key}_query_cmd`] = query.join(' ');
  if (kongVersion === '3.9.3') {
    const servers = (settings.pluginservers ??= []) as unknown[];
    servers.push({ name, socket, ...(start ? { start_command: start.join(' ') } : {}), query_command: query.join(' ') });
  }
}
