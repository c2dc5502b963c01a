// Kong's traditional router, reduced to what the double needs: `paths` prefix match (longest prefix
// wins), `methods`, `hosts`; and plugin-config selection by scope precedence.
import type { EntityStore, PluginEntity, Route } from './entities';

export interface RouteMatch { route: Route; prefix: string }

export function matchRoute(store: EntityStore, method: string, host: string, rawPath: string): RouteMatch | undefined {
  let best: RouteMatch | undefined;
  for (const route of store.routes) {
    if (route.methods && !route.methods.includes(method)) continue;
    if (route.hosts && !route.hosts.some((h) => h.toLowerCase() === host || (h.startsWith('*.') && host.endsWith(h.slice(1))))) continue;
    const prefixes = route.paths ?? ['/'];
    for (const prefix of prefixes) {
      if (!rawPath.startsWith(prefix)) continue;
      if (!best || prefix.length > best.prefix.length) best = { route, prefix };
    }
  }
  return best;
}

/** Upstream path: the service path joined with the request path (minus the matched prefix when strip_path). */
export function upstreamPath(servicePath: string | null, rawPath: string, match: RouteMatch): string {
  let rest = match.route.strip_path ? rawPath.slice(match.prefix.length) : rawPath;
  if (rest !== '' && !rest.startsWith('/') && !match.prefix.endsWith('/')) rest = '/' + rest;
  if (!servicePath) return rest === '' ? '/' : rest.startsWith('/') ? rest : '/' + rest;
  if (rest === '') return servicePath;
  return servicePath.replace(/\/$/, '') + (rest.startsWith('/') ? rest : '/' + rest);
}

/** Kong's precedence (plugins_iterator.lua): the most specific scope combination wins. */
const COMBOS: Array<[route: boolean, service: boolean, consumer: boolean]> = [
  [true, true, true], [true, false, true], [false, true, true], [true, true, false],
  [false, false, true], [true, false, false], [false, true, false], [false, false, false],
];

export function selectPluginConfig(
  store: EntityStore, name: string, routeId: string, serviceId: string | undefined, consumerId: string | undefined,
): PluginEntity | undefined {
  const candidates = store.plugins.filter((p) => p.name === name && p.enabled);
  for (const [r, s, c] of COMBOS) {
    const hit = candidates.find((p) =>
      (r ? p.route?.id === routeId : p.route === null) &&
      (s ? serviceId !== undefined && p.service?.id === serviceId : p.service === null) &&
      (c ? consumerId !== undefined && p.consumer?.id === consumerId : p.consumer === null));
    if (hit) return hit;
  }
  return undefined;
}
