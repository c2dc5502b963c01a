import { expect } from 'chai';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { DEV_CLIENT_ID } from '../../../dev/issuer';
import { decodeJws, get, postJson, useDevIssuer } from './helpers';

describe('dev issuer: token endpoints (dev only)', () => {
  const dev = useDevIssuer();
  const verify = (token: string) =>
    jwtVerify(token, createRemoteJWKSet(new URL(dev().jwksUri)), { issuer: dev().issuer, audience: 'api://default' });
  const tokenRequest = (form: string, headers: Record<string, string> = {}) =>
    get(`${dev().issuer}/v1/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      body: form,
    });

  it('POST /v1/dev/mint mints with the given claims and options', async () => {
    const res = await postJson(`${dev().issuer}/v1/dev/mint`, { claims: { sub: 'alice', scp: ['orders:read'] }, options: { expiresInSeconds: 120 } });
    expect(res.status).to.equal(200);
    expect(res.headers.get('cache-control')).to.equal('no-cache, no-store');
    const body = res.json() as { access_token: string; token_type: string; expires_in: number };
    expect(body).to.include({ token_type: 'Bearer', expires_in: 120 });
    const { payload } = await verify(body.access_token);
    expect(payload).to.include({ sub: 'alice' });
    expect(payload.exp! - payload.iat!).to.equal(120);
  });

  it('POST /v1/dev/mint answers 400 to a body that is not JSON or has the wrong shape', async () => {
    const notJson = await get(`${dev().issuer}/v1/dev/mint`, { method: 'POST', body: 'sub=alice' });
    expect(notJson.status).to.equal(400);
    expect((await postJson(`${dev().issuer}/v1/dev/mint`, { claims: ['x'] })).status).to.equal(400);
    expect((await postJson(`${dev().issuer}/v1/dev/mint`, [])).status).to.equal(400);
    expect((await postJson(`${dev().issuer}/v1/dev/mint`, { options: { alg: 'ES256' } })).status).to.equal(400);
  });

  it('POST /v1/dev/mint answers 413 to a body over 64 KiB', async () => {
    const res = await postJson(`${dev().issuer}/v1/dev/mint`, { claims: { big: 'x'.repeat(70_000) } });
    expect(res.status).to.equal(413);
  });

  it('POST /v1/token answers client_credentials as Okta does: sub is the client, no uid or auth_time', async () => {
    const basic = Buffer.from('0oa2otherclient:secret').toString('base64');
    const res = await tokenRequest('grant_type=client_credentials&scope=orders:read%20orders:write', { Authorization: `Basic ${basic}` });
    expect(res.status).to.equal(200);
    expect(res.headers.get('cache-control')).to.equal('no-cache, no-store');
    expect(res.headers.get('pragma')).to.equal('no-cache');
    const body = res.json() as Record<string, unknown>;
    expect(Object.keys(body)).to.deep.equal(['token_type', 'expires_in', 'access_token', 'scope']);
    expect(body).to.include({ token_type: 'Bearer', expires_in: 3600, scope: 'orders:read orders:write' });
    const { payload } = await verify(body.access_token as string);
    expect(payload).to.include({ cid: '0oa2otherclient', sub: '0oa2otherclient' });
    expect(payload.scp).to.deep.equal(['orders:read', 'orders:write']);
    expect(payload).not.to.have.any.keys('uid', 'auth_time');
  });

  it('POST /v1/token takes client_id from the form, else the dev client', async () => {
    const fromForm = (await tokenRequest('grant_type=client_credentials&scope=a&client_id=0oa3form')).json() as { access_token: string };
    expect(decodeJws(fromForm.access_token).payload.cid).to.equal('0oa3form');
    const fallback = (await tokenRequest('grant_type=client_credentials&scope=a')).json() as { access_token: string };
    expect(decodeJws(fallback.access_token).payload.cid).to.equal(DEV_CLIENT_ID);
  });

  it("POST /v1/token refuses other grants and a missing scope with Okta's OAuth errors", async () => {
    const grant = await tokenRequest('grant_type=password&scope=a');
    expect(grant.status).to.equal(400);
    expect(grant.json()).to.include({ error: 'unsupported_grant_type' });
    const scope = await tokenRequest('grant_type=client_credentials');
    expect(scope.status).to.equal(400);
    expect(scope.json()).to.include({ error: 'invalid_scope' });
  });

  it('answers 404 to GET on the token endpoints', async () => {
    expect((await get(`${dev().issuer}/v1/token`)).status).to.equal(404);
    expect((await get(`${dev().issuer}/v1/dev/mint`)).status).to.equal(404);
  });
});
