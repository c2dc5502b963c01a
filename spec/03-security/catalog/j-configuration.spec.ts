// Catalogue group J: configuration safety (case 108). A config Kong's schema can refuse is refused
// when it is loaded (POST /config 400); one only the plugin can judge fails StartInstance, so every
// request gets 500 and none is proxied (closed, never open).
import { expect } from 'chai';
import { securitySuite, type SecurityGateway } from '../support/security-gateway';
import { kongYml } from '../../support/kong-config';
import { applyConfig } from '../../support/apply-config';

describe('security catalogue J: configuration safety', function () {
  const { test } = securitySuite();

  /** Loads okta-jwt with this config: 'refused' (400 at load) or 'closed' (loaded, every request 500, never proxied). */
  async function outcome(sec: SecurityGateway, plugin: Record<string, unknown>): Promise<'refused' | 'closed' | 'open'> {
    const res = await applyConfig(sec.gw, kongYml(sec.gw, { plugin }));
    if (res.status === 400) return 'refused';
    expect(res.status, res.text).to.equal(201);
    const reply = await sec.bearerRefused(500, await sec.valid()).then(() => 'closed' as const, () => 'open' as const);
    return reply;
  }

  test('#108 unsafe configs never serve traffic: missing issuer or audiences, plain-http issuer or jwks_uri, none/HS* algorithms, reserved headers, out-of-range numbers', async (sec) => {
    const base = sec.pluginConfig();
    const without = (name: string) => Object.fromEntries(Object.entries(base).filter(([k]) => k !== name));
    const unsafe: Array<[string, Record<string, unknown>]> = [
      ['no issuer', without('issuer')],
      ['no audiences', without('audiences')],
      ['empty audiences', { ...base, audiences: [] }],
      ['plain-http issuer off loopback', { ...base, issuer: 'http://dev-123.okta.com/oauth2/default' }],
      ['plain-http jwks_uri off loopback', { ...base, jwks_uri: 'http://keys.example.com/v1/keys' }],
      ['org authorization server', { ...base, issuer: 'https://dev-123.okta.com' }],
      ['alg none', { ...base, allowed_algorithms: ['none'] }],
      ['alg HS256', { ...base, allowed_algorithms: ['RS256', 'HS256'] }],
      ['no algorithms', { ...base, allowed_algorithms: [] }],
      ['Host as a claim header', { ...base, claims_to_headers: [{ claim: 'sub', header: 'Host' }] }],
      ['leeway 301 s', { ...base, leeway_seconds: 301 }],
      ['max_token_bytes 10 MB', { ...base, max_token_bytes: 10_000_000 }],
      ['token cache TTL of a year', { ...base, token_cache: { max_ttl_seconds: 31_536_000 } }],
    ];
    const outcomes: Record<string, string> = {};
    for (const [what, plugin] of unsafe) outcomes[what] = await outcome(sec, plugin);
    await sec.configure();
    expect(Object.entries(outcomes).filter(([, o]) => o === 'open'), JSON.stringify(outcomes)).to.deep.equal([]);
  });
});
