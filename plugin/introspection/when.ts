// Whether this request is introspected: any policy it falls under says so for its method, always
// or for its sample share. A request no introspecting policy covers costs nothing here.
// "sampled_out": a policy samples this request's method and this one was not drawn; a token
// already known inactive is still refused then (introspect.ts knownInactive), or a client would
// only have to retry a revoked token until a request is not drawn.
import type { AccessPolicy } from '../config/types';

export type IntrospectionWanted = 'introspect' | 'sampled_out' | 'no';

export function introspectionWanted(policies: readonly AccessPolicy[], method: string | null, random: () => number = Math.random): IntrospectionWanted {
  let wanted: IntrospectionWanted = 'no';
  for (const { introspection: { mode, methods, samplePercent } } of policies) {
    if (mode === 'off') continue;
    // Methods not read (no policy names them) means any method; a policy naming them needs the method.
    if (methods !== null && (method === null || !methods.has(method))) continue;
    if (mode === 'always' || random() * 100 < samplePercent) return 'introspect';
    wanted = 'sampled_out';
  }
  return wanted;
}
