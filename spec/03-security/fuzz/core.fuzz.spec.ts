// Property-based tests of the pure core (decide with a real RS256 key): volume. Mutated,
// truncated and re-encoded tokens; hostile claim values in validly signed tokens; hostile header
// maps. Nothing but a genuinely valid token is accepted, nothing throws or hangs, and every header
// value okta-jwt would write upstream is printable ASCII.
import fc from 'fast-check';
import { expect } from 'chai';
import { startCore, CORE_HEADERS, type Core } from '../support/core';
import type { Decision } from '../../../plugin/vocabulary/decision';
import {
  carriesExactly, Entries, expectedHeader, fuzzRuns, fuzzSeed, genuinelyValid, hostileJson, hostileString, HOSTILE_KEYS, mutate, mutation,
  SAFE_HEADER_VALUE, toJson, type JsonValue,
} from './fuzz-support';

const SCOPE = 'orders:read';
/** Per decision: a local RS256 verification is well under a millisecond; this only catches hangs and blow-ups. */
const MAX_DECISION_MS = 2000;

async function timed(run: () => Promise<Decision>): Promise<Decision> {
  const started = performance.now();
  const decision = await run();
  expect(performance.now() - started, 'decision time').to.be.below(MAX_DECISION_MS);
  return decision;
}

/** Counts outcomes so a property that never (or always) accepts is noticed: it would prove nothing. */
class Outcomes {
  allowed = 0;
  refused = 0;
  add(decision: Decision): void {
    if (decision.kind === 'allow') this.allowed++;
    else this.refused++;
  }
  expectBoth(): void {
    expect(this.allowed, 'no generated case was accepted').to.be.greaterThan(0);
    expect(this.refused, 'no generated case was refused').to.be.greaterThan(0);
  }
}

function expectSafeHeaders(decision: Decision): void {
  if (decision.kind !== 'allow') return;
  for (const [name, value] of Object.entries(decision.setHeaders)) {
    expect(SAFE_HEADER_VALUE.test(value), `${name}: ${JSON.stringify(value)}`).to.equal(true);
  }
}

