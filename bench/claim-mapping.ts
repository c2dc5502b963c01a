// The claim → upstream header mapping every benchmarked plugin writes, so each case sets the same
// headers in one set_headers call: okta-jwt through its claims_to_headers config, the
// @okta/jwt-verifier plugin through headersFor(), the reference plugin with fixed values.
import { DEV_CLIENT_ID, DEV_SUBJECT, DEV_USER_ID } from '../dev/dev-identity';

export const CLAIMS_TO_HEADERS: ReadonlyArray<{ claim: string; header: string }> = [
  { claim: 'sub', header: 'X-User-Sub' },
  { claim: 'scp', header: 'X-Token-Scopes' },
  { claim: 'cid', header: 'X-Client-Id' },
  { claim: 'uid', header: 'X-User-Id' },
];

/** The scope every benchmarked request must carry. */
export const REQUIRED_SCOPE = 'orders:read';

/** What the bench token carries beyond the dev issuer's defaults (sub, cid, uid below). */
export const BENCH_TOKEN_CLAIMS = { scp: ['openid', 'profile', REQUIRED_SCOPE, 'orders:write'], groups: ['Everyone', 'Orders'] };

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

/**
 * The headers okta-jwt writes for the bench token, which the reference plugin writes as fixed
 * values: the same names and bytes upstream, so the socket bytes compare like for like.
 */
export const BENCH_TOKEN_HEADERS: Readonly<Record<string, string>> = headersFor({ ...BENCH_TOKEN_CLAIMS, sub: DEV_SUBJECT, cid: DEV_CLIENT_ID, uid: DEV_USER_ID });
