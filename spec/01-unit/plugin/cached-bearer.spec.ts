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

describe('a cached token looked up before its header is parsed', () => {
  // One signer for both properties: a plain token and a DPoP-bound one.
  let sets: KeySets;
  let token: string;
  let bound: string;

  before(async () => {
    const signer = await newSigner();
    sets = new Map([[TEST_ISSUER, staticKeySet([signer.publicJwk])]]);
    token = await signToken(signer, oktaClaims());
    bound = await signToken(signer, oktaClaims({ cnf: { jkt: 'A'.repeat(43) } }));
  });

  describe('a cached token is judged as its header reads', () => {
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

  /** The whole decision, safe identifiers aside. */
  function wholeOutcome(d: Decision): unknown {
    return JSON.parse(JSON.stringify(d, (k, v) => (k === 'detail' ? undefined : v)));
  }

  // Shapes around the property above: true and empty values, three values, dpop required, hide_credentials,
  // anonymous, dry_run, and a DPoP-bound token (cached by a DPoP-scheme request before its proof is checked).
  describe('a cached token is judged as its header reads, under every presentation setting', () => {
    beforeEach(() => resetVerifiedTokens());

    const variants: Array<Record<string, unknown>> = [];
    for (const mode of ['off', 'allowed', 'required']) {
      for (const extra of [{}, { hide_credentials: true }, { anonymous: 'anon' }, { dry_run: true }]) variants.push({ dpop: { mode }, ...extra });
    }
    for (const v of variants) {
      it(`same answer cached and uncached: ${JSON.stringify(v)}`, async () => {
        const cached = config(v);
        const uncached = config({ ...v, token_cache: { max_entries: 0 } });
        const view = (values: Array<string | true>, more: Record<string, Array<string | true>> = {}) => ({ headers: { authorization: values, ...more }, method: 'GET', path: '/', rawQuery: null, alreadyAuthenticated: false, target: { scheme: 'https', host: 'api.example', port: 443, pathWithQuery: '/' } });
        // Seed both tokens (the bound one through a DPoP-scheme request with a bad proof: cached before the proof check).
        await decide(view([`Bearer ${token}`]) as never, cached, sets);
        await decide(view([`DPoP ${bound}`], { dpop: ['x.y.z'] }) as never, cached, sets);
        const scheme = fc.constantFrom('Bearer ', 'bearer ', 'DPoP ', '');
        const body = fc.constantFrom(token, bound, `${token} `, `${bound}\t`);
        const value = fc.oneof(fc.tuple(scheme, body).map(([s, b]) => s + b), fc.constantFrom<string | true>(true, '', ' ', '\t'));
        const extra = fc.constantFrom<Record<string, Array<string | true>>>({}, { dpop: ['proof'] }, { dpop: [true] }, { 'x-user-sub': ['spoof'] }, { Authorization: ['Bearer x'] });
        await fc.assert(
          fc.asyncProperty(fc.array(value, { minLength: 1, maxLength: 3 }), extra, async (values, more) => {
            const a = wholeOutcome(await decide(view(values, more) as never, cached, sets));
            const b = wholeOutcome(await decide(view(values, more) as never, uncached, sets));
            expect(a, JSON.stringify([values, more])).to.deep.equal(b);
          }),
          { numRuns: 200 },
        );
      });
    }
  });
});
