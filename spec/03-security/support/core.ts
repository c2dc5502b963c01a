// The pure core with real keys, for unit-level security cases and the fuzz suite: okta-jwt's
// decide() over a normalised config, an in-memory key set holding a real RS256 public key, and a
// signer for hand-assembled header/payload text (signed with WebCrypto, not jose, so the text is exact).
import { webcrypto } from 'node:crypto';
import { decide } from '../../../plugin/core/decide';
import type { Decision } from '../../../plugin/vocabulary/decision';
import type { RequestView } from '../../../plugin/vocabulary/request';
import type { PluginConfig } from '../../../plugin/config/types';
import { normaliseConfig } from '../../../plugin/config/normalise';
import type { KeySets } from '../../../plugin/verify/verify-token';
import { newSigner, oktaClaims, staticKeySet, TEST_AUDIENCE, TEST_ISSUER, type TestSigner } from '../../support/test-keys';
import { b64url } from './raw-issuer';

export const CORE_HEADERS = [
  { claim: 'sub', header: 'X-User-Sub' },
  { claim: 'scp', header: 'X-Token-Scopes' },
  { claim: 'cid', header: 'X-Client-Id' },
  { claim: 'profile.email', header: 'X-User-Email' },
  { claim: 'groups', header: 'X-Groups' },
  { claim: 'profile', header: 'X-Profile' },
];

export interface Core {
  signer: TestSigner;
  config: PluginConfig;
  keySets: KeySets;
  /** The trusted issuer's key set; `lookups` counts key resolutions (each precedes an RSA verify). */
  keySet: ReturnType<typeof staticKeySet>;
  /** Signs exactly this header and payload text (RS256 with the trusted key, or another). */
  signText(headerJson: string, payloadJson: string, signer?: TestSigner): Promise<string>;
  /** A token over JSON.stringify(claims) with header {alg: RS256, kid}. */
  sign(claims: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>;
  validClaims(overrides?: Record<string, unknown>): Record<string, unknown>;
  decide(headers: Record<string, string[]>): Promise<Decision>;
  bearer(token: string, more?: Record<string, string[]>): Promise<Decision>;
}

export async function startCore(extraConfig: Record<string, unknown> = {}): Promise<Core> {
  const signer = await newSigner('RS256');
  const config = normaliseConfig({
    issuer: TEST_ISSUER,
    audiences: [TEST_AUDIENCE],
    scopes_required: ['orders:read'],
    claims_to_headers: CORE_HEADERS,
    ...extraConfig,
  });
  const keySet = staticKeySet([signer.publicJwk]);
  const keySets: KeySets = new Map([[TEST_ISSUER, keySet]]);
  const signText = async (headerJson: string, payloadJson: string, by: TestSigner = signer) => {
    const input = `${b64url(headerJson)}.${b64url(payloadJson)}`;
    const signature = await webcrypto.subtle.sign('RSASSA-PKCS1-v1_5', by.privateKey as webcrypto.CryptoKey, Buffer.from(input));
    return `${input}.${b64url(new Uint8Array(signature))}`;
  };
  const view = (headers: Record<string, string[]>): RequestView => ({ headers, method: null, path: null, rawQuery: null, alreadyAuthenticated: false });
  return {
    signer,
    config,
    keySets,
    keySet,
    signText,
    sign: (claims, header = { alg: 'RS256', kid: signer.kid }) => signText(JSON.stringify(header), JSON.stringify(claims)),
    validClaims: (overrides = {}) => oktaClaims(overrides) as Record<string, unknown>,
    decide: async (headers) => decide(view(headers), config, keySets),
    bearer: async (token, more = {}) => decide(view({ authorization: [`Bearer ${token}`], ...more }), config, keySets),
  };
}