describe('fuzz: the pure core', function () {
  this.timeout(0);
  let core: Core;
  let valid: string;

  before(async () => {
    core = await startCore();
    valid = await core.sign(core.validClaims());
    expect((await core.bearer(valid)).kind).to.equal('allow');
  });

  it(`mutated, truncated and re-encoded tokens: accepted only when unchanged (up to outer whitespace of the header) (${fuzzRuns(0.4)} runs)`, async () => {
    const outcomes = new Outcomes();
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), async (mutations) => {
        const token = mutate(valid, mutations);
        const decision = await timed(() => core.bearer(token));
        outcomes.add(decision);
        // A field value's outer spaces and tabs are not part of it (RFC 9110 §5.5): "Bearer T\t" is T.
        expect(decision.kind === 'allow', JSON.stringify(mutations)).to.equal(carriesExactly([`Bearer ${token}`], valid));
        expectSafeHeaders(decision);
      }),
      { numRuns: fuzzRuns(0.4), seed: fuzzSeed() },
    );
    outcomes.expectBoth();
  });

  it(`hostile claim values in validly signed tokens: accepted exactly when genuinely valid, headers always safe (${fuzzRuns(0.3)} runs)`, async () => {
    const mapped = CORE_HEADERS.map((m) => m.claim.split('.')[0]);
    const overrides = fc.array(fc.tuple(fc.constantFrom(...new Set([...mapped, 'scp', 'scope', ...HOSTILE_KEYS])), hostileJson), { maxLength: 5 });
    const outcomes = new Outcomes();
    await fc.assert(
      fc.asyncProperty(overrides, fc.boolean(), async (changes, keepScope) => {
        const base = core.validClaims({ scp: keepScope ? [SCOPE] : ['openid'] });
        const entries: Array<[string, JsonValue]> = Object.entries(base).map(([k, v]) => [k, v as JsonValue]);
        // Hostile members come last: with duplicate names JSON.parse (and jose) keep the last one.
        const text = toJson(new Entries([...entries, ...changes]));
        const token = await core.signText(JSON.stringify({ alg: 'RS256', kid: core.signer.kid }), text);
        const claims = JSON.parse(text) as Record<string, unknown>;
        const expected = token.length <= core.config.maxTokenBytes && genuinelyValid(claims, CORE_HEADERS, SCOPE);
        const decision = await timed(() => core.bearer(token));
        outcomes.add(decision);
        expect(decision.kind === 'allow', `claims ${text.slice(0, 300)}`).to.equal(expected);
        expectSafeHeaders(decision);
        if (decision.kind === 'allow') {
          for (const m of CORE_HEADERS) {
            const header = expectedHeader(claims, m.claim);
            expect(decision.setHeaders[m.header], m.header).to.equal(header === null ? undefined : header);
          }
        }
      }),
      { numRuns: fuzzRuns(0.3), seed: fuzzSeed() },
    );
    outcomes.expectBoth();
  });

  it(`hostile header maps (several credentials, odd schemes and spacing, spoofed and prototype-named headers): accepted only for exactly one Bearer credential (${fuzzRuns(0.3)} runs)`, async () => {
    const scheme = fc.constantFrom('Bearer', 'bearer', 'BEARER', 'bEaReR', 'Basic', 'Token', 'DPoP', 'Bearer:', '');
    const ows = fc.constantFrom('', ' ', '\t', '  ', ' \t');
    const authValue = fc.oneof(
      fc.tuple(ows, scheme, fc.constantFrom(' ', '  ', '\t', ''), fc.oneof(fc.constant('VALID'), fc.array(mutation, { minLength: 1, maxLength: 2 })), ows),
      hostileString,
      fc.constant(true as const),
    );
    const other = fc.tuple(fc.constantFrom('x-user-sub', 'x_user_sub', 'x-user_email', 'x-groups', 'x_groups', 'x-profile', 'x-token-scopes', '__proto__', 'constructor', 'cookie', 'origin', 'hasownproperty'), fc.array(fc.oneof(hostileString, fc.constant(true as const)), { minLength: 1, maxLength: 3 }));
    const outcomes = new Outcomes();
    await fc.assert(
      fc.asyncProperty(fc.array(authValue, { maxLength: 3 }), fc.array(other, { maxLength: 5 }), async (auths, others) => {
        const values = auths.map((a) => {
          if (typeof a !== 'object') return a;
          const [lead, sch, sep, tok, trail] = a;
          return `${lead}${sch}${sep}${tok === 'VALID' ? valid : mutate(valid, tok)}${trail}`;
        });
        const headers: Record<string, Array<string | true>> = {};
        for (const [name, list] of others) Object.defineProperty(headers, name, { value: list, enumerable: true, configurable: true, writable: true });
        if (values.length > 0) headers.authorization = values;
        const decision = await timed(() => core.decide(headers as Record<string, string[]>));
        outcomes.add(decision);
        expect(decision.kind === 'allow', JSON.stringify(values).slice(0, 300)).to.equal(carriesExactly(values, valid));
        expectSafeHeaders(decision);
        if (decision.kind === 'allow') {
          // Every spelling of a mapped header the client sent (case aside, `_` for `-`) is either overwritten or cleared.
          for (const m of CORE_HEADERS) {
            for (const sent of Object.keys(headers).filter((name) => name.replaceAll('_', '-') === m.header.toLowerCase())) {
              const overwritten = sent === m.header.toLowerCase() && Object.hasOwn(decision.setHeaders, m.header);
              expect(overwritten || decision.clearHeaders.includes(sent), sent).to.equal(true);
            }
          }
        }
      }),
      { numRuns: fuzzRuns(0.3), seed: fuzzSeed() },
    );
    outcomes.expectBoth();
  });
});
