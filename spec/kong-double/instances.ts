// Kong's per-worker instance cache (plugin.lua get_instance_id): lazily StartInstance per
// (worker, plugin entity); a cached id is reused only for the same __seq__; after a config change
// the next use starts a new instance, then closes the old one (errors ignored).
import type { RpcClient } from './msgpack-rpc-client';

export interface InstanceConfig {
  pluginId: string;
  pluginName: string;
  seq: number;
  /** The JSON object sent as StartInstance.Config (already with the __ keys). */
  config: Record<string, unknown>;
}

interface Cached { id: number; seq: number }

export class InstanceRegistry {
  private readonly cache = new Map<string, Cached>();
  private readonly pending = new Map<string, Promise<number>>();

  async get(worker: number, rpc: RpcClient, inst: InstanceConfig): Promise<number> {
    const key = `${worker}:${inst.pluginName}:${inst.pluginId}`;
    const hit = this.cache.get(key);
    if (hit && hit.seq === inst.seq) return hit.id;
    const running = this.pending.get(key);
    if (running) return running;
    const start = (async () => {
      const reply = (await rpc.call('plugin.StartInstance', { Name: inst.pluginName, Config: JSON.stringify(inst.config) })) as { Id: number };
      this.cache.set(key, { id: reply.Id, seq: inst.seq });
      if (hit) await rpc.call('plugin.CloseInstance', hit.id).catch(() => undefined);
      return reply.Id;
    })();
    this.pending.set(key, start);
    try {
      return await start;
    } finally {
      this.pending.delete(key);
    }
  }

  /** After "no plugin instance": forget every cached id of this plugin in all workers (old instances are not closed). */
  reset(pluginName: string): void {
    for (const key of [...this.cache.keys()]) if (key.split(':')[1] === pluginName) this.cache.delete(key);
  }
}
