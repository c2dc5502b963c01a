import { expect } from 'chai';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { get, useDevIssuer } from './helpers';

describe('dev issuer: key rotation', () => {
  const dev = useDevIssuer();
  const servedKids = async () => ((await get(dev().jwksUri)).json() as { keys: { kid: string }[] }).keys.map((k) => k.kid);
  const opts = () => ({ issuer: dev().issuer, audience: 'api://default' });

  it('makes a new key current and keeps publishing the old one', async () => {
    const oldKid = dev().currentKid();
    const { kid } = await dev().rotate();
    expect(kid).not.to.equal(oldKid);
    expect(dev().currentKid()).to.equal(kid);
    expect(await servedKids()).to.deep.equal([oldKid, kid]);
    const keys = createRemoteJWKSet(new URL(dev().jwksUri));
    expect((await jwtVerify(await dev().mint(), keys, opts())).protectedHeader.kid).to.equal(kid);
    expect((await jwtVerify(await dev().mint({}, { kid: oldKid }), keys, opts())).protectedHeader.kid).to.equal(oldKid);
  });

  it('with retireOld publishes only the new key; tokens signed with a retired key no longer verify', async () => {
    const retired = await servedKids();
    const { kid } = await dev().rotate({ retireOld: true });
    expect(await servedKids()).to.deep.equal([kid]);
    const stale = await dev().mint({}, { kid: retired[0] });
    const error = await jwtVerify(stale, createRemoteJWKSet(new URL(dev().jwksUri)), opts()).catch((e: { code: string }) => e.code);
    expect(error).to.equal('ERR_JWKS_NO_MATCHING_KEY');
  });

  it('lets a caching JWKS client find the new key by refetching on an unknown kid', async () => {
    const keys = createRemoteJWKSet(new URL(dev().jwksUri), { cooldownDuration: 0 });
    await jwtVerify(await dev().mint(), keys, opts());
    dev().resetCounts();
    await dev().rotate();
    await jwtVerify(await dev().mint(), keys, opts());
    expect(dev().requestCount('jwks')).to.equal(1);
  });
});
