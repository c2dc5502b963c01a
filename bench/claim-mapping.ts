// The claim → upstream header mapping every benchmarked plugin writes, so each case sets the same
// headers in one set_headers call: okta-jwt through its claims_to_headers config, the
// @okta/jwt-verifier plugin through headersFor(), the reference plugin with fixed values.

export const CLAIMS_TO_HEADERS: ReadonlyArray<{ claim: string; header: string }> = [
  { claim: 'sub', header: 'X-User-Sub' },
  { claim: 'scp', header: 'X-Token-Scopes' },
  { claim: 'cid', header: 'X-Client-Id' },
  { claim: 'uid', header: 'X-User-Id' },
];

/** The scope every benchmarked request must carry. */
export const REQUIRED_SCOPE = 'orders:read';

/** okta-jwt's rendering of a claim value: arrays joined with ", ", scalars as text. */
function headerValue(value: unknown): string | undefined {
  if (Array.isArray(value)) return value.map(String).join(', ');
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

export function headersFor(claims: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { claim, header } of CLAIMS_TO_HEADERS) {
    const value = headerValue(claims[claim]);
    if (value !== undefined) out[header] = value;
  }
  return out;
}
