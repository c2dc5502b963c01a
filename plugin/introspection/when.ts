// Whether this request is introspected: any policy it falls under says so for its method, always
// or for its sample share. A request no introspecting policy covers costs nothing here.
import type { AccessPolicy } from '../config/types';

export function introspectionWanted(policies: readonly AccessPolicy[], method: string | null, random: () => number = Math.random): boolean {
  return policies.some(({ introspection: { mode, methods, samplePercent } }) => {
    if (mode === 'off') return false;
    // Methods not read (no policy names them) means any method; a policy naming them needs the method.
    if (methods !== null && (method === null || !methods.has(method))) return false;
    return mode === 'always' || random() * 100 < samplePercent;
  });
}
