// The doctor's cross-config revocation check: a receiver's revocations must outlive the tokens the
// plugins verifying its issuers accept, and reach them through the Redis they follow.
import { expect } from 'chai';
import { revocationCoverageChecks } from '../../../cli/revocation-coverage';
import { normaliseConfig } from '../../../plugin/config/normalise';

const issuer = 'https://dev-1.okta.com/oauth2/default';
const redis = { host: 'redis.internal' };
const receiver = (extra: Record<string, unknown> = {}) => normaliseConfig({
  issuer, audiences: ['api://default'], ...extra,
  ssf_receiver: { transmitter_issuer: 'https://dev-1.okta.com', audiences: ['https://gw.example/ssf'], authorization: 'Bearer a-stream-authorization-value' },
});
const verifier = (extra: Record<string, unknown> = {}) => normaliseConfig({ issuer, audiences: ['api://default'], ...extra });
const outcome = (...configs: ReturnType<typeof normaliseConfig>[]) =>
  revocationCoverageChecks(configs.map((config, i) => ({ config, where: `route "r${i}"` }))).map((c) => `${c.status} ${c.field}`);

describe('doctor: revocations reach the plugins that verify the receiver\'s issuers', () => {
  it('passes matching configs and says nothing without a receiver', () => {
    expect(outcome(receiver(), verifier())).to.deep.equal(['pass null']);
    expect(outcome(verifier(), verifier())).to.deep.equal([]);
    expect(outcome(receiver({ redis, revocations: { sync: 'redis' } }), verifier({ redis, revocations: { sync: 'redis' } }))).to.deep.equal(['pass null']);
  });

  it('fails a receiver that keeps revocations shorter than a verifier accepts tokens', () => {
    expect(outcome(receiver({ max_token_age_seconds: 3600 }), verifier())).to.deep.equal(['fail max_token_age_seconds']);
    expect(outcome(receiver({ max_token_age_seconds: 3600 }), verifier({ issuer: 'https://other.okta.com/oauth2/default' })), 'another issuer').to.deep.equal(['pass null']);
  });

  it('fails a receiver that does not share into the Redis a verifier follows', () => {
    expect(outcome(receiver(), verifier({ redis, revocations: { sync: 'redis' } }))).to.deep.equal(['fail revocations.sync']);
    expect(outcome(receiver({ redis: { ...redis, key_prefix: 'a:' }, revocations: { sync: 'redis' } }), verifier({ redis, revocations: { sync: 'redis' } }))).to.deep.equal(['fail revocations.sync']);
  });
});
