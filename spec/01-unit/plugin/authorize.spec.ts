import { expect } from 'chai';
import { authorize, grantedScopes } from '../../../plugin/authorize/authorize';
import { normaliseConfig } from '../../../plugin/config/normalise';

const config = (extra: Record<string, unknown> = {}) =>
  normaliseConfig({ issuer: 'https://dev-1.okta.com/oauth2/default', audiences: ['api://default'], ...extra });

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
    expect(authorize({ scp: ['orders:read'] }, c)).to.deep.include({ ok: false, reason: 'scope_missing', scope: ['orders:read', 'orders:write'] });
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
});
