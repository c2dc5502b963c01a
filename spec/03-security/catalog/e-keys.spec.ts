// Catalogue group E: keys, JWKS fetching and rotation (cases 49–63). Through the gateway where the
// HTTP path can show it; key-set internals (bodies, timeouts, filtering) are covered against live
// scripted issuers in spec/01-unit/keys/ — those cases are listed below with the test that covers them.
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { securitySuite } from '../support/security-gateway';
import { AUDIENCE, newRsaKey } from '../support/raw-issuer';
import { send } from '../../support/http-client';
import { coveredBy } from '../support/covered-elsewhere';

describe('security catalogue E: keys, JWKS fetching and rotation', function () {
  const { test } = securitySuite();

  test('#51 key roll-over: a token signed with a key just added to the JWKS → 200 after exactly one refetch (once the unknown-kid cooldown allows one)', async (sec) => {
    // A 1 s cooldown (a new caching policy, so a key set of its own): the default 30 s would make the case wait.
    await sec.configure({ plugin: { key_set: { unknown_kid_cooldown_seconds: 1 } } });
    try {
      await sec.accepts([['Authorization', `Bearer ${sec.raw.sign(sec.raw.claims())}`]]);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const rolled = newRsaKey();
      sec.raw.published.push(rolled.publicJwk);
      const before = sec.raw.requests();
      await sec.accepts([['Authorization', `Bearer ${sec.raw.sign(sec.raw.claims(), { alg: 'RS256', kid: rolled.kid }, rolled.privateKey)}`]]);
      expect(sec.raw.requests() - before).to.equal(1);
    } finally {
      await sec.configure();
    }
  });

  test('#49 unknown kids (random) → 401 invalid_token, at most one refetch per cooldown', async (sec) => {
    const attacker = newRsaKey();
    const before = sec.raw.requests();
    for (let i = 0; i < 20; i++) {
      await sec.bearerRefused('401i', sec.raw.sign(sec.raw.claims(), { alg: 'RS256', kid: randomUUID() }, attacker.privateKey));
    }
    expect(sec.raw.requests() - before).to.be.at.most(1);
  });

  test('#50 unknown-kid flood while the JWKS endpoint answers 429/503 → 401 invalid_token, no retry storm, known kids still verify', async (sec) => {
    const before = sec.raw.requests();
    sec.raw.fail(429);
    try {
      for (let i = 0; i < 20; i++) await sec.bearerRefused('401i', sec.raw.sign(sec.raw.claims(), { alg: 'RS256', kid: randomUUID() }));
      await sec.accepts([['Authorization', `Bearer ${sec.raw.sign(sec.raw.claims())}`]]);
    } finally {
      sec.raw.fail(null);
    }
    expect(sec.raw.requests() - before).to.be.at.most(1);
  });

  coveredBy('#52 a key removed while cached stops verifying at the next refresh', 'spec/01-unit/keys/key-set.spec.ts', ['rejects a kid removed from the key set once the set has been refreshed']);
  coveredBy('#52 the verified-token cache never outlives the key or exp', 'spec/01-unit/keys/verified-tokens.spec.ts', ['never keeps an entry past the token exp', 'never keeps an entry longer than maxTtlSeconds']);

  test('#53 key set unreachable with nothing cached → 503 with Retry-After, never proxied', async (sec) => {
    // An issuer whose JWKS URL refuses connections (port 1): cold, so there is nothing to fall back to.
    const dead = 'http://127.0.0.1:1/oauth2/dead';
    await sec.configure({ plugin: { additional_issuers: [{ issuer: dead, jwks_uri: `${dead}/v1/keys`, audiences: [AUDIENCE] }] } });
    try {
      const token = sec.raw.sign(sec.raw.claims({ iss: dead }));
      await sec.bearerRefused(503, token);
      await sec.bearerRefused(503, token); // and again while backing off
    } finally {
      await sec.configure();
    }
  });

  coveredBy('#54 redirects and non-200 answers are failures, never followed', 'spec/01-unit/keys/key-filtering.spec.ts', ['refuses a redirect instead of following it']);
  coveredBy('#55 a garbage JWKS is a failure and the last good keys are kept', 'spec/01-unit/keys/key-set.spec.ts', ['treats a ${kind} key set as a failure and keeps the last good keys']);
  coveredBy('#56 a huge JWKS is cut off at max_body_bytes', 'spec/01-unit/keys/key-filtering.spec.ts', ['aborts reading a streamed body as soon as it passes maxBodyBytes']);
  coveredBy('#56 an oversized Content-Length is refused unread', 'spec/01-unit/keys/key-set.spec.ts', ['refuses an oversized key set announced by Content-Length without reading it']);
  coveredBy('#57 a slow or hanging JWKS is abandoned at the timeouts', 'spec/01-unit/keys/key-set.spec.ts', ['gives up on a hanging issuer after timeoutMs', 'gives up on a slow issuer after timeoutMs, discovery included']);
  coveredBy('#58 many keys are bounded and a duplicate kid is ambiguous', 'spec/01-unit/keys/key-filtering.spec.ts', ['accepts at most ${MAX_KEYS_PER_SET} keys from one set', 'refuses a kid published twice for the same alg (ambiguous key)']);

  test('#59 an RSA key under 2048 bits in the JWKS → 401 invalid_token (never 500, never proxied)', async (sec) => {
    const weak = newRsaKey(randomUUID(), 1024);
    sec.raw.published.push(weak.publicJwk);
    try {
      await sec.bearerRefused('401i', sec.raw.sign(sec.raw.claims(), { alg: 'RS256', kid: weak.kid }, weak.privateKey));
    } finally {
      sec.raw.published.pop();
    }
  });

  coveredBy('#60 private, encryption, key_ops-less and malformed JWKs are ignored', 'spec/01-unit/keys/key-filtering.spec.ts', ['ignores oct, private, encryption, weak, malformed and non-object entries but keeps the good key']);
  coveredBy('#60 a JWK whose alg differs from the token alg is unusable', 'spec/01-unit/keys/key-set.spec.ts', ['rejects a known kid presented with another alg']);

  test('#61 a token without kid while the JWKS holds two RSA keys → 401 invalid_token', async (sec) => {
    expect(sec.raw.published.length).to.be.at.least(2); // the roll-over (#51) left two keys
    await sec.configure({ plugin: { key_set: { min_ttl_seconds: 302 } } }); // a cold key set that fetches both
    try {
      await sec.bearerRefused('401i', sec.raw.sign(sec.raw.claims(), { alg: 'RS256' }));
    } finally {
      await sec.configure();
    }
  });

  test('#62 a token whose iss names an attacker host → 401 invalid_token and no request to that host', async (sec) => {
    const attacker = newRsaKey();
    const iss = `${sec.trap.url}/oauth2/default`;
    await sec.bearerRefused('401i', sec.raw.sign(sec.raw.claims({ iss }), { alg: 'RS256', kid: attacker.kid, jku: `${iss}/v1/keys` }, attacker.privateKey));
    expect(sec.trap.hits()).to.equal(0);
  });

  test('#63 cold start with 100 concurrent requests → one key-set fetch, no 5xx', async (sec) => {
    // A new caching policy means a new, cold key set for the raw issuer.
    await sec.configure({ plugin: { key_set: { min_ttl_seconds: 301 } } });
    try {
      const before = sec.raw.requests();
      const token = sec.raw.sign(sec.raw.claims());
      const statuses = await Promise.all(
        Array.from({ length: 100 }, () => send('GET', `${sec.proxy}/echo/cold`, [['Authorization', `Bearer ${token}`]]).then((r) => r.status)),
      );
      expect(new Set(statuses)).to.deep.equal(new Set([200]));
      expect(sec.raw.requests() - before).to.equal(1);
    } finally {
      await sec.configure();
    }
  });
});
