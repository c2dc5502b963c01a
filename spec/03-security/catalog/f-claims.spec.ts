// Catalogue group F: claim validation (cases 64–83).
import { expect } from 'chai';
import { securitySuite, type SecurityGateway } from '../support/security-gateway';
import { coveredBy } from '../support/covered-elsewhere';
import { decodeSegment, parts } from '../support/tokens';

const now = () => Math.floor(Date.now() / 1000);

describe('security catalogue F: claim validation', function () {
  const { test } = securitySuite();

  /** A dev-issuer token with these claims (scope orders:read unless overridden). */
  const mint = (sec: SecurityGateway, claims: Record<string, unknown> = {}, options: Parameters<SecurityGateway['gw']['mint']>[1] = {}) =>
    sec.gw.mint({ scp: ['orders:read'], ...claims }, options);

  test('#64 expired (exp in the past; exp == now with leeway 0) → 401 invalid_token', async (sec) => {
    await sec.bearerRefused('401i', await mint(sec, {}, { issuedAt: now() - 7200, expiresInSeconds: 3600 }));
    await sec.configure({ plugin: { leeway_seconds: 0 } });
    try {
      await sec.bearerRefused('401i', await mint(sec, {}, { issuedAt: now() - 600, expiresInSeconds: 600 }));
    } finally {
      await sec.configure();
    }
  });

  test('#65 clock tolerance 30 s: exp 10 s ago accepted, 90 s ago refused', async (sec) => {
    await sec.accepts([['Authorization', `Bearer ${await mint(sec, {}, { issuedAt: now() - 610, expiresInSeconds: 600 })}`]]);
    await sec.bearerRefused('401i', await mint(sec, {}, { issuedAt: now() - 690, expiresInSeconds: 600 }));
  });

  test('#66 missing exp → 401 invalid_token', async (sec) => {
    await sec.bearerRefused('401i', await mint(sec, {}, { omit: ['exp'] }));
  });

  test('#67 non-numeric time claims (exp "…", null, true, []) → 401 invalid_token', async (sec) => {
    for (const exp of [String(now() + 3600), null, true, [], {}]) await sec.bearerRefused('401i', await mint(sec, { exp }));
  });

  test('#68 absurd exp (1e309 = Infinity, 1e20, 2^63) → 401 invalid_token', async (sec) => {
    for (const exp of [1e20, 2 ** 63, now() + 400 * 86400]) await sec.bearerRefused('401i', await mint(sec, { exp }));
    const text = JSON.stringify(sec.raw.claims({ exp: 0 })).replace('"exp":0', '"exp":1e309');
    await sec.bearerRefused('401i', sec.raw.signText(JSON.stringify({ alg: 'RS256', kid: sec.raw.key.kid }), text));
  });

  test('#69 nbf beyond the leeway, or non-numeric nbf → 401 invalid_token', async (sec) => {
    await sec.bearerRefused('401i', await mint(sec, {}, { notBeforeSeconds: 120 }));
    await sec.bearerRefused('401i', await mint(sec, { nbf: 'yesterday' }));
  });

  test('#70 iat in the future → 401 invalid_token', async (sec) => {
    await sec.bearerRefused('401i', await mint(sec, {}, { issuedAt: now() + 600 }));
  });

  test('#71 inverted window (exp < iat, both plausible) → 401 invalid_token', async (sec) => {
    await sec.bearerRefused('401i', await mint(sec, { iat: now() + 20, exp: now() + 10 }));
  });

  test('#72 issuer variants (trailing slash, case, scheme, org AS, another AS, missing, array, whitespace, homoglyph) → 401 invalid_token', async (sec) => {
    const iss = sec.gw.issuer;
    const url = new URL(iss);
    const variants: unknown[] = [
      `${iss}/`, iss.toUpperCase(), iss.replace('http:', 'https:'), url.origin, `${url.origin}/oauth2/aus0other`, [iss], ` ${iss}`, `${iss} `,
      iss.replace('oauth2', 'оauth2'), // Cyrillic о
    ];
    for (const variant of variants) await sec.bearerRefused('401i', await mint(sec, { iss: variant }));
    await sec.bearerRefused('401i', await mint(sec, {}, { omit: ['iss'] }));
  });

  test('#73 audience variants (missing, other API, client id, [], object, trailing space, case) → 401 invalid_token; an array holding the audience is accepted', async (sec) => {
    for (const aud of ['api://other', '0oa1devclientid', [], { aud: 'api://default' }, 'api://default ', 'API://DEFAULT']) {
      await sec.bearerRefused('401i', await mint(sec, { aud }));
    }
    await sec.bearerRefused('401i', await mint(sec, {}, { omit: ['aud'] }));
    await sec.accepts([['Authorization', `Bearer ${await mint(sec, { aud: ['api://other', 'api://default'] })}`]]);
  });

  test('#74 an Okta ID token used as an access token (aud = client id, nonce, at_hash, jti ID.…; or the right aud with nonce) → 401 invalid_token', async (sec) => {
    const idClaims = { aud: '0oa1devclientid', nonce: 'n-0S6_WzA2Mj', at_hash: 'x4kHAVkP2sAjQYvzrM_8Zw', amr: ['pwd'], idp: '00o1idp', jti: 'ID.abc123' };
    await sec.bearerRefused('401i', await mint(sec, idClaims, { omit: ['scp', 'cid'] }));
    await sec.bearerRefused('401i', await mint(sec, { nonce: 'n-0S6_WzA2Mj' }));
    await sec.bearerRefused('401i', await mint(sec, { at_hash: 'x4kHAVkP2sAjQYvzrM_8Zw' }));
    await sec.bearerRefused('401i', await mint(sec, { jti: 'ID.abc123' }));
  });

  test('#75 explicit typing: absent, at+jwt, application/at+jwt, JWT accepted; dpop+jwt, secevent+jwt, logout+jwt, id_token+jwt refused; JWT with ID-token claims refused', async (sec) => {
    for (const typ of [undefined, 'at+jwt', 'application/at+jwt', 'JWT']) {
      await sec.accepts([['Authorization', `Bearer ${await mint(sec, {}, typ === undefined ? {} : { typ })}`]]);
    }
    for (const typ of ['dpop+jwt', 'secevent+jwt', 'logout+jwt', 'id_token+jwt', 'JOSE', '']) await sec.bearerRefused('401i', await mint(sec, {}, { typ }));
    await sec.bearerRefused('401i', await mint(sec, { nonce: 'abc' }, { typ: 'JWT' }));
  });

  test('#76 a token from another authorization server of the same org (own keys, unknown kid) → 401 invalid_token without any key fetch', async (sec) => {
    const before = sec.raw.requests();
    const other = `${new URL(sec.raw.issuer).origin}/oauth2/aus0other`;
    for (let i = 0; i < 10; i++) await sec.bearerRefused('401i', sec.raw.sign(sec.raw.claims({ iss: other }), { alg: 'RS256', kid: `other-${i}` }));
    expect(sec.raw.requests()).to.equal(before);
  });

  test('#77 a client-credentials token (no uid, sub = client id) is allowed by scope; absent identity headers are cleared, never left as the client sent them', async (sec) => {
    const token = await mint(sec, { sub: '0oa1devclientid' }, { omit: ['uid'] });
    const echoed = await sec.accepts([['Authorization', `Bearer ${token}`], ['X-User-Email', 'admin@example.com']]);
    expect(echoed.headers['x-user-sub']).to.equal('0oa1devclientid');
    expect(echoed.headers).to.not.have.property('x-user-email');
  });

  // RFC 9449 §7.1: without a validated DPoP proof a bound token is not a bearer token.
  test('#78 a DPoP-bound (cnf.jkt) or mTLS-bound (cnf.x5t#S256) token used as a Bearer token → 401 invalid_token', async (sec) => {
    await sec.bearerRefused('401i', await mint(sec, { cnf: { jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I' } }));
    await sec.bearerRefused('401i', await mint(sec, { cnf: { 'x5t#S256': 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2' } }));
  });

  test('#79 scope enforcement: missing, superstring, prefix, case change, non-strings → 403 insufficient_scope; a space-separated scope string works; 600 scopes are judged too (10,000 do not fit in one 8 KiB header line)', async (sec) => {
    await sec.bearerRefused('403s', await mint(sec, {}, { omit: ['scp'] }));
    for (const scp of [['orders:read:all'], ['xorders:read'], 'orders:readwrite', ['Orders:Read'], [['orders:read']], [null], [{ 'orders:read': true }], 42, null]) {
      const res = await sec.bearerRefused('403s', await mint(sec, { scp }));
      expect(String(res.headers['www-authenticate'])).to.include('scope="orders:read"');
    }
    await sec.accepts([['Authorization', `Bearer ${await mint(sec, { scp: undefined, scope: 'openid orders:read' }, { omit: ['scp'] })}`]]);
    await sec.bearerRefused('403s', await mint(sec, { scp: Array.from({ length: 600 }, (_, i) => `s${i}`) }));
  });

  test('#80 cid allow-list: a token minted for another client → 403 insufficient_scope', async (sec) => {
    await sec.configure({ plugin: { client_ids: ['0oa1devclientid'] } });
    try {
      await sec.bearerRefused('403s', await mint(sec, { cid: '0oa1otherclient' }));
      await sec.bearerRefused('403s', await mint(sec, {}, { omit: ['cid'] }));
    } finally {
      await sec.configure();
    }
  });

  test('#81 sub missing, empty or non-string: identity is not required by default, so the header is cleared (missing/empty) or written as text — never a client copy', async (sec) => {
    const spoof: [string, string] = ['X-User-Sub', 'admin'];
    for (const claims of [{ sub: '' }, { sub: null }]) {
      const echoed = await sec.accepts([['Authorization', `Bearer ${await mint(sec, claims)}`], spoof]);
      expect(echoed.headers).to.not.have.property('x-user-sub');
    }
    const omitted = await sec.accepts([['Authorization', `Bearer ${await mint(sec, {}, { omit: ['sub'] })}`], spoof]);
    expect(omitted.headers).to.not.have.property('x-user-sub');
    const numeric = await sec.accepts([['Authorization', `Bearer ${await mint(sec, { sub: 12345 })}`], spoof]);
    expect(numeric.headers['x-user-sub']).to.equal('12345');
    // Requiring an identity is configuration: consumer_required, or claims_required on sub.
  });

  coveredBy('#82 revoked-but-unexpired tokens stay valid until exp (documented); the verified-token cache never outlives exp', 'spec/01-unit/keys/verified-tokens.spec.ts', ['never keeps an entry past the token exp']);

  test('#83 prototype-named claims (__proto__ carrying scp, constructor) have no authorization effect', async (sec) => {
    const header = JSON.stringify({ alg: 'RS256', kid: sec.raw.key.kid });
    const base = JSON.stringify(sec.raw.claims({ scp: undefined }));
    const withProto = `${base.slice(0, -1)},"__proto__":{"scp":["orders:read"]},"constructor":{"prototype":{"scp":["orders:read"]}}}`;
    expect(Object.keys(JSON.parse(withProto))).to.include('__proto__');
    await sec.bearerRefused('403s', sec.raw.signText(header, withProto));
    const proto = `${JSON.stringify(sec.raw.claims()).slice(0, -1)},"__proto__":{"sub":"admin"}}`;
    const echoed = await sec.accepts([['Authorization', `Bearer ${sec.raw.signText(header, proto)}`]]);
    expect(echoed.headers['x-user-sub']).to.equal('raw.user@example.com');
    expect(decodeSegment(parts(sec.raw.signText(header, proto)).payload)).to.have.property('sub', 'raw.user@example.com');
  });
});
