// A config Kong accepts never becomes a 500 on every request: whatever passes okta-jwt's schema as
// Kong enforces it (the double's validator, entity checks included) starts a plugin instance, unless
// it breaks one of the documented rules Kong cannot check (startup-checks.ts), which the doctor reports.
import { expect } from 'chai';
import fc from 'fast-check';
import { ConfigError, configWithDefaults, normaliseConfig } from '../../../plugin/config/normalise';
import { startupProblems } from '../../../plugin/config/startup-checks';
import { toStartInstanceConfig, validatePluginConfig } from '../../kong-double/schema';
import { oktaJwtSchema } from '../../support/plugin-schema';

const schema = oktaJwtSchema();

/** Mostly values Kong accepts (so that many configs reach the plugin), sometimes ones it may refuse. */
function pick<T>(usual: T[], unusual: T[]): fc.Arbitrary<T> {
  return fc.oneof({ weight: 14, arbitrary: fc.constantFrom(...usual) }, { weight: 1, arbitrary: fc.constantFrom(...unusual) });
}

const issuer = pick(
  ['https://dev-1.okta.com/oauth2/default', 'https://dev-2.okta.com/oauth2/aus1', 'http://localhost:9000/oauth2/default', 'http://127.0.0.1/oauth2/default', 'http://[::1]:9000/oauth2/default', 'http://dev-1.okta.com/oauth2/default'],
  [
    'http://LOCALHOST/oauth2/default', 'http://127.0.0.1.evil.example/oauth2/default', 'https://u:p@dev-1.okta.com/oauth2/default',
    'https://@dev-1.okta.com/oauth2/default', 'https://dev-1.okta.com/oauth2/default?x=1', 'https://dev-1.okta.com/oauth2/default#f',
    'https://dev-1.okta.com', 'https://dev-1.okta.com/oauth2/default/', 'https://dev-1.okta.com:70000/oauth2/default',
    'https://a:b:c/oauth2/x', 'https://exa<mple/oauth2/x', 'HTTPS://dev-1.okta.com/oauth2/default', 'ftp://dev-1.okta.com/oauth2/default',
  ],
);
const url = pick(
  [null, null, 'https://dev-1.okta.com/oauth2/default/v1/keys', 'http://localhost:9000/keys', 'http://[::1]/k', 'http://dev-1.okta.com/keys'],
  ['https://u:p@x/keys', 'https://x/keys?a', 'https://x:99999/keys', 'https://x', 'https://x/keys#', 'http://127.0.0.1:1/k', 'https://[::1/k'],
);
const claim = pick(['sub', 'profile.email', 'groups', 'a.b.c'], ['a..b', 'a.', '.a', '']);
const header = pick(['X-A', 'x-a', 'X-B', 'X_A', 'X-Token', 'x-token'], ['Host', 'Authorization', 'X A']);

const arbConfig = fc.record({
  issuer,
  jwks_uri: url,
  audiences: fc.constant(['api://default']),
  allow_insecure_issuer: fc.boolean(),
  additional_issuers: fc.array(fc.record({ issuer, jwks_uri: url, audiences: fc.constant(['a']) }), { maxLength: 2 }),
  key_set: fc.record({
    min_ttl_seconds: fc.constantFrom(0, 60, 300, 5000),
    max_ttl_seconds: fc.constantFrom(60, 3600),
    connect_timeout_ms: fc.constantFrom(50, 2000, 9000),
    timeout_ms: fc.constantFrom(100, 5000, 10000),
    proxy_url: pick([null, 'http://proxy:3128', 'http://u:p@proxy:3128/', 'https://proxy'], ['http://proxy:3128/x', 'socks5://p:1', 'http://p:123456', 'http://p?x', 'http://[p']),
  }),
  claims_to_headers: fc.array(fc.record({ claim, header }), { maxLength: 3 }),
  token_header: fc.constantFrom('authorization', 'X-Token'),
  consumer_required: fc.boolean(),
  consumer_claim: pick([null, 'sub', 'profile.login'], ['a..b', 'x.']),
  unmatched_requests: fc.constantFrom('default_policy', 'deny'),
  rules: fc.array(fc.record({ paths: fc.constant(['/a/*']), claims_required: fc.array(fc.record({ claim, values: fc.constant(['v']) }), { maxLength: 1 }) }), { maxLength: 1 }),
  shared_claims_key: pick([null, 'okta_claims', 'okta_jwt_guard2'], ['okta_jwt_guard']),
  dpop: fc.record({ external_base_url: pick([null, 'https://api.example.com', 'https://api.example.com/base'], ['https://u@api', 'https://api?x', 'https://api:99999', 'https://[api']) }),
});

/** null stands for "not given". */
function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null).map(([k, x]) => [k, withoutNulls(x)]));
  return v;
}

function startsOrWhy(config: unknown): string | null {
  try {
    normaliseConfig(config);
    return null;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.message;
  }
}

describe('okta-jwt config: what Kong accepts, the plugin starts', () => {
  it('starts an instance for every config Kong accepts, unless a documented start-up rule is broken (then refused naming that field)', () => {
    let accepted = 0;
    let startupOnly = 0;
    fc.assert(
      fc.property(arbConfig, (raw) => {
        const input = withoutNulls(raw);
        const kong = validatePluginConfig(schema, input);
        if (!kong.ok) return;
        accepted++;
        const sent = toStartInstanceConfig(kong.config);
        const problems = startupProblems(configWithDefaults(sent));
        const why = startsOrWhy(sent);
        if (problems.length === 0) {
          expect(why, JSON.stringify(input)).to.equal(null);
        } else {
          startupOnly++;
          expect(why, JSON.stringify(input)).to.be.a('string');
          expect(problems.map((p) => p.field), `${why} for ${JSON.stringify(input)}`).to.include(/^okta-jwt config: (\S+) /.exec(why!)?.[1]);
        }
      }),
      { numRuns: 1000 },
    );
    // The generator reaches both kinds (the property would hold vacuously otherwise).
    expect(accepted).to.be.greaterThan(100);
    expect(startupOnly).to.be.greaterThan(10);
  });
});
