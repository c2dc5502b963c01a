// Runs the plugins of one request: access handlers in descending priority (consumer-scoped configs
// looked up when each plugin runs), stopping at the first exit or error; later the log phase.
import { runExternalPhase } from './bridge';
import { selectPluginConfig } from './router';
import { unexpectedError } from './responses';
import type { KongRuntime } from './runtime';
import type { RequestContext } from './request-context';
import type { BundledEnv } from './bundled-plugins';
import type { CatalogEntry } from './plugin-catalog';
import { LuaError, type PdkEnv } from './pdk';

function ordered(rt: KongRuntime, phase: 'access' | 'log'): CatalogEntry[] {
  return [...rt.catalog.entries.values()]
    .filter((e) => (e.kind === 'external' ? e.info.Phases.includes(phase) : Boolean(e.plugin[phase])))
    .sort((a, b) => b.priority - a.priority || a.name.localeCompare(b.name));
}

export interface PhaseEnvExtras { responseHeaders: Array<[string, string]> }

async function runPlugins(rt: KongRuntime, ctx: RequestContext, worker: number, phase: 'access' | 'log', extras: PhaseEnvExtras): Promise<void> {
  ctx.phase = phase;
  for (const entry of ordered(rt, phase)) {
    const consumerId = (ctx.consumer?.id as string | undefined) ?? undefined;
    const cfg = selectPluginConfig(rt.store, entry.name, ctx.route.id, ctx.service?.id, consumerId);
    if (!cfg) continue;
    ctx.currentPluginId = cfg.id;
    if (entry.kind === 'bundled') {
      const env: BundledEnv = { ctx, store: rt.store, kongVersion: rt.options.kongVersion, log: rt.log, nodeId: rt.nodeId, addResponseHeader: (n, v) => extras.responseHeaders.push([n, v]) };
      try {
        entry.plugin[phase]!(env, cfg.config);
      } catch (err) {
        // A Lua error in a plugin's handler: Kong logs it and answers 500 (kong/init.lua, as for an external plugin).
        if (!(err instanceof LuaError)) throw err;
        rt.log.log('error', `[kong] init.lua:406 [${entry.name}] ${err.message}`);
        if (phase === 'access') ctx.exit = unexpectedError(ctx.requestId, rt.options.kongVersion);
      }
    } else {
      const env: PdkEnv = { ctx, pluginName: entry.name, kongVersion: rt.options.kongVersion, store: rt.store, log: rt.log, nodeId: rt.nodeId };
      const clients = rt.rpc.get(entry.server)!;
      const result = await runExternalPhase(
        { registry: rt.registry, log: rt.log, maxRestarts: rt.options.maxInstanceRestarts, readiness: rt.readiness.get(entry.server) },
        clients[worker % clients.length]!, worker, rt.instanceConfig(cfg), phase, env,
      );
      if (phase === 'access') {
        if (result.kind === 'lua-error') {
          rt.log.log('error', `[kong] init.lua:406 [${entry.name}] mp_rpc.lua:127: ${result.message}`);
          ctx.exit = unexpectedError(ctx.requestId, rt.options.kongVersion);
        } else if (result.kind === 'start-failed' || (result.kind === 'rpc-failed' && rt.options.failClosed)) {
          ctx.exit = unexpectedError(ctx.requestId, rt.options.kongVersion);
        }
      } else if (result.kind === 'lua-error') {
        rt.log.log('error', `[kong] [${entry.name}] log phase: ${result.message}`);
      }
    }
    if (phase === 'access' && ctx.exit) return;
  }
}

export function runAccess(rt: KongRuntime, ctx: RequestContext, worker: number, extras: PhaseEnvExtras): Promise<void> {
  return runPlugins(rt, ctx, worker, 'access', extras);
}

export function runLog(rt: KongRuntime, ctx: RequestContext, worker: number): Promise<void> {
  return runPlugins(rt, ctx, worker, 'log', { responseHeaders: [] });
}
