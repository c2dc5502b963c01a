// Which requests a policy introspects: never, always, a sampled share, or only some methods; the
// first policy that wants it decides. Rules inherit the top-level setting unless they set their own.
import { expect } from 'chai';
import { normaliseConfig } from '../../../plugin/config/normalise';
import { introspectionWanted } from '../../../plugin/introspection/when';

const base = { issuer: 'https://dev-1.okta.com/oauth2/default', audiences: ['api://default'], introspection: { client_id: 'c', client_secret: 's' } };

describe('when a request is introspected', () => {
  it('follows each rule\'s mode and methods, and the top-level mode for rules that inherit', () => {
    const config = normaliseConfig({
      ...base,
      introspection: { ...base.introspection, mode: 'sample', sample_percent: 10 },
      rules: [
        { paths: ['/payments*'], introspection: { mode: 'always', methods: ['POST', 'DELETE'] } },
        { paths: ['/catalogue*'], introspection: { mode: 'off' } },
        { paths: ['/orders*'] },
      ],
    });
    const [payments, catalogue, orders] = config.rules.map((r) => [r.policy]);
    expect(introspectionWanted(payments!, 'POST')).to.equal('introspect');
    expect(introspectionWanted(payments!, 'GET')).to.equal('no');
    expect(introspectionWanted(catalogue!, 'POST')).to.equal('no');
    expect(introspectionWanted(orders!, 'GET', () => 0.05), '5 < 10 percent').to.equal('introspect');
    expect(introspectionWanted(orders!, 'GET', () => 0.5), 'not drawn').to.equal('sampled_out');
    expect(config.introspection?.needsMethod, 'a rule names methods: the handler reads the method').to.equal(true);
  });

  it('builds no introspection client when no policy introspects, and refuses an incomplete one naming the field', () => {
    expect(normaliseConfig({ ...base, rules: [{ paths: ['/x'] }] }).introspection).to.equal(null);
    expect(() => normaliseConfig({ ...base, introspection: {}, rules: [{ introspection: { mode: 'always' } }] })).to.throw(/introspection.client_id must be set/);
    expect(() => normaliseConfig({ ...base, introspection: { client_id: 'c' }, rules: [{ introspection: { mode: 'always' } }] })).to.throw(/introspection.client_secret must be set/);
    expect(() => normaliseConfig({ ...base, rules: [{ introspection: { mode: 'sample' } }] })).to.throw(/rules\[1\].introspection.sample_percent must be set/);
  });
});
