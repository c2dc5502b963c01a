import { expect } from 'chai';
import { REDACTED, withoutSecrets } from '../../../server/secret-fields';
import { configFields } from '../../../plugin/config/schema';

describe('plugin server: secrets kept out of instance replies (withoutSecrets)', () => {
  it('redacts okta-jwt\'s referenceable fields (the DPoP nonce secret, the proxy URL) and nothing else', () => {
    const config = {
      issuer: 'https://example.okta.com/oauth2/default',
      key_set: { proxy_url: 'http://user:pw@proxy:3128', timeout_ms: 5000 },
      dpop: { mode: 'allowed', nonce_secret: 's'.repeat(32) },
      __plugin_id: 'p1',
    };
    expect(withoutSecrets(configFields, config)).to.deep.equal({
      ...config,
      key_set: { proxy_url: REDACTED, timeout_ms: 5000 },
      dpop: { mode: 'allowed', nonce_secret: REDACTED },
    });
    expect(config.dpop.nonce_secret, 'the instance keeps its own config').to.equal('s'.repeat(32));
  });

  it('follows records inside arrays and maps, and leaves unset secrets unset', () => {
    const fields = [
      { clients: { type: 'array', elements: { type: 'record', fields: [{ id: { type: 'string' } }, { secret: { type: 'string', encrypted: true } }] } } },
      { headers: { type: 'map', keys: { type: 'string' }, values: { type: 'string', referenceable: true } } },
      { password: { type: 'string', referenceable: true } },
    ];
    expect(withoutSecrets(fields, { clients: [{ id: 'a', secret: 'x' }, { id: 'b' }], headers: { h: 'v' }, password: null })).to.deep.equal({
      clients: [{ id: 'a', secret: REDACTED }, { id: 'b' }],
      headers: { h: REDACTED },
      password: null,
    });
  });
});
