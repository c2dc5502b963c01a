// The bridge loop (mp_rpc.lua handle_event): HandleEvent, then execute each PDK call the plugin
// server asks for and reply with the matching Step variant until "ret". Terminal calls (exit/error)
// and Lua errors end the loop without a reply. Error policy as OSS Kong ≤ 3.9 (fail-open after
// the instance started) unless `failClosed` (EE 3.14+: 500).
import { executePdk, LuaError, stepMethodForResult, type PdkEnv, type PdkOutcome } from './pdk';
import type { RpcClient } from './msgpack-rpc-client';
import type { InstanceConfig, InstanceRegistry } from './instances';
import type { ErrorLog } from './recorder';

export type PhaseResult =
  | { kind: 'done' }
  | { kind: 'exit' }
  | { kind: 'lua-error'; message: string }
  | { kind: 'start-failed'; message: string }
  | { kind: 'rpc-failed'; message: string };

export interface BridgeDeps {
  registry: InstanceRegistry;
  log: ErrorLog;
  /** Bound on the restarts after "no plugin instance" (Kong has none). */
  maxRestarts: number;
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
