// Kong allows one plugin of a name per route/service/consumer combination (the plugins entity's
// cache key: name, route, service, consumer). The Admin API answers a second one 409; POST /config
// derives a declared plugin's id from the same four values, so a second one repeats the first one's
// id and the document is refused (batch4 §3).
import type { PluginEntity, Ref } from './entities';

type Scoped = Pick<PluginEntity, 'name' | 'route' | 'service' | 'consumer'>;

const SCOPE_FIELDS = ['consumer', 'name', 'route', 'service'] as const; // sorted, as Kong prints the key

/** True when both plugins have the same name on the same route, service and consumer (absent counts as a value). */
export function sameScope(a: Scoped, b: Scoped): boolean {
  const id = (r: Ref | null) => r?.id ?? null;
  return a.name === b.name && id(a.route) === id(b.route) && id(a.service) === id(b.service) && id(a.consumer) === id(b.consumer);
}

/** The Admin API's 409 for a plugin whose scope another plugin already holds. */
export function uniqueViolationBody(p: Scoped): Record<string, unknown> {
  const lua = (v: Ref | string | null) => (v === null ? 'null' : typeof v === 'string' ? JSON.stringify(v) : `{id=${JSON.stringify(v.id)}}`);
  const key = SCOPE_FIELDS.map((f) => `${f}=${lua(p[f])}`).join(',');
  return {
    code: 5,
    message: `UNIQUE violation detected on '{${key}}'`,
    name: 'unique constraint violation',
    fields: { route: p.route, service: p.service, consumer: p.consumer, name: p.name },
  };
}

/** POST /config's message for a declared plugin whose id an earlier one already took. */
export function declaredTwiceMessage(id: string): string {
  return `uniqueness violation: 'plugins' entity with primary key set to '${id}' already declared`;
}
