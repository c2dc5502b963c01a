import { expect } from 'chai';
import { createRemoteJWKSet, exportSPKI, importJWK, jwtVerify, type JWK, type JWTVerifyOptions } from 'jose';
import { DEV_CLIENT_ID, DEV_SUBJECT, DEV_USER_ID } from '../../../dev/issuer';
import { decodeJws, get, useDevIssuer } from './helpers';

describe('dev issuer: minted access tokens', () => {
  const dev = useDevIssuer();
  const remoteKeys = () => createRemoteJWKSet(new URL(dev().jwksUri));
  const verifyOpts = (): JWTVerifyOptions => ({ issuer: dev().issuer, audience: 'api://default', algorithms: ['RS256'] });
  const servedKey = async () => ((await get(dev().jwksUri)).json() as { keys: JWK[] }).keys[0]!;
  const verifyError = async (token: string, opts = verifyOpts()) =>
    jwtVerify(token, remoteKeys(), opts).then(
      () => 'verified',
      (err: { code?: string }) => err.code,
    );

  it("carries Okta's access-token claims in Okta's order and verifies against the served key set", async () => {
    const token = await dev().mint();
    const { payload, protectedHeader } = await jwtVerify(token, remoteKeys(), verifyOpts());
    expect(Object.keys(payload)).to.deep.equal(['ver', 'jti', 'iss', 'aud', 'iat', 'exp', 'cid', 'uid', 'scp', 'auth_time', 'sub']);
    expect(payload).to.include({ ver: 1, iss: dev().issuer, aud: 'api://default', cid: DEV_CLIENT_ID, uid: DEV_USER_ID, sub: DEV_SUBJECT });
    expect(payload.jti).to.match(/^AT\.[A-Za-z0-9_-]{43}$/);
    expect(payload.scp).to.be.an('array');
    expect(payload.exp! - payload.iat!).to.equal(3600);
    expect(payload.auth_time).to.equal(payload.iat);
    expect(Math.abs(payload.iat! - Date.now() / 1000)).to.be.below(5);
    // Okta access tokens: header {kid, alg}, no typ.
    expect(Object.keys(protectedHeader)).to.deep.equal(['kid', 'alg']);
    expect(protectedHeader.kid).to.equal(dev().currentKid());
  });

  it('gives each token its own jti', async () => {
    const a = decodeJws(await dev().mint()).payload.jti;
    const b = decodeJws(await dev().mint()).payload.jti;
    expect(a).not.to.equal(b);
  });

  it('lets given claims override the defaults, add new ones, and omit remove them', async () => {
    const token = await dev().mint({ sub: 'alice', scp: ['orders:read'], groups: ['admins'], exp: 'soon' }, { omit: ['uid', 'cid'] });
    const { payload } = decodeJws(token);
    expect(payload).to.include({ sub: 'alice', exp: 'soon' });
    expect(payload.scp).to.deep.equal(['orders:read']);
    expect(payload.groups).to.deep.equal(['admins']);
    expect(payload).not.to.have.any.keys('uid', 'cid');
    expect(await verifyError(token)).to.equal('ERR_JWT_CLAIM_VALIDATION_FAILED');
  });

  it('derives exp from issuedAt and expiresInSeconds, so a token issued in the past can be expired', async () => {
    const issuedAt = Math.floor(Date.now() / 1000) - 7200;
    const token = await dev().mint({}, { issuedAt, expiresInSeconds: 600 });
    const { payload } = decodeJws(token);
    expect(payload).to.include({ iat: issuedAt, exp: issuedAt + 600, auth_time: issuedAt });
    expect(await verifyError(token)).to.equal('ERR_JWT_EXPIRED');
  });

  it('adds nbf only when notBeforeSeconds is given; a future nbf fails verification', async () => {
    expect(decodeJws(await dev().mint()).payload).not.to.have.property('nbf');
    const token = await dev().mint({}, { notBeforeSeconds: 600 });
    const { payload } = decodeJws(token);
    expect(payload.nbf).to.equal((payload.iat as number) + 600);
    expect(await verifyError(token)).to.equal('ERR_JWT_CLAIM_VALIDATION_FAILED');
  });

  it('writes typ and extra header members, and drops a member set to undefined', async () => {
    const token = await dev().mint({}, { typ: 'at+jwt', header: { jku: 'https://evil.example/keys', kid: undefined } });
    const { header } = decodeJws(token);
    expect(header).to.deep.equal({ alg: 'RS256', typ: 'at+jwt', jku: 'https://evil.example/keys' });
    expect(await verifyError(token, { ...verifyOpts(), typ: 'at+jwt' })).to.equal('verified');
  });

  it('signs with a foreign key: unknown kid, or the current kid with a signature that fails', async () => {
    const foreign = await dev().mint({}, { key: 'foreign' });
    expect(decodeJws(foreign).header.kid).not.to.equal(dev().currentKid());
    expect(await verifyError(foreign)).to.equal('ERR_JWKS_NO_MATCHING_KEY');
    const impostor = await dev().mint({}, { key: 'foreign', kid: dev().currentKid() });
    expect(await verifyError(impostor)).to.equal('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  });

  it('puts an unknown kid in the header of a token still signed with the current key', async () => {
    const token = await dev().mint({}, { kid: 'no-such-kid' });
    expect(decodeJws(token).header.kid).to.equal('no-such-kid');
    expect(await verifyError(token)).to.equal('ERR_JWKS_NO_MATCHING_KEY');
    await jwtVerify(token, await importJWK(await servedKey(), 'RS256'), verifyOpts());
  });

  it("mints alg none tokens with an empty signature, which jose refuses", async () => {
    const token = await dev().mint({}, { alg: 'none' });
    expect(token.endsWith('.')).to.equal(true);
    expect(decodeJws(token).header.alg).to.equal('none');
    expect(await verifyError(token)).to.equal('ERR_JOSE_ALG_NOT_ALLOWED');
  });

  it("keys an HS256 token with the issuer's public key PEM (algorithm confusion)", async () => {
    const token = await dev().mint({}, { alg: 'HS256' });
    const pem = await exportSPKI((await importJWK(await servedKey(), 'RS256')) as Parameters<typeof exportSPKI>[0]);
    const { protectedHeader } = await jwtVerify(token, new TextEncoder().encode(pem), { ...verifyOpts(), algorithms: ['HS256'] });
    expect(protectedHeader.alg).to.equal('HS256');
    expect(await verifyError(token)).to.equal('ERR_JOSE_ALG_NOT_ALLOWED');
  });

  for (const alg of ['RS384', 'RS512', 'PS256']) {
    it(`signs with the RS256 key under ${alg} when alg says so`, async () => {
      const token = await dev().mint({}, { alg });
      expect(decodeJws(token).header.alg).to.equal(alg);
      const key = await importJWK({ ...(await servedKey()), alg }, alg);
      await jwtVerify(token, key, { ...verifyOpts(), algorithms: [alg] });
    });
  }

  it('lets the header claim another alg than the one signed with, which fails verification', async () => {
    const token = await dev().mint({}, { header: { alg: 'RS512' } });
    expect(decodeJws(token).header.alg).to.equal('RS512');
    const asRs512 = await importJWK({ ...(await servedKey()), alg: 'RS512' }, 'RS512');
    const error = await jwtVerify(token, asRs512, { ...verifyOpts(), algorithms: ['RS512'] }).catch((e: { code: string }) => e.code);
    expect(error).to.equal('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  });

  it('rejects an alg it cannot sign with', async () => {
    let error: unknown;
    await dev().mint({}, { alg: 'ES256' }).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(Error);
  });
});
