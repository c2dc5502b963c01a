// A cached token is looked up before its header is parsed (decide.ts, cachedPlainBearer): the
// decision must be the one the full parse gives, for every header shape around a cached token.
import { expect } from 'chai';
import fc from 'fast-check';
import { decide } from '../../../plugin/core/decide';
import type { Decision } from '../../../plugin/vocabulary/decision';
import type { KeySets } from '../../../plugin/verify/verify-token';
import { normaliseConfig } from '../../../plugin/config/normalise';
import { resetVerifiedTokens } from '../../../plugin/cache/verified-tokens';
import { newSigner, oktaClaims, signToken, staticKeySet, TEST_AUDIENCE, TEST_ISSUER } from '../../support/test-keys';

function config(extra: Record<string, unknown> = {}) {
  return normaliseConfig({
    issuer: TEST_ISSUER,
    audiences: [TEST_AUDIENCE],
    scopes_required: ['orders:read'],
    claims_to_headers: [{ claim: 'sub', header: 'X-User-Sub' }],
    ...extra,
  });
}

/** What a client and an upstream see of a decision. */
function outcome(d: Decision): unknown {
  if (d.kind === 'deny') return { kind: d.kind, status: d.status, reason: d.reason, headers: d.headers, body: d.body };
  if (d.kind === 'allow') return { kind: d.kind, setHeaders: d.setHeaders, clearHeaders: d.clearHeaders, claims: d.claims };
  return d;
}

describe('a cached token is judged as its header reads', () => {
  let sets: KeySets;
  let token: string;

  before(async () => {
    const signer = await newSigner();
    sets = new Map([[TEST_ISSUER, staticKeySet([signer.publicJwk])]]);
    token = await signToken(signer, oktaClaims());
  });
  beforeEach(() => resetVerifiedTokens());

  for (const dpop of ['off', 'allowed'] as const) {
    it(`gives every header shape around a cached token the answer of an uncached parse (dpop ${dpop})`, async () => {
      const cached = config({ dpop: { mode: dpop } });
      const uncached = config({ dpop: { mode: dpop }, token_cache: { max_entries: 0 } });
      const view = (values: string[], more: Record<string, string[]> = {}) => ({ headers: { authorization: values, ...more }, method: null, path: null, rawQuery: null, alreadyAuthenticated: false });
      expect((await decide(view([`Bearer ${token}`]), cached, sets)).kind).to.equal('allow');
      const scheme = fc.constantFrom('Bearer ', 'bearer ', 'Bearer  ', 'Bearer\t', 'DPoP ', 'Basic ', '', ' Bearer ');
      const body = fc.constantFrom(token, `${token} `, ` ${token}`, `${token}\t`, `${token} x`, `${token}=`, `${token}.`, token.slice(0, -1), `${token},`, `${token}\u2028`);
      const value = fc.tuple(scheme, body).map(([s, b]) => s + b);
      const extra = fc.constantFrom<Record<string, string[]>>({}, { dpop: ['proof'] }, { 'x-user-sub': ['spoof'] });
      await fc.assert(
        fc.asyncProperty(fc.array(value, { minLength: 1, maxLength: 2 }), extra, async (values, more) => {
          expect(outcome(await decide(view(values, more), cached, sets)), JSON.stringify(values)).to.deep.equal(outcome(await decide(view(values, more), uncached, sets)));
        }),
        { numRuns: 300 },
      );
    });
  }
});
