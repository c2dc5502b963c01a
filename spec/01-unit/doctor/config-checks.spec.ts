// The doctor's config checks: the schema constraints Kong enforces (so a config Kong would refuse
// is reported with the field Kong names), the Okta issuer form, and flag parsing.
import { expect } from 'chai';
import { parseDoctorArgs, UsageError } from '../../../cli/args';
import { issuerForm } from '../../../cli/issuer-probe';
import { schemaViolations } from '../../../cli/schema-check';
import { configWithDefaults } from '../../../plugin/config/normalise';
import { startupProblems } from '../../../plugin/config/startup-checks';

const base = { issuer: 'https://dev-1.okta.com/oauth2/default', audiences: ['api://default'] };

describe('doctor: schema constraints Kong enforces', () => {
  it('accepts a minimal valid config', () => {
    expect(schemaViolations(base)).to.deep.equal([]);
  });

  it('names out-of-range, unknown, missing and mistyped fields as Kong does', () => {
    expect(schemaViolations({ ...base, leeway_seconds: 3600 })).to.deep.equal([{ field: 'leeway_seconds', message: 'value should be between 0 and 300' }]);
    expect(schemaViolations({ ...base, no_such_field: 1 })).to.deep.equal([{ field: 'no_such_field', message: 'unknown field' }]);
    expect(schemaViolations({ audiences: ['a'] })).to.deep.equal([{ field: 'issuer', message: 'required field missing' }]);
    expect(schemaViolations({ ...base, audiences: [] })).to.deep.equal([{ field: 'audiences', message: 'length must be at least 1' }]);
    expect(schemaViolations({ ...base, scopes_match: 'some' })).to.deep.equal([{ field: 'scopes_match', message: 'expected one of: all, any' }]);
    expect(schemaViolations({ ...base, allowed_algorithms: ['HS256'] })).to.deep.equal([{ field: 'allowed_algorithms[1]', message: 'expected one of: RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA' }]);
    expect(schemaViolations({ ...base, hide_credentials: 'yes' })).to.deep.equal([{ field: 'hide_credentials', message: 'expected a boolean' }]);
  });

  it('checks inside records and arrays of records', () => {
    expect(schemaViolations({ ...base, key_set: { min_ttl_seconds: -1 } })).to.deep.equal([{ field: 'key_set.min_ttl_seconds', message: 'value should be between 0 and 86400' }]);
    expect(schemaViolations({ ...base, claims_required: [{ claim: 'groups', values: ['a'], match: 'one' }] })).to.deep.equal([
      { field: 'claims_required[1].match', message: 'expected one of: any, all' },
    ]);
    expect(schemaViolations({ ...base, rules: [{ paths: ['/x'], colour: 'red' }] })).to.deep.equal([{ field: 'rules[1].colour', message: 'unknown field' }]);
  });
});

describe('doctor: the rules Kong cannot check, each by field', () => {
  const problems = (raw: Record<string, unknown>) => startupProblems(configWithDefaults(raw));

  it('finds none in a valid config', () => {
    expect(problems(base)).to.deep.equal([]);
  });

  it('reports every broken rule at once, naming the field and what to do', () => {
    const found = problems({
      ...base,
      key_set: { min_ttl_seconds: 5000, max_ttl_seconds: 60, connect_timeout_ms: 9000, timeout_ms: 5000 },
      additional_issuers: [{ issuer: base.issuer, audiences: ['b'] }],
      token_header: 'X-Token',
      claims_to_headers: [{ claim: 'sub', header: 'X-A' }, { claim: 'cid', header: 'x-a' }, { claim: 'sub', header: 'x-token' }],
      dpop: { external_base_url: 'https://api.example.com:99999' },
    });
    expect(found.map((p) => p.field)).to.deep.equal([
      'key_set.min_ttl_seconds', 'key_set.connect_timeout_ms', 'additional_issuers[1].issuer',
      'claims_to_headers[2].header', 'claims_to_headers[3].header', 'dpop.external_base_url',
    ]);
    expect(found[0].message).to.equal('(5000) must not exceed key_set.max_ttl_seconds (60): lower it, or raise key_set.max_ttl_seconds');
    expect(found[4].message).to.match(/is token_header, which carries the token: map the claim to another header/);
  });
});

describe('doctor: the Okta issuer form', () => {
  const form = (issuer: string) => issuerForm({ issuer, jwksUri: null, where: '' });

  it('recognises a custom authorization server', () => {
    expect(form('https://dev-1.okta.com/oauth2/default')).to.include({ status: 'pass', field: 'issuer' });
    expect(form('https://id.example.com/oauth2/aus1a2b3c4d')).to.include({ status: 'pass' });
  });

  it('refuses the org authorization server and points at a custom one', () => {
    const check = form('https://dev-1.okta.com');
    expect(check).to.include({ status: 'fail', field: 'issuer' });
    expect(check.detail).to.match(/org authorization server.*https:\/\/dev-1\.okta\.com\/oauth2\/default/);
  });

  it('refuses a trailing slash and other paths, naming the additional issuer\'s field', () => {
    expect(form('https://dev-1.okta.com/oauth2/default/')).to.include({ status: 'fail' });
    const extra = issuerForm({ issuer: 'https://dev-1.okta.com/oauth2/v1', jwksUri: null, where: 'additional_issuers[2].' });
    expect(extra).to.include({ status: 'pass', id: 'issuer.form:additional_issuers[2].' });
    expect(issuerForm({ issuer: 'https://dev-1.okta.com/api/v1', jwksUri: null, where: 'additional_issuers[1].' })).to.include({ status: 'fail', field: 'additional_issuers[1].issuer' });
  });
});

describe('doctor: flags', () => {
  it('turns flags into plugin config fields', () => {
    const options = parseDoctorArgs([
      '--issuer', 'https://dev-1.okta.com/oauth2/default', '--audience', 'api://a', '--audience', 'api://b',
      '--scope', 'orders:read', '--claim', 'groups=Admins,Ops', '--header', 'sub:X-User-Sub', '--amr', 'mfa',
      '--leeway', '60', '--set', 'key_set.timeout_ms=2000', '--set', 'realm=orders api', '--method', 'post', '--path', '/orders',
    ]);
    expect(options.overrides).to.deep.equal({
      issuer: 'https://dev-1.okta.com/oauth2/default',
      audiences: ['api://a', 'api://b'],
      scopes_required: ['orders:read'],
      claims_required: [{ claim: 'groups', values: ['Admins', 'Ops'] }],
      claims_to_headers: [{ claim: 'sub', header: 'X-User-Sub' }],
      leeway_seconds: 60,
      authentication: { amr_values: ['mfa'] },
      key_set: { timeout_ms: 2000 },
      realm: 'orders api',
    });
    expect(options).to.include({ method: 'POST', path: '/orders', json: false, timeoutMs: 5000 });
  });

  it('refuses contradictory or malformed flags with a usage error', () => {
    const bad = [
      ['--route', 'r'],
      ['--config', 'k.yml', '--route', 'r', '--service', 's'],
      ['--audience', 'a'],
      ['--issuer', 'i', '--leeway', 'soon'],
      ['--issuer', 'i', '--claim', 'groups'],
      ['--issuer', 'i', '--set', '__proto__.x=1'],
      ['--issuer', 'i', '--no-such-flag'],
      ['--issuer', 'i', '--token', 't', '--token-file', 'f'],
    ];
    for (const args of bad) expect(() => parseDoctorArgs(args), args.join(' ')).to.throw(UsageError);
  });
});
