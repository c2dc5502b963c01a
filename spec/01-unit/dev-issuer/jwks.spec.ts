import { expect } from 'chai';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startDevIssuer } from '../../../dev/issuer';
import { ISSUER_ALGORITHMS } from '../../../dev/issuer-keys';
import { get, useDevIssuer } from './helpers';

describe('dev issuer: key set', () => {
  const dev = useDevIssuer();

  it('publishes the RSA key as Okta does: kty, alg, kid, use, then e and n, no private members', async () => {
    const res = await get(dev().jwksUri);
    expect(res.status).to.equal(200);
    const { keys } = res.json() as { keys: Record<string, unknown>[] };
    expect(keys).to.have.length(1);
    expect(Object.keys(keys[0]!)).to.deep.equal(['kty', 'alg', 'kid', 'use', 'e', 'n']);
    expect(keys[0]).to.include({ kty: 'RSA', alg: 'RS256', kid: dev().currentKid(), use: 'sig', e: 'AQAB' });
    expect(Buffer.from(keys[0]!.n as string, 'base64url')).to.have.length(256); // 2048-bit modulus
  });

  it('sends Cache-Control max-age=3600, must-revalidate by default, and the value set at run time', async () => {
    expect((await get(dev().jwksUri)).headers.get('cache-control')).to.equal('max-age=3600, must-revalidate');
    dev().setCacheMaxAge(30);
    const res = await get(dev().jwksUri);
    expect(res.headers.get('cache-control')).to.equal('max-age=30, must-revalidate');
    expect(Date.parse(res.headers.get('expires')!) - Date.parse(res.headers.get('date')!)).to.be.within(29_000, 31_000);
    expect(() => dev().setCacheMaxAge(-1)).to.throw(RangeError);
  });

  it('uses cacheMaxAgeSeconds from the options', async () => {
    const other = await startDevIssuer({ cacheMaxAgeSeconds: 120 });
    try {
      expect((await get(other.jwksUri)).headers.get('cache-control')).to.equal('max-age=120, must-revalidate');
    } finally {
      await other.close();
    }
  });

  it('refuses an algorithm it cannot generate keys for', async () => {
    let error: unknown;
    await startDevIssuer({ algorithm: 'HS256' as never }).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(RangeError);
  });

  for (const algorithm of ISSUER_ALGORITHMS) {
    it(`signs ${algorithm} tokens that jose verifies against the served key set`, async () => {
      const issuer = await startDevIssuer({ algorithm });
      try {
        const { keys } = (await get(issuer.jwksUri)).json() as { keys: Record<string, unknown>[] };
        const expectedKty = algorithm.startsWith('ES') ? 'EC' : algorithm === 'EdDSA' ? 'OKP' : 'RSA';
        expect(keys[0]).to.include({ kty: expectedKty, alg: algorithm, use: 'sig' });
        const token = await issuer.mint({ scp: ['orders:read'] });
        const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(issuer.jwksUri)), {
          issuer: issuer.issuer,
          audience: 'api://default',
          algorithms: [algorithm],
        });
        expect(protectedHeader).to.deep.equal({ kid: issuer.currentKid(), alg: algorithm });
        expect(payload.scp).to.deep.equal(['orders:read']);
      } finally {
        await issuer.close();
      }
    });
  }
});
