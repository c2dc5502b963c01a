// The bridge loop (mp_rpc.lua handle_event): HandleEvent, then execute each PDK call the plugin
// server asks for and reply with the matching Step variant until "ret". Terminal calls (exit/error)
// and Lua errors end the loop without a reply. Error policy as OSS Kong ≤ 3.9 (fail-open after
// the instance started) unless `failClosed` (EE 3.14+: 500).
import { executePdk, LuaError, stepMethodForResult, type PdkEnv, type PdkOutcome } from './pdk';
import type { RpcClient } from './msgpack-rpc-client';
import type { InstanceConfig, InstanceRegistry } from './instances';
import type { ErrorLog } from './recorder';
import { notReadyWarning, type ServerReadiness } from './readiness';

export type PhaseResult =
  | { kind: 'done' }
  | { kind: 'exit' }
  | { kind: 'lua-error'; message: string }
  | { kind: 'start-failed'; message: string }
  | { kind: 'rpc-failed'; message: string }
  /** Kong 3.4: the server never passed its readiness check; the plugin is skipped (readiness.ts). */
  | { kind: 'not-ready' };

export interface BridgeDeps {
  registry: InstanceRegistry;
  log: ErrorLog;
  /** Bound on the restarts after "no plugin instance" (Kong has none). */
  maxRestarts: number;
  readiness?: ServerReadiness;
}

interface StepData { Method: string; Args: unknown }

/** What Kong does with one PDK call: answer it, end the request (exit), or fail on the Lua side. */
export type StepOutcome = PdkOutcome | { kind: 'lua-error'; message: string };

/**
 * One event on an instance: HandleEvent, then each PDK call the plugin server asks for answered by
 * `execute` with the matching Step variant, until "ret" ('done'), a terminal call ('exit') or a Lua
 * error. RPC failures (and anything `execute` throws) reject.
 */
export async function runEvent(
  rpc: RpcClient, instanceId: number, phase: string, execute: (method: string, args: unknown) => StepOutcome,
): Promise<Extract<PhaseResult, { kind: 'done' | 'exit' | 'lua-error' }>> {
  let reply = (await rpc.call('plugin.HandleEvent', { InstanceId: instanceId, EventName: phase })) as { Data: unknown; EventId: number };
  while (reply.Data !== 'ret') {
    const step = reply.Data as StepData;
    const outcome = execute(step.Method, step.Args);
    if (outcome.kind !== 'value') return outcome;
    const param = outcome.value === undefined ? { EventId: reply.EventId } : { Data: outcome.value, EventId: reply.EventId };
    reply = (await rpc.call(stepMethodForResult(step.Method, outcome.value), param)) as { Data: unknown; EventId: number };
  }
  return { kind: 'done' };
}

export async function runExternalPhase(
  deps: BridgeDeps, rpc: RpcClient, worker: number, inst: InstanceConfig, phase: string, env: PdkEnv,
): Promise<PhaseResult> {
  // Kong 3.4's get_instance_id checks the server's state before StartInstance; handle_event then
  // logs and goes on without the plugin (not a Lua error: the request proceeds).
  const readiness = deps.readiness?.state(worker, inst.pluginName) ?? { kind: 'ready' };
  if (readiness.kind === 'not-ready') {
    if (readiness.firstInWorker) deps.log.log('warn', notReadyWarning(inst.pluginName) + env.ctx.errorLogContext);
    return { kind: 'not-ready' };
  }
  if (readiness.kind === 'socket-error') {
    deps.log.log('error', `[kong] mp_rpc.lua [${inst.pluginName}] ${readiness.message}` + env.ctx.errorLogContext);
    return { kind: 'rpc-failed', message: readiness.message };
  }
  for (let attempt = 0; ; attempt++) {
    let instanceId: number;
    try {
      instanceId = await deps.registry.get(worker, rpc, inst);
    } catch (e) {
      const msg = (e as Error).message;
      if (/no plugin instance/i.test(msg) && attempt < deps.maxRestarts) {
        deps.registry.reset(inst.pluginName);
        continue;
      }
      deps.log.log('error', `[kong] plugin.lua [${inst.pluginName}] starting instance: ${msg}`);
      return { kind: 'start-failed', message: msg };
    }
    try {
      return await runEvent(rpc, instanceId, phase, (method, args) => {
        try {
          return executePdk(env, method, args);
        } catch (e) {
          if (e instanceof LuaError) return { kind: 'lua-error', message: e.message };
          throw e;
        }
      });
    } catch (e) {
      const msg = (e as Error).message;
      if (/no plugin instance/i.test(msg) && attempt < deps.maxRestarts) {
        deps.log.log('warn', `[kong] mp_rpc.lua [${inst.pluginName}] ${msg}`);
        deps.registry.reset(inst.pluginName);
        continue;
      }
      deps.log.log('error', `[kong] mp_rpc.lua [${inst.pluginName}] ${msg}`);
      return { kind: 'rpc-failed', message: msg };
    }
  }
}
