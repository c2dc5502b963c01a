import { expect } from 'chai';
import { authorize as authorizeWith, grantedScopes, selectPolicies } from '../../../plugin/authorize/authorize';
import type { PluginConfig } from '../../../plugin/config/types';
import { normaliseConfig } from '../../../plugin/config/normalise';

/** The one policy a plain (unambiguous) request falls under. */
function selectPolicy(c: PluginConfig, method: string, path: string) {
  const selection = selectPolicies(c, method, path);
  if (!selection.ok || selection.policies.length !== 1) throw new Error(`expected one policy, got ${JSON.stringify(selection)}`);
  return selection.policies[0];
}

const config = (extra: Record<string, unknown> = {}) =>
  normaliseConfig({ issuer: 'https://dev-1.okta.com/oauth2/default', audiences: ['api://default'], ...extra });
/** Authorizes against the default policy. */
const authorize = (claims: Record<string, unknown>, c: PluginConfig) => authorizeWith(claims, c.defaultPolicy, c);

describe('authorizing a verified token', () => {
  it('reads Okta scp arrays and space-separated scope strings', () => {
    expect([...grantedScopes({ scp: ['a', 'b', 7, null] })]).to.deep.equal(['a', 'b']);
    expect([...grantedScopes({ scope: 'a  b' })]).to.deep.equal(['a', 'b']);
    expect([...grantedScopes({ scp: 'a b' })]).to.deep.equal(['a', 'b']);
    expect([...grantedScopes({})]).to.deep.equal([]);
  });

  it('requires every scope with scopes_match "all"', () => {
    const c = config({ scopes_required: ['orders:read', 'orders:write'] });
    expect(authorize({ scp: ['orders:read', 'orders:write'] }, c)).to.deep.equal({ ok: true });
    expect(authorize({ scp: ['orders:read'] }, c)).to.deep.include({ ok: false, reason: 'scope_missing', params: { scope: ['orders:read', 'orders:write'] } });
  });

  it('requires one scope with scopes_match "any"', () => {
    const c = config({ scopes_required: ['orders:read', 'orders:write'], scopes_match: 'any' });
    expect(authorize({ scp: ['orders:write'] }, c).ok).to.equal(true);
    expect(authorize({ scp: ['profile'] }, c).ok).to.equal(false);
  });

  it('compares scopes exactly: no substrings, no case folding', () => {
    const c = config({ scopes_required: ['admin'] });
    expect(authorize({ scp: ['superadmin'] }, c).ok).to.equal(false);
    expect(authorize({ scope: 'superadmin' }, c).ok).to.equal(false);
    expect(authorize({ scp: ['Admin'] }, c).ok).to.equal(false);
  });

  it('enforces the client allow-list on the Okta cid claim', () => {
    const c = config({ client_ids: ['0oaGood'] });
    expect(authorize({ cid: '0oaGood' }, c).ok).to.equal(true);
    expect(authorize({ cid: '0oaOther' }, c)).to.deep.include({ ok: false, reason: 'client_not_allowed' });
    expect(authorize({}, c).ok).to.equal(false);
  });

  it('requires claim values: any value of one claim, all values, and all or any of several rules', () => {
    const groups = { claim: 'groups', values: ['Admins', 'Ops'] };
    expect(authorize({ groups: ['Ops'] }, config({ claims_required: [groups] })).ok).to.equal(true);
    expect(authorize({ groups: 'Ops' }, config({ claims_required: [groups] })).ok).to.equal(true);
    expect(authorize({ groups: ['Dev'] }, config({ claims_required: [groups] }))).to.deep.include({ ok: false, reason: 'claim_mismatch' });
    expect(authorize({ groups: ['Ops'] }, config({ claims_required: [{ ...groups, match: 'all' }] })).ok).to.equal(false);
    const two = [groups, { claim: 'cid', values: ['0oaGood'] }];
    expect(authorize({ groups: ['Ops'], cid: '0oaOther' }, config({ claims_required: two })).ok).to.equal(false);
    expect(authorize({ groups: ['Ops'], cid: '0oaOther' }, config({ claims_required: two, claims_match: 'any' })).ok).to.equal(true);
    expect(authorize({ org: { tier: 'gold' } }, config({ claims_required: [{ claim: 'org.tier', values: ['gold'] }] })).ok).to.equal(true);
  });

  it('demands MFA through amr and answers insufficient_user_authentication with acr_values', () => {
    const c = config({ authentication: { amr_values: ['mfa', 'hwk'], acr_values: [] } });
    expect(authorize({ amr: ['pwd', 'mfa'] }, c).ok).to.equal(true);
    expect(authorize({ amr: ['pwd'] }, c)).to.deep.include({ ok: false, reason: 'step_up_required' });
    expect(authorize({}, c).ok).to.equal(false);
  });

  it('demands an acr level and names it in the challenge parameters', () => {
    const c = config({ authentication: { acr_values: ['urn:okta:loa:2fa:any'] } });
    expect(authorize({ acr: 'urn:okta:loa:2fa:any' }, c).ok).to.equal(true);
    expect(authorize({ acr: 'urn:okta:loa:1fa:any' }, c)).to.deep.include({ ok: false, reason: 'step_up_required', params: { acrValues: ['urn:okta:loa:2fa:any'] } });
  });

  it('announces the configured max_age with acr_values whichever step-up check fails', () => {
    const now = Math.floor(Date.now() / 1000);
    const c = config({ authentication: { amr_values: ['mfa'], acr_values: ['urn:okta:loa:2fa:any'], max_age_seconds: 900 } });
    const params = { acrValues: ['urn:okta:loa:2fa:any'], maxAge: 900 };
    expect(authorize({ amr: ['pwd'], acr: 'urn:okta:loa:2fa:any', auth_time: now }, c)).to.deep.include({ reason: 'step_up_required', params });
    expect(authorize({ amr: ['mfa'], acr: 'urn:okta:loa:1fa:any', auth_time: now }, c)).to.deep.include({ reason: 'step_up_required', params });
    expect(authorize({ amr: ['mfa'], acr: 'urn:okta:loa:2fa:any', auth_time: now - 3600 }, c)).to.deep.include({ reason: 'step_up_required', params });
    expect(authorize({ amr: ['pwd'] }, config({ authentication: { amr_values: ['mfa'] } }))).to.deep.include({ params: { acrValues: [] } });
  });

  it('demands a recent login through auth_time and announces max_age', () => {
    const now = Math.floor(Date.now() / 1000);
    const c = config({ leeway_seconds: 0, authentication: { max_age_seconds: 300 } });
    expect(authorize({ auth_time: now - 100 }, c).ok).to.equal(true);
    expect(authorize({ auth_time: now - 400 }, c)).to.deep.include({ ok: false, reason: 'step_up_required', params: { acrValues: [], maxAge: 300 } });
    expect(authorize({}, c).ok).to.equal(false);
    expect(authorize({ auth_time: 'yesterday' }, c).ok).to.equal(false);
  });

  describe('rules per method and path', () => {
    const c = config({
      scopes_required: ['default:scope'],
      rules: [
        { methods: ['GET'], paths: ['/orders/*'], scopes_required: ['orders:read'] },
        { methods: ['POST'], paths: ['/orders'], scopes_required: ['orders:write'], authentication: { amr_values: ['mfa'] } },
        { paths: ['/reports/*/summary'], scopes_required: ['reports:read'] },
      ],
    });

    it('picks the first rule matching method and path', () => {
      expect(selectPolicy(c, 'GET', '/orders/42').scopesRequired).to.deep.equal(['orders:read']);
      expect(selectPolicy(c, 'GET', '/orders/42/items').scopesRequired).to.deep.equal(['orders:read']);
      expect(selectPolicy(c, 'POST', '/orders').scopesRequired).to.deep.equal(['orders:write']);
      expect(selectPolicy(c, 'DELETE', '/reports/2024/summary').scopesRequired).to.deep.equal(['reports:read']);
    });

    it('falls back to the top-level policy when no rule matches', () => {
      expect(selectPolicy(c, 'GET', '/orders').scopesRequired).to.deep.equal(['default:scope']);
      expect(selectPolicy(c, 'POST', '/orders/42').scopesRequired).to.deep.equal(['default:scope']);
      expect(selectPolicy(c, 'GET', '/reports/2024/x/summary').scopesRequired).to.deep.equal(['default:scope']);
      expect(selectPolicy(c, 'GET', '/ordersX/1').scopesRequired).to.deep.equal(['default:scope']);
    });

    it('with unmatched_requests "deny", refuses what no rule matches instead of using the top-level policy', () => {
      const strict = config({ rules: [{ methods: ['DELETE'], paths: ['/orders/*'], scopes_required: ['orders:write'] }, { methods: ['GET'], paths: ['/orders/*'] }], unmatched_requests: 'deny' });
      expect(selectPolicies(strict, 'DELETE', '/orders/1')).to.deep.include({ ok: true });
      for (const [method, path] of [['DELETE', '/Orders/1'], ['DELETE', '/orders.json'], ['PUT', '/orders/1'], ['PATCH', '/orders/1'], ['HEAD', '/orders/1']]) {
        expect(selectPolicies(strict, method, path), `${method} ${path}`).to.deep.equal({ ok: false, reason: 'rule_unmatched' });
      }
    });

    it('treats ;, %2F, %5C (a backslash once Kong decoded it) and unnormalised dot segments as ambiguous', () => {
      const strict = config({ rules: [{ methods: ['DELETE'], paths: ['/orders/*'] }, { paths: ['/files/*'] }], unmatched_requests: 'deny' });
      for (const path of ['/orders;x=1', '/orders%2F1', '/orders%2f1', '/files/a%2F..%2Fadmin', '/orders\\1', '/orders%5C1', '/files/x;/../admin', '/a/../orders/1', '/a/./b', '/a//b', '/a/..', '/x%2e%2e/']) {
        expect(selectPolicies(strict, 'DELETE', path), path).to.deep.equal({ ok: false, reason: 'path_ambiguous' });
      }
    });

    it('treats # (upstream URL parsers end the path there), control characters and a space at either end of a segment as ambiguous', () => {
      const strict = config({ rules: [{ paths: ['/app/admin', '/app/admin/*'], scopes_required: ['admin'] }, { paths: ['/app/*'] }], unmatched_requests: 'deny' });
      for (const path of ['/app/admin#x', '/app/x#/admin', '/app/admin\x00.json', '/app/ad\tmin', '/app/admin\n', '/app/x\x7f', '/app/admin ', '/app/ admin', '/app/admin /x']) {
        expect(selectPolicies(strict, 'GET', path), JSON.stringify(path)).to.deep.equal({ ok: false, reason: 'path_ambiguous' });
      }
      for (const path of ['/app/My Report.pdf', '/app/a%23b', '/app/a%3Fb', '/app/caf\u00e9', '/app/a~b']) {
        expect(selectPolicies(strict, 'GET', path), JSON.stringify(path)).to.deep.include({ ok: true });
      }
    });

    it('with the default policy, an ambiguous path must meet every rule for its method and the top-level policy', () => {
      const selection = selectPolicies(c, 'GET', '/orders%2F42');
      expect(selection.ok && selection.policies.map((p) => p.scopesRequired)).to.deep.equal([['orders:read'], ['reports:read'], ['default:scope']]);
    });

    it('refuses unmatched_requests "deny" without rules at config time', () => {
      expect(() => config({ unmatched_requests: 'deny' })).to.throw(/unmatched_requests "deny" refuses every request when there are no rules: add rules/);
      expect(() => config({ unmatched_requests: 'sometimes' })).to.throw(/unmatched_requests must be one of default_policy, deny/);
    });

    it('applies the matched rule\'s step-up requirement', () => {
      const policy = selectPolicy(c, 'POST', '/orders');
      expect(authorizeWith({ scp: ['orders:write'], amr: ['pwd'] }, policy, c).ok).to.equal(false);
      expect(authorizeWith({ scp: ['orders:write'], amr: ['mfa'] }, policy, c).ok).to.equal(true);
    });
  });
});
