import { expect } from 'chai';
import { ConfigError, normaliseConfig } from '../../../plugin/config/normalise';
import { globMatches } from '../../../plugin/authorize/path-glob';

const base = { issuer: 'https://dev-1.okta.com/oauth2/default', audiences: ['api://default'] };

describe('normalising the plugin config', () => {
  it('applies the schema defaults and ignores Kong\'s extra keys', () => {
    const c = normaliseConfig({ ...base, __plugin_id: 'x', __seq__: 3, __key__: 'k', route_id: 'r', __ws_id: 'w' });
    expect(c.issuers.map((i) => [i.issuer, i.audiences])).to.deep.equal([[base.issuer, base.audiences]]);
    expect(c.defaultPolicy).to.deep.equal({
      scopesRequired: [],
      scopesMatch: 'all',
      claimsRequired: [],
      claimsMatch: 'all',
      authentication: { amrValues: [], acrValues: [], maxAgeSeconds: null },
      introspection: { mode: 'off', samplePercent: 100, methods: null },
    });
    expect(c.introspection, 'no policy introspects').to.equal(null);
    expect(c.consumer).to.deep.equal({ claim: null, claimName: null, lookup: 'username', required: false, anonymous: null });
    expect(c).to.deep.include({
      allowedAlgorithms: ['RS256'],
      leewaySeconds: 30,
      maxTokenAgeSeconds: 86400,
      clientIds: null,
      rules: [],
      tokenSources: { queryParam: null, cookie: null },
      sharedClaimsKey: null,
      dryRun: false,
      tokenHeader: 'authorization',
      hideCredentials: false,
      realm: 'okta-jwt',
      runOnPreflight: true,
      maxTokenBytes: 8192,
    });
    expect(c.issuers[0].keys).to.deep.include({ jwksUri: null, unknownKidCooldownSeconds: 30, maxStaleSeconds: 86400, maxBodyBytes: 262144 });
    expect(c.tokenCache).to.deep.equal({ maxEntries: 10000, maxTtlSeconds: 300 });
  });

  it('accepts config as Kong sends it, with null for unset optionals', () => {
    const c = normaliseConfig({ ...base, jwks_uri: null, client_ids: null, key_set: null });
    expect(c.issuers[0].keys.jwksUri).to.equal(null);
    expect(c.clientIds).to.equal(null);
  });

  it('splits claim paths and keeps header names as configured', () => {
    const c = normaliseConfig({ ...base, claims_to_headers: [{ claim: 'profile.email', header: 'X-Email' }] });
    expect(c.claimsToHeaders).to.deep.equal([{ claim: 'profile.email', path: ['profile', 'email'], header: 'X-Email' }]);
  });

  it('gives the same identity to equal verification settings and another to different ones', () => {
    const a = normaliseConfig({ ...base, scopes_required: ['x'] });
    const b = normaliseConfig({ ...base, scopes_required: ['y'] });
    const c = normaliseConfig({ ...base, audiences: ['api://other'] });
    expect(a.identity).to.equal(b.identity);
    expect(a.identity).to.not.equal(c.identity);
  });

  const refusals: Array<[string, Record<string, unknown>, RegExp]> = [
    ['a missing issuer', { audiences: ['a'] }, /issuer must be a non-empty string/],
    ['an http issuer on a public host', { ...base, issuer: 'http://dev-1.okta.com/oauth2/default' }, /issuer must use https \(or set allow_insecure_issuer/],
    ['an issuer with credentials', { ...base, issuer: 'https://u:p@dev-1.okta.com/oauth2/default' }, /credentials/],
    ['an http jwks_uri', { ...base, jwks_uri: 'http://evil.example/keys' }, /jwks_uri must use https/],
    ['no audiences', { ...base, audiences: [] }, /audiences/],
    ['HS256', { ...base, allowed_algorithms: ['HS256'] }, /unsupported HS256/],
    ['none', { ...base, allowed_algorithms: ['none'] }, /unsupported none/],
    ['a reserved header target', { ...base, claims_to_headers: [{ claim: 'sub', header: 'Host' }] }, /reserved/],
    ['the token header as a target', { ...base, claims_to_headers: [{ claim: 'sub', header: 'Authorization' }] }, /reserved/],
    ['a header mapped twice', { ...base, claims_to_headers: [{ claim: 'sub', header: 'X-A' }, { claim: 'cid', header: 'x-a' }] }, /claims_to_headers\[2\]\.header maps header "x-a" again \(claims_to_headers\[1\] maps it already\): map each header once/],
    ['an empty claim path segment', { ...base, claims_to_headers: [{ claim: 'a..b', header: 'X-A' }] }, /empty path segment/],
    ['a header name with a space', { ...base, claims_to_headers: [{ claim: 'sub', header: 'X A' }] }, /not a valid header name/],
    ['min ttl above max ttl', { ...base, key_set: { min_ttl_seconds: 5000, max_ttl_seconds: 60 } }, /key_set\.min_ttl_seconds \(5000\) must not exceed key_set\.max_ttl_seconds \(60\): lower it, or raise key_set\.max_ttl_seconds/],
    ['a connect timeout above the total timeout', { ...base, key_set: { connect_timeout_ms: 6000, timeout_ms: 5000 } }, /key_set\.connect_timeout_ms \(6000\) must not exceed key_set\.timeout_ms/],
    ['an issuer whose port is out of range', { ...base, issuer: 'https://dev-1.okta.com:70000/oauth2/default' }, /issuer is not a valid URL/],
    ['a mapped header that is the custom token header', { ...base, token_header: 'X-Token', claims_to_headers: [{ claim: 'sub', header: 'x-token' }] }, /claims_to_headers\[1\]\.header "x-token" is token_header, which carries the token/],
    ['unmatched_requests deny without rules', { ...base, unmatched_requests: 'deny' }, /unmatched_requests "deny" refuses every request when there are no rules: add rules/],
    ['a non-boolean flag', { ...base, hide_credentials: 'yes' }, /hide_credentials must be a boolean/],
    ['a non-boolean fail_closed_guard', { ...base, fail_closed_guard: 'yes' }, /fail_closed_guard must be a boolean/],
    ['shared claims under the guard\'s kong.ctx.shared key', { ...base, shared_claims_key: 'okta_jwt_guard' }, /shared_claims_key "okta_jwt_guard" is the fail-closed guard's key/],
    ['the Okta org authorization server', { ...base, issuer: 'https://dev-1.okta.com' }, /not an Okta custom authorization server.*create a custom authorization server/],
    ['an issuer path beyond the authorization server', { ...base, issuer: 'https://dev-1.okta.com/oauth2/default/v1' }, /not an Okta custom authorization server/],
    ['an additional org-server issuer', { ...base, additional_issuers: [{ issuer: 'https://other.okta.com', audiences: ['a'] }] }, /additional_issuers\[1\]\.issuer/],
    ['the same issuer twice', { ...base, additional_issuers: [{ issuer: base.issuer, audiences: ['a'] }] }, /additional_issuers\[1\]\.issuer repeats the issuer .*: configure each issuer once/],
    ['a rule path not starting with /', { ...base, rules: [{ paths: ['orders'] }] }, /must start with \//],
    ['consumer_required without consumer_claim', { ...base, consumer_required: true }, /consumer_required needs consumer_claim/],
    ['an unknown scopes_match', { ...base, scopes_match: 'some' }, /scopes_match must be one of all, any/],
    ['a socks proxy_url', { ...base, key_set: { proxy_url: 'socks5://proxy:1080' } }, /key_set\.proxy_url must be an http:\/\/ or https:\/\/ proxy URL/],
    ['a proxy_url with a path', { ...base, key_set: { proxy_url: 'http://proxy:3128/x' } }, /key_set\.proxy_url must name only the proxy/],
    ['a proxy_url that is no URL', { ...base, key_set: { proxy_url: 'http://' } }, /key_set\.proxy_url is not a valid URL/],
    ['revocations shared through Redis without a redis host', { ...base, revocations: { sync: 'redis' } }, /revocations\.sync "redis" needs redis\.host/],
    ['a receiver without the stream\'s Authorization value', { ...base, ssf_receiver: { transmitter_issuer: 'https://dev-1.okta.com', audiences: ['https://api.example.com/ssf'] } }, /ssf_receiver\.authorization is required/],
    ['a receiver without an audience', { ...base, ssf_receiver: { transmitter_issuer: 'https://dev-1.okta.com', authorization: 'Bearer 0123456789abcdef' } }, /ssf_receiver\.audiences must name/],
    ['a plain-http transmitter', { ...base, ssf_receiver: { transmitter_issuer: 'http://dev-1.okta.com', audiences: ['a'], authorization: 'Bearer 0123456789abcdef' } }, /ssf_receiver\.transmitter_issuer must use https/],
  ];
  for (const [what, raw, message] of refusals) {
    it(`refuses ${what} with a clear message`, () => {
      expect(() => normaliseConfig(raw)).to.throw(ConfigError, message);
    });
  }

  it('keeps key_set.proxy_url (credentials included) for the key-set fetches; unset means the environment decides', () => {
    expect(normaliseConfig(base).issuers[0].keys.proxyUrl).to.equal(null);
    const c = normaliseConfig({ ...base, key_set: { proxy_url: 'http://svc:pw@proxy.corp:3128' }, additional_issuers: [{ issuer: 'https://other.okta.com/oauth2/x', audiences: ['a'] }] });
    expect(c.issuers.map((i) => i.keys.proxyUrl)).to.deep.equal(['http://svc:pw@proxy.corp:3128', 'http://svc:pw@proxy.corp:3128']);
  });

  it('allows plain http for a localhost development issuer, and elsewhere only when asked to', () => {
    expect(normaliseConfig({ ...base, issuer: 'http://127.0.0.1:9000/oauth2/default' }).issuers[0].issuer).to.equal('http://127.0.0.1:9000/oauth2/default');
    expect(normaliseConfig({ ...base, issuer: 'http://issuer:9000/oauth2/default', allow_insecure_issuer: true }).issuers[0].issuer).to.equal('http://issuer:9000/oauth2/default');
  });

  it('fills rule and claim-rule defaults inside lists, and compiles path patterns', () => {
    const c = normaliseConfig({ ...base, rules: [{ methods: ['get'], paths: ['/a/*'], claims_required: [{ claim: 'groups', values: ['x'] }] }] });
    expect(c.rules[0].methods).to.deep.equal(new Set(['GET']));
    expect(c.rules[0].policy.scopesMatch).to.equal('all');
    expect(c.rules[0].policy.claimsRequired[0]).to.deep.equal({ claim: 'groups', path: ['groups'], values: ['x'], match: 'any' });
    expect(globMatches(c.rules[0].paths![0], '/a/b/c')).to.equal(true);
    expect(globMatches(c.rules[0].paths![0], '/ab')).to.equal(false);
  });

  it('keeps each additional issuer with its own audiences and the shared key-set policy', () => {
    const c = normaliseConfig({ ...base, additional_issuers: [{ issuer: 'https://login.example.com/oauth2/default', audiences: ['api://x'] }], key_set: { unknown_kid_cooldown_seconds: 5 } });
    expect(c.issuers.map((i) => i.issuer)).to.deep.equal([base.issuer, 'https://login.example.com/oauth2/default']);
    expect(c.issuers[1].keys).to.deep.include({ issuer: 'https://login.example.com/oauth2/default', jwksUri: null, unknownKidCooldownSeconds: 5 });
  });
});
