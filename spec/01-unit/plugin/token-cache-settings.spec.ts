// Instances share the process-wide verified-token cache only when their settings agree.
import { expect } from 'chai';
import { normaliseConfig } from '../../../plugin/config/normalise';
import { resetVerifiedTokens } from '../../../plugin/cache/verified-tokens';
import { verifyAccessToken } from '../../../plugin/verify/verify-token';
import { newSigner, oktaClaims, signToken, staticKeySet, TEST_AUDIENCE, TEST_ISSUER } from '../../support/test-keys';

describe('the verified-token cache across plugin instances', () => {
  const base = { issuer: TEST_ISSUER, audiences: [TEST_AUDIENCE] };
  afterEach(() => resetVerifiedTokens());

  async function setup() {
    const signer = await newSigner();
    const keySet = staticKeySet([signer.publicJwk]);
    return { keySet, keySets: new Map([[TEST_ISSUER, keySet]]), token: await signToken(signer, oktaClaims()) };
  }

  it('verifies the signature in an instance with the cache off, even when another instance cached the token', async () => {
    const { keySet, keySets, token } = await setup();
    expect((await verifyAccessToken(token, normaliseConfig(base), keySets)).ok).to.equal(true);
    expect(keySet.lookups).to.equal(1);
    expect((await verifyAccessToken(token, normaliseConfig({ ...base, token_cache: { max_entries: 0 } }), keySets)).ok).to.equal(true);
    expect(keySet.lookups, 'the cache-off instance must fetch the key and verify').to.equal(2);
  });

  it('keeps entries apart for instances with different cache lifetimes', async () => {
    const { keySet, keySets, token } = await setup();
    await verifyAccessToken(token, normaliseConfig({ ...base, token_cache: { max_ttl_seconds: 3600 } }), keySets);
    await verifyAccessToken(token, normaliseConfig({ ...base, token_cache: { max_ttl_seconds: 5 } }), keySets);
    expect(keySet.lookups).to.equal(2);
  });

  it('shares entries between instances whose verification settings are equal', async () => {
    const { keySet, keySets, token } = await setup();
    await verifyAccessToken(token, normaliseConfig({ ...base, scopes_required: ['a'] }), keySets);
    await verifyAccessToken(token, normaliseConfig({ ...base, scopes_required: ['b'] }), keySets);
    expect(keySet.lookups).to.equal(1);
  });
});
