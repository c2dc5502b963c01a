// The doctor's fail-closed guard check over every plugin of a Kong config (a declarative file, or the
// Admin API's /plugins): each okta-jwt with fail_closed_guard needs the shipped post-function on the
// requests it covers, and a post-function that reads the mark needs okta-jwt to set it. Kong runs one
// post-function per request, the most specific (route, else service, else global): a post-function
// on okta-jwt's own scope replaces a global guard.
import { GUARD_POST_FUNCTION, GUARD_SHARED_KEY } from '../plugin/handler/guard-mark';
import { fail, pass, warn, type Check } from './check';

/** A plugin as the Admin API lists it: scope references by id (a declarative file's names stand in). */
export interface ScopedPlugin {
  name: string;
  enabled?: boolean;
  config?: unknown;
  route: string | null;
  service: string | null;
  consumer: string | null;
}

/** Labels for the report (route and service names by id) and each route's service, when known. */
export interface ScopeNames {
  routes?: ReadonlyMap<string, string>;
  services?: ReadonlyMap<string, string>;
  routeServices?: ReadonlyMap<string, string | null>;
}

const GUARD_DOC = 'docs/fail-closed-guard.md';
const squeeze = (code: string) => code.replace(/\s+/g, ' ').trim();
const SHIPPED = squeeze(GUARD_POST_FUNCTION);

type GuardCode = 'shipped' | 'other' | 'none';

/** Does this post-function run the shipped guard, some other use of the mark (an earlier form), or neither? */
export function guardCode(postFunction: ScopedPlugin | undefined): GuardCode {
  const config = postFunction?.config;
  const access = typeof config === 'object' && config !== null ? (config as Record<string, unknown>).access : undefined;
  if (!Array.isArray(access)) return 'none';
  const codes = access.filter((code): code is string => typeof code === 'string');
  if (codes.some((code) => squeeze(code) === SHIPPED)) return 'shipped';
  return codes.some((code) => code.includes(GUARD_SHARED_KEY)) ? 'other' : 'none';
}

const sameScope = (a: ScopedPlugin, b: ScopedPlugin) => a.route === b.route && a.service === b.service;
const isGlobal = (p: ScopedPlugin) => p.route === null && p.service === null;

function where(p: ScopedPlugin, names: ScopeNames): string {
  if (p.route !== null) return `route "${names.routes?.get(p.route) ?? p.route}"`;
  if (p.service !== null) return `service "${names.services?.get(p.service) ?? p.service}"`;
  return 'the global okta-jwt';
}

/** The post-function Kong runs beside `okta`: one on its scope, else on its route's service, else a global one. */
function postFunctionFor(okta: ScopedPlugin, postFunctions: ScopedPlugin[], names: ScopeNames): ScopedPlugin | undefined {
  const service = okta.route === null ? null : (names.routeServices?.get(okta.route) ?? null);
  return postFunctions.find((p) => sameScope(p, okta))
    ?? (service === null ? undefined : postFunctions.find((p) => p.route === null && p.service === service))
    ?? postFunctions.find(isGlobal);
}

export function guardFileChecks(plugins: readonly ScopedPlugin[], names: ScopeNames = {}): Check[] {
  const active = plugins.filter((p) => p.enabled !== false && p.consumer === null);
  const postFunctions = active.filter((p) => p.name === 'post-function');
  const checks: Check[] = [];
  for (const okta of active.filter((p) => p.name === 'okta-jwt')) {
    const label = where(okta, names);
    const marks = typeof okta.config === 'object' && okta.config !== null && (okta.config as Record<string, unknown>).fail_closed_guard === true;
    const code = guardCode(postFunctionFor(okta, postFunctions, names));
    if (marks && code === 'shipped') {
      checks.push(pass('config.guard', `${label}: okta-jwt with the fail-closed guard`, 'fail_closed_guard'));
    } else if (marks && code === 'other') {
      checks.push(fail('config.guard', `${label}: the post-function beside okta-jwt reads kong.ctx.shared.${GUARD_SHARED_KEY} but is not this version's guard (an earlier one refuses every request, 503). Replace its access code with the one in ${GUARD_DOC}`, 'fail_closed_guard'));
    } else if (marks) {
      checks.push(fail('config.guard', `${label}: fail_closed_guard is on but no guard post-function runs on the same route/service or globally: okta-jwt leaves its upstream headers for that post-function, so requests reach the upstream without them, and unauthenticated while okta-jwt is skipped. Add the post-function in ${GUARD_DOC}`, 'fail_closed_guard'));
    } else if (code !== 'none') {
      checks.push(fail('config.guard', `${label}: a guard post-function runs beside okta-jwt but fail_closed_guard is off: okta-jwt leaves no mark, so every request is refused (503). Set fail_closed_guard: true`, 'fail_closed_guard'));
    } else {
      checks.push(warn('config.guard', `${label}: okta-jwt without the fail-closed guard: when Kong skips okta-jwt (plugin server down, stalled, or on Kong 3.4 never ready) requests are proxied unauthenticated. Set fail_closed_guard: true and add the post-function in ${GUARD_DOC}`, 'fail_closed_guard'));
    }
  }
  return checks;
}
