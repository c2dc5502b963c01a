// Declarative configs (kong.yml, _format_version 3.0) for the integration suite: the echo service
// with a protected route (/echo) and an open one (/open), okta-jwt scoped to the route, the
// service or globally, and optionally the fail-closed guard (a post-function).
import type { Gateway } from './gateway';
import { GUARD_POST_FUNCTION } from '../../plugin/handler/guard-mark';

/** The guard's post-function as shipped in every asset: refuse every request okta-jwt did not mark, set the mark's headers. */
export const GUARD_SNIPPET = GUARD_POST_FUNCTION;

/** What a client might send hoping to pass for okta-jwt's mark: the old marker header and the ctx key, in every spelling. */
export const FORGED_GUARD_HEADERS: Array<[string, string]> = [
  'X-Okta-Jwt-Guard', 'X_Okta_Jwt_Guard', 'x-okta-jwt-guard', 'X-OKTA-JWT-GUARD', 'x_okta_jwt_guard',
  'okta_jwt_guard', 'OKTA_JWT_GUARD', 'Okta-Jwt-Guard', 'okta-jwt-guard',
].flatMap((name): Array<[string, string]> => [[name, 'true'], [name, '1']]);

/** The guard beside okta-jwt (which needs `fail_closed_guard: true` to mark the requests it lets through). */
export const guardPlugins = (): Array<Record<string, unknown>> => [{ name: 'post-function', config: { access: [GUARD_SNIPPET] } }];

/** The plugin config used throughout the suite; `extra` overrides or adds fields. */
export function oktaJwtConfig(gw: Gateway, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const insecure = gw.issuer.startsWith('http://') && !/^http:\/\/(localhost|127\.0\.0\.1)[:/]/.test(gw.issuer);
  return {
    issuer: gw.issuer,
    audiences: ['api://default'],
    scopes_required: ['orders:read'],
    claims_to_headers: [
      { claim: 'sub', header: 'X-User-Sub' },
      { claim: 'scp', header: 'X-Token-Scopes' },
      { claim: 'cid', header: 'X-Client-Id' },
      { claim: 'profile.email', header: 'X-User-Email' },
    ],
    ...(insecure ? { allow_insecure_issuer: true } : {}),
    ...extra,
  };
}

export type Scope = 'route' | 'service' | 'global';

export interface ConfigOptions {
  scope?: Scope;
  plugin?: Record<string, unknown>;
  guard?: boolean;
  consumers?: Array<Record<string, unknown>>;
  /** Further plugins on the protected route (e.g. acl). */
  routePlugins?: Array<Record<string, unknown>>;
}

export function kongYml(gw: Gateway, options: ConfigOptions = {}): Record<string, unknown> {
  const scope = options.scope ?? 'route';
  // The guard sits beside okta-jwt, so it covers exactly the requests okta-jwt covers.
  const plugin = options.plugin ?? oktaJwtConfig(gw);
  const okta = [{ name: 'okta-jwt', config: options.guard ? { fail_closed_guard: true, ...plugin } : plugin }, ...(options.guard ? guardPlugins() : [])];
  const on = (s: Scope) => (scope === s ? okta : []);
  return {
    _format_version: '3.0',
    services: [
      {
        name: 'echo',
        url: gw.upstreamUrl,
        plugins: on('service'),
        routes: [
          { name: 'protected', paths: ['/echo'], plugins: [...on('route'), ...(options.routePlugins ?? [])] },
          { name: 'open', paths: ['/open'] },
        ],
      },
    ],
    plugins: on('global'),
    ...(options.consumers ? { consumers: options.consumers } : {}),
  };
}
