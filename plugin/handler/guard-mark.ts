// The fail-closed guard: Kong proxies a request when the plugin server is dead, stalled or not
// ready, so a post-function (which runs last) refuses every request okta-jwt did not mark. The
// mark lives in kong.ctx.shared, which exists for one request and which no client input reaches
// (a header would be forgeable in some spelling).
//
// The mark also carries the upstream headers okta-jwt wants set, and the post-function sets them:
// one PDK call (kong.ctx.shared.set) instead of two (set_headers, then the mark). The mark is a
// table, never `true`, so either half of an upgrade paired with the other half's earlier form
// refuses: the earlier post-function (`~= true`) refuses the table, this one refuses `true`.
// A later mark that asks the post-function for more must rename `ok`, for the same reason.
import { GUARD_SHARED_KEY } from '../config/schema';
import { hasOwnKeys } from '../util/has-own-keys';

export { GUARD_SHARED_KEY };

/** What okta-jwt leaves in kong.ctx.shared.okta_jwt_guard on a request it lets through. */
export interface GuardMark {
  ok: true;
  /** Absent when there is nothing to set (a pass, a dry-run observation, an allow mapping no header). */
  set_headers?: Readonly<Record<string, string>>;
}

export function guardMark(setHeaders: Readonly<Record<string, string>>): GuardMark {
  return hasOwnKeys(setHeaders) ? { ok: true, set_headers: setHeaders } : { ok: true };
}

/**
 * The post-function's access code, shipped in every asset and shown in docs/fail-closed-guard.md.
 * set_headers validates every value before it sets any (a Lua error: Kong answers 500, nothing proxied).
 */
export const GUARD_POST_FUNCTION =
  `local g = kong.ctx.shared.${GUARD_SHARED_KEY}; ` +
  'if type(g) ~= "table" or g.ok ~= true then return kong.response.exit(503, { message = "Authentication is temporarily unavailable" }) end; ' +
  'if g.set_headers then kong.service.request.set_headers(g.set_headers) end';

/** The post-function okta-jwt's earlier versions shipped: it refuses the table mark, so every request. */
export const EARLIER_GUARD_POST_FUNCTION =
  `if kong.ctx.shared.${GUARD_SHARED_KEY} ~= true then return kong.response.exit(503, { message = "Authentication is temporarily unavailable" }) end`;
