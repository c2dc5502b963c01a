// The Kong edge of the access phase: read the request in one PDK call, decide, apply the decision
// in as few calls as possible. Every PDK call is a socket round trip to Kong.
//
// Fail closed: the plugin server reports a thrown handler to Kong as success and Kong then proxies
// the request, so everything here is caught and answered with kong.response.exit.
import type { PluginConfig } from '../config/types';
import type { KeySet } from '../keys';
import { decide, needsMethod } from '../core/decide';
import type { Decision } from '../core/decision';
import { challenge, internalError } from '../respond/deny';
import { takeQueuedWarnings } from '../log/deferred-log';
import type { HeaderMultiMap, Pdk } from './pdk';

/** Kong's ceiling for get_headers. A request reaching it may hide a second credential: refused. */
const MAX_HEADERS = 1000;

function headerCount(headers: HeaderMultiMap): number {
  let count = 0;
  for (const values of Object.values(headers)) count += Array.isArray(values) ? Math.max(values.length, 1) : 1;
  return count;
}

async function applyDecision(kong: Pdk, decision: Decision): Promise<void> {
  switch (decision.kind) {
    case 'pass':
      return;
    case 'deny':
      // exit is terminal: Kong sends no reply and no further call may follow it.
      void kong.response.exit(decision.status, decision.body, decision.headers);
      return;
    case 'allow':
      if (Object.keys(decision.setHeaders).length > 0) await kong.service.request.setHeaders(decision.setHeaders);
      for (const name of decision.clearHeaders) await kong.service.request.clearHeader(name);
      return;
  }
}

export async function handleAccess(kong: Pdk, config: PluginConfig, keySet: KeySet): Promise<void> {
  let decision: Decision;
  try {
    const headers = await kong.request.getHeaders(MAX_HEADERS);
    if (headers === null || typeof headers !== 'object') throw new Error('kong.request.get_headers returned no table');
    if (headerCount(headers) >= MAX_HEADERS) {
      decision = challenge(config.realm, 'request_invalid', 'The request has too many headers');
    } else {
      const method = needsMethod(config, headers) ? await kong.request.getMethod() : null;
      decision = await decide({ headers, method }, config, keySet);
    }
    const warnings = takeQueuedWarnings();
    if (warnings !== null) await kong.log.warn(warnings);
  } catch (err) {
    refuseAfterInternalError(kong, err);
    return;
  }
  try {
    await applyDecision(kong, decision);
  } catch (err) {
    refuseAfterInternalError(kong, err);
  }
}

/**
 * Logs the failure class (the error's name and message: never a token or key) and denies. Both
 * calls are queued without waiting; the plugin server sends them to Kong in order.
 */
function refuseAfterInternalError(kong: Pdk, err: unknown): void {
  const denial = internalError();
  const what = err instanceof Error ? `${err.name}: ${err.message}` : 'a non-error value was thrown';
  void kong.log.err(`okta-jwt: request refused after an internal error (${what.slice(0, 300)})`);
  void kong.response.exit(denial.status, denial.body, denial.headers);
}
