// Catalogue group D: algorithm and signature attacks (cases 32–48).
import { createHmac, createPublicKey } from 'node:crypto';
import { expect } from 'chai';
import { securitySuite } from '../support/security-gateway';
import { b64url, newRsaKey, signWith } from '../support/raw-issuer';
import { decodeSegment, join, parts, tamper, withSignatureBytes } from '../support/tokens';
import { get } from '../../support/http-client';

describe('security catalogue D: algorithm and signature attacks', function () {
  const { test } = securitySuite();

  test('#32 alg none (and None/NONE/nOnE, with and without a leftover signature) → 401 invalid_token', async (sec) => {
    const leftover = parts(await sec.valid()).signature;
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      const unsigned = await sec.gw.mint({ scp: ['orders:read'] }, { alg: 'none', header: { alg } });
      expect(unsigned.endsWith('.')).to.equal(true);
      await sec.bearerRefused('401i', unsigned);
      await sec.bearerRefused('401i', `${unsigned}${leftover}`);
    }
  });

  test('#33 null signature with alg RS256 (h.p.) → 401 invalid_token', async (sec) => {
    const p = parts(await sec.valid());
    await sec.bearerRefused('401i', `${p.header}.${p.payload}.`);
  });

  test('#34 tampered claims with the original signature (sub → admin, exp + 1 year, extra scope) → 401 invalid_token', async (sec) => {
    const token = await sec.valid({ scp: ['openid'] });
    const claims = decodeSegment(parts(token).payload);
    for (const change of [{ sub: 'admin' }, { exp: (claims.exp as number) + 365 * 86400 }, { scp: ['openid', 'orders:read'] }]) {
      await sec.bearerRefused('401i', tamper(token, { payload: { ...claims, ...change } }));
    }
  });

  test('#35 HS256 keyed with the issuer\'s RSA public key (PEM ± newline, leading space, DER, JWK n) → 401 invalid_token', async (sec) => {
    const jwks = (await get(`${sec.gw.issuer}/v1/keys`)).json<{ keys: Array<Record<string, string>> }>().keys;
    const publicKey = createPublicKey({ key: jwks[0], format: 'jwk' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const secrets: Array<string | Buffer> = [pem, pem.trimEnd(), ` ${pem}`, publicKey.export({ type: 'spki', format: 'der' }), jwks[0].n];
    const claims = decodeSegment(parts(await sec.valid()).payload);
    const header = b64url(JSON.stringify({ alg: 'HS256', kid: jwks[0].kid, typ: 'JWT' }));
    for (const secret of secrets) {
      const input = `${header}.${b64url(JSON.stringify(claims))}`;
      await sec.bearerRefused('401i', `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`);
    }
    await sec.bearerRefused('401i', await sec.gw.mint({ scp: ['orders:read'] }, { alg: 'HS256' }));
  });

  test('#36 a valid signature with an algorithm off the allow-list (RS384, RS512, PS256 with the real key) → 401 invalid_token', async (sec) => {
    // The raw issuer's key (the dev issuer cannot re-sign with another hash: its JWK import pins RS256).
    const claims = b64url(JSON.stringify(sec.raw.claims()));
    const algorithms: Array<[string, string, Record<string, unknown>]> = [['RS384', 'sha384', {}], ['RS512', 'sha512', {}], ['PS256', 'sha256', { padding: 6, saltLength: 32 }]];
    for (const [alg, hash, options] of algorithms) {
      const input = `${b64url(JSON.stringify({ alg, kid: sec.raw.key.kid }))}.${claims}`;
      await sec.bearerRefused('401i', `${input}.${signWith(hash, input, sec.raw.key.privateKey, options)}`);
    }
  });

  test('#37 malformed alg (missing, array, number, "RS256 ", "rs256") with a real RS256 signature → 401 invalid_token', async (sec) => {
    const kid = sec.raw.key.kid;
    const claims = sec.raw.claims();
    for (const header of [{ kid }, { alg: ['RS256'], kid }, { alg: 256, kid }, { alg: 'RS256 ', kid }, { alg: 'rs256', kid }, { alg: null, kid }]) {
      await sec.bearerRefused('401i', sec.raw.sign(claims, header));
    }
  });

  test('#38 ES256 "psychic signature" (r = s = 0, r = s = n) → 401 invalid_token (ES* is off the allow-list)', async (sec) => {
    const header = b64url(JSON.stringify({ alg: 'ES256', kid: sec.raw.key.kid }));
    const payload = b64url(JSON.stringify(sec.raw.claims()));
    const n = Buffer.from('FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551', 'hex');
    await sec.bearerRefused('401i', `${header}.${payload}.${b64url(new Uint8Array(64))}`);
    await sec.bearerRefused('401i', `${header}.${payload}.${b64url(Buffer.concat([n, n]))}`);
  });

  test('#39 ES256 signature in DER instead of raw R‖S → 401 invalid_token', async (sec) => {
    const header = b64url(JSON.stringify({ alg: 'ES256', kid: sec.raw.key.kid }));
    const payload = b64url(JSON.stringify(sec.raw.claims()));
    const der = Buffer.concat([Buffer.from([0x30, 0x44, 0x02, 0x20]), Buffer.alloc(32, 1), Buffer.from([0x02, 0x20]), Buffer.alloc(32, 2)]);
    await sec.bearerRefused('401i', `${header}.${payload}.${b64url(der)}`);
  });

  test('#40 RSA signature length games (leading byte stripped, extra 0x00, truncated, all zero, s ≥ n) → 401 invalid_token', async (sec) => {
    const token = await sec.valid();
    const signature = Buffer.from(parts(token).signature, 'base64url');
    expect(signature).to.have.length(256);
    const variants = [signature.subarray(1), Buffer.concat([Buffer.from([0]), signature]), signature.subarray(0, 128), Buffer.alloc(256), Buffer.alloc(256, 0xff)];
    for (const variant of variants) await sec.bearerRefused('401i', withSignatureBytes(token, variant));
  });

  test('#41 signature cut-and-paste (A\'s header and payload, B\'s signature) → 401 invalid_token', async (sec) => {
    const a = parts(await sec.valid({ sub: 'admin' }));
    const b = parts(await sec.valid({ sub: 'bob' }));
    await sec.bearerRefused('401i', join({ ...a, signature: b.signature }));
  });

  test('#42 embedded jwk header with an attacker key (unknown kid; the real kid) → 401 invalid_token', async (sec) => {
    const attacker = newRsaKey();
    const claims = sec.raw.claims();
    await sec.bearerRefused('401i', sec.raw.sign(claims, { alg: 'RS256', kid: attacker.kid, jwk: attacker.publicJwk }, attacker.privateKey));
    await sec.bearerRefused('401i', sec.raw.sign(claims, { alg: 'RS256', kid: sec.raw.key.kid, jwk: { ...attacker.publicJwk, kid: sec.raw.key.kid } }, attacker.privateKey));
  });

  test('#43 jku header (attacker URL, cloud metadata, the Admin API) → 401 invalid_token and no request to any of them', async (sec) => {
    const attacker = newRsaKey();
    const claims = sec.raw.claims();
    for (const jku of [`${sec.trap.url}/jwks.json`, 'http://169.254.169.254/latest/meta-data/', sec.gw.adminUrl + '/']) {
      await sec.bearerRefused('401i', sec.raw.sign(claims, { alg: 'RS256', kid: attacker.kid, jku }, attacker.privateKey));
      await sec.bearerRefused('401i', sec.raw.sign(claims, { alg: 'RS256', kid: sec.raw.key.kid, jku }, attacker.privateKey));
    }
  });

  test('#44 x5u / x5c / x5t headers with an attacker certificate → 401 invalid_token, nothing fetched', async (sec) => {
    const attacker = newRsaKey();
    const claims = sec.raw.claims();
    const fakeCert = b64url(Buffer.alloc(600, 7)).replace(/-/g, '+').replace(/_/g, '/');
    for (const extra of [{ x5u: `${sec.trap.url}/cert.pem` }, { x5c: [fakeCert] }, { x5t: b64url(Buffer.alloc(20, 1)) }, { 'x5t#S256': b64url(Buffer.alloc(32, 1)) }]) {
      await sec.bearerRefused('401i', sec.raw.sign(claims, { alg: 'RS256', kid: attacker.kid, ...extra }, attacker.privateKey));
    }
  });

  test('#45 kid injection (path traversal, SQL, shell, numbers, objects, null, __proto__, constructor, toString) → 401 invalid_token, at most one key-set refetch', async (sec) => {
    const claims = sec.raw.claims();
    const fetchesBefore = sec.raw.requests();
    const kids: unknown[] = ['../../../../dev/null', "' OR '1'='1", '|id', '$(id)', 'k'.repeat(3000), 42, { a: 1 }, ['x'], null, '__proto__', 'constructor', 'toString', 'hasOwnProperty', ''];
    for (const kid of kids) await sec.bearerRefused('401i', sec.raw.sign(claims, { alg: 'RS256', kid }));
    await sec.oversizedRefused(sec.raw.sign(claims, { alg: 'RS256', kid: 'k'.repeat(100 * 1024) }));
    expect(sec.raw.requests() - fetchesBefore).to.be.at.most(1);
  });

  test('#46 crit (["exp"], ["x-custom"] with the member, [], not an array, duplicates, names absent) → 401 invalid_token', async (sec) => {
    const kid = sec.raw.key.kid;
    const claims = sec.raw.claims();
    const crits = [{ crit: ['exp'], exp: 1 }, { crit: ['x-custom'], 'x-custom': true }, { crit: [] }, { crit: 'x-custom', 'x-custom': 1 }, { crit: ['x', 'x'], x: 1 }, { crit: ['absent'] }, { crit: [''] }];
    for (const crit of crits) await sec.bearerRefused('401i', sec.raw.sign(claims, { alg: 'RS256', kid, ...crit }));
  });

  test('#47 b64:false with crit ["b64"] → 401 invalid_token; b64:false without crit is ignored (RFC 7797) and verifies as a normal JWS', async (sec) => {
    const kid = sec.raw.key.kid;
    const claims = sec.raw.claims();
    await sec.bearerRefused('401i', sec.raw.sign(claims, { alg: 'RS256', kid, b64: false, crit: ['b64'] }));
    await sec.accepts([['Authorization', `Bearer ${sec.raw.sign(claims, { alg: 'RS256', kid, b64: false })}`]]);
  });

  test('#48 the public kid re-used with a different key (dev issuer and raw issuer) → 401 invalid_token', async (sec) => {
    const currentKid = decodeSegment(parts(await sec.valid()).header).kid as string;
    await sec.bearerRefused('401i', await sec.gw.mint({ scp: ['orders:read'] }, { key: 'foreign', kid: currentKid }));
    const attacker = newRsaKey(sec.raw.key.kid);
    await sec.bearerRefused('401i', sec.raw.sign(sec.raw.claims(), { alg: 'RS256', kid: sec.raw.key.kid }, attacker.privateKey));
    // PS256 with the real raw key but announced as RS256: the padding differs, so RS256 verification fails.
    const header = b64url(JSON.stringify({ alg: 'RS256', kid: sec.raw.key.kid }));
    const input = `${header}.${b64url(JSON.stringify(sec.raw.claims()))}`;
    await sec.bearerRefused('401i', `${input}.${signWith('sha256', input, sec.raw.key.privateKey, { padding: 6, saltLength: 32 })}`);
  });
});
