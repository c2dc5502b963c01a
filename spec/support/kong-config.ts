// Declarative configs (kong.yml, _format_version 3.0) for the integration suite: the echo service
// with a protected route (/echo) and an open one (/open), okta-jwt scoped to the route, the
// service or globally, and optionally the fail-closed guard (pre-/post-function).
import type { Gateway } from './gateway';

export const GUARD_HEADER = 'X-Okta-Jwt-Guard';

/** The guard as shipped in kong/kong.yml: strip client copies first, refuse requests okta-jwt did not mark. */
export const guardPlugins = (): Array<Record<string, unknown>> => [
  { name: 'pre-function', config: { access: [`kong.service.request.clear_header("${GUARD_HEADER}")`] } },
  {
    name: 'post-function',
    config: {
      access: [
        `if not kong.request.get_header("${GUARD_HEADER}") then return kong.response.exit(503, { message = "Authentication is temporarily unavailable" }) end`,
        `kong.service.request.clear_header("${GUARD_HEADER}")`,
      ],
    },
  },
];

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
  const okta = [{ name: 'okta-jwt', config: options.plugin ?? oktaJwtConfig(gw) }, ...(options.guard ? guardPlugins() : [])];
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
