// Which kong.log.set_serialize_value calls okta-jwt makes so that Kong's log serializer never
// writes a token read from a header or cookie Kong does not redact itself.
import { expect } from 'chai';
import { normaliseConfig } from '../../../plugin/config/normalise';
import { serializerRedactions } from '../../../plugin/log/serializer-redaction';
import { TEST_AUDIENCE, TEST_ISSUER } from '../../support/test-keys';

const config = (extra: Record<string, unknown> = {}) => normaliseConfig({ issuer: TEST_ISSUER, audiences: [TEST_AUDIENCE], ...extra });

describe('log serializer redaction', () => {
  it('makes no call with the defaults, nor for Authorization or Proxy-Authorization (Kong redacts those)', () => {
    expect(serializerRedactions(config(), { authorization: ['Bearer x'], cookie: ['okta_at=x'] })).to.deep.equal([]);
    expect(serializerRedactions(config({ token_header: 'Proxy-Authorization' }), { 'proxy-authorization': ['Bearer x'] })).to.deep.equal([]);
  });

  it('redacts a custom token header only when the request carries it, under its lower-case name', () => {
    const c = config({ token_header: 'X-Api-Token' });
    expect(serializerRedactions(c, { authorization: ['Bearer x'] })).to.deep.equal([]);
    expect(serializerRedactions(c, { 'x-api-token': ['Bearer x'] })).to.deep.equal([{ key: 'request.headers.x-api-token', value: 'REDACTED' }]);
  });

  it('redacts the whole header table for a header name Kong\'s dotted keys cannot address', () => {
    expect(serializerRedactions(config({ token_header: 'x.token' }), { 'x.token': ['Bearer x'] })).to.deep.equal([{ key: 'request.headers', value: 'REDACTED' }]);
  });

  it('replaces only the token cookie\'s values, keeping every Cookie line and the other cookies', () => {
    const c = config({ token_cookie: 'okta_at' });
    expect(serializerRedactions(c, { cookie: ['theme=dark'] })).to.deep.equal([]);
    expect(serializerRedactions(c, { cookie: ['theme=dark;okta_at=abc; x=okta_at=1'] })).to.deep.equal([{ key: 'request.headers.cookie', value: 'theme=dark;okta_at=REDACTED; x=okta_at=1' }]);
    expect(serializerRedactions(c, { cookie: ['a=1', ' okta_at =abc; okta_at=def', true] })).to.deep.equal([
      { key: 'request.headers.cookie', value: ['a=1', ' okta_at =REDACTED; okta_at=REDACTED', ''] },
    ]);
  });
});
