// Shared state of one double: the entity store, plugin catalog, per-(server, worker) RPC clients,
// the instance cache and the __seq__ numbering of plugin configs.
import type { EntityStore, PluginEntity } from './entities';
import { DEFAULT_WS_ID } from './entities';
import type { PluginCatalog } from './plugin-catalog';
import type { RpcClient } from './msgpack-rpc-client';
import type { InstanceRegistry, InstanceConfig } from './instances';
import type { ErrorLog, RpcRecorder } from './recorder';
import type { KongVersion } from './responses';
import { schema } from './schema-bridge';
import { snapshot, type Propagation, type WriteKind } from './propagation';
import type { ServerReadiness } from './readiness';

export interface RuntimeOptions {
  kongVersion: KongVersion;
  workers: number;
  /** EE 3.14+ behaviour: RPC failures after the instance started answer 500 instead of continuing. */
  failClosed: boolean;
  maxInstanceRestarts: number;
  database: 'off' | 'postgres';
}

export class KongRuntime {
  /** What the proxy path runs (router, plugins iterator, consumer cache). */
  store: EntityStore;
  /** What the Admin API accepted (the database, or the last POST /config); reaches `store` after a delay. */
  db: EntityStore;
  private seqCounter = 0;
  private readonly seqs = new Map<string, number>();
  private nextWorker = 0;
  /** server name → Kong 3.4's readiness state (readiness.ts); every server is ready on other versions. */
  readonly readiness = new Map<string, ServerReadiness>();

  constructor(
    readonly options: RuntimeOptions,
    readonly catalog: PluginCatalog,
    /** server name → one client per worker */
    readonly rpc: Map<string, RpcClient[]>,
    readonly registry: InstanceRegistry,
    readonly log: ErrorLog,
    readonly recorder: RpcRecorder,
    readonly nodeId: string,
    initial: EntityStore,
    readonly propagation: Propagation,
  ) {
    this.store = initial;
    this.db = snapshot(initial); // the Admin API edits its lists in place; the proxy's stay as published
    this.resequence();
  }

  /** Installs a new configuration at once (at startup); every plugin gets a new __seq__. */
  install(store: EntityStore): void {
    this.db = snapshot(store);
    this.store = store;
    this.resequence();
  }

  /** DB-less POST /config: accepted now, run by the workers a few ms later (Kong rebuilds the plugins iterator). */
  accept(store: EntityStore): void {
    this.db = snapshot(store);
    this.propagation.after(this.propagation.delays.declarativeMs, () => {
      this.store = store;
      this.resequence();
    });
  }

  /** DB mode: an Admin API write to `db` reaches the proxy when Kong rebuilds the router or the plugins iterator. */
  written(kind: WriteKind): void {
    const next = snapshot(this.db);
    if (kind === 'plugins') {
      this.propagation.after(this.propagation.delays.pluginsMs, () => {
        this.store = { ...this.store, plugins: next.plugins };
        this.resequence();
      });
    } else {
      this.propagation.after(this.propagation.delays.routerMs, () => {
        this.store = { ...next, plugins: this.store.plugins };
      });
    }
  }

  /** Re-keys every plugin (after any change in DB mode as after POST /config). */
  resequence(): void {
    for (const p of this.store.plugins) this.seqs.set(p.id, ++this.seqCounter);
  }

  /** Round-robin worker choice per request (nginx accepts spread requests over workers). */
  pickWorker(): number {
    const w = this.nextWorker;
    this.nextWorker = (this.nextWorker + 1) % this.options.workers;
    return w;
  }

  instanceConfig(p: PluginEntity): InstanceConfig {
    const seq = this.seqs.get(p.id) ?? ++this.seqCounter;
    const route = p.route?.id ?? '';
    const service = p.service?.id ?? '';
    const consumer = p.consumer?.id ?? '';
    const config: Record<string, unknown> = { ...schema.toStartInstanceConfig(p.config) };
    config.__plugin_id = p.id;
    if (this.options.kongVersion === '3.9.3') config.__ws_id = p.ws_id;
    config.__key__ = `plugins:${p.name}:${route}:${service}:${consumer}::${p.ws_id ?? DEFAULT_WS_ID}`;
    config.__seq__ = seq;
    if (route) config.route_id = route;
    if (service) config.service_id = service;
    if (consumer) config.consumer_id = consumer;
    if (p.instance_name) config.plugin_instance_name = p.instance_name;
    return { pluginId: p.id, pluginName: p.name, seq, config };
  }
}
