// The dev issuer's /v1/introspect (RFC 7662) and /v1/revoke (RFC 7009): client authentication
// required, a revoked, expired or foreign token inactive, an active one described as Okta does.
import { expect } from 'chai';
import { DEV_CLIENT_ID, DEV_CLIENT_SECRET } from '../../../dev/issuer';
import { get, useDevIssuer } from './helpers';

describe('dev issuer: introspection and revocation (dev only)', () => {
  const dev = useDevIssuer();
  const basic = (secret = DEV_CLIENT_SECRET) => `Basic ${Buffer.from(`${DEV_CLIENT_ID}:${secret}`).toString('base64')}`;
  const post = (endpoint: 'introspect' | 'revoke', token: string, authorization = basic()) =>
    get(`${dev().issuer}/v1/${endpoint}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: authorization },
      body: new URLSearchParams({ token }).toString(),
    });

  it('refuses a client without the right credentials (401 invalid_client)', async () => {
    const token = await dev().mint();
    for (const endpoint of ['introspect', 'revoke'] as const) {
      const res = await post(endpoint, token, basic('wrong'));
      expect(res.status).to.equal(401);
      expect(res.json()).to.include({ error: 'invalid_client' });
    }
  });

  it('describes an active token, and answers inactive once it is revoked', async () => {
    const token = await dev().mint({ scp: ['orders:read'] });
    const active = await post('introspect', token);
    expect(active.json()).to.include({ active: true, scope: 'orders:read', client_id: DEV_CLIENT_ID, token_type: 'Bearer' });
    expect((await post('revoke', token)).status).to.equal(200);
    expect((await post('introspect', token)).json()).to.deep.equal({ active: false });
    expect((await post('introspect', await dev().mint())).json(), 'other tokens stay active').to.include({ active: true });
  });

  it('answers inactive for an expired, forged or foreign token', async () => {
    const expired = await dev().mint({}, { issuedAt: Math.floor(Date.now() / 1000) - 7200, expiresInSeconds: 60 });
    const foreign = await dev().mint({}, { key: 'foreign' });
    for (const token of [expired, foreign, 'not-a-token']) expect((await post('introspect', token)).json(), token).to.deep.equal({ active: false });
  });
});
