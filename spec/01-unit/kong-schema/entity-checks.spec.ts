// Entity checks as Kong 3.4/3.9 run them (kong/db/schema/init.lua `entity_checkers`, `run_entity_check`)
// and as its metaschema accepts them, with Kong's messages; okta-jwt's own config checks last.
import { expect } from 'chai';
import { checkPluginSchema, validatePluginConfig, type DumpedSchema, type ErrorTree } from '../../kong-double/schema';
import { oktaJwtSchema } from '../../support/plugin-schema';

function schemaWith(fields: Array<Record<string, unknown>>, entityChecks: unknown[]): DumpedSchema {
  return { name: 'p', fields: [{ config: { type: 'record', fields, entity_checks: entityChecks } }] } as DumpedSchema;
}

function errorsOf(schema: DumpedSchema, input: unknown): ErrorTree | null {
  const res = validatePluginConfig(schema, input);
  return res.ok ? null : res.errors;
}

const fields = [
  { mode: { type: 'string', default: 'a' } }, { a: { type: 'string' } }, { b: { type: 'string' } }, { c: { type: 'string' } },
  { secret: { type: 'string', referenceable: true } }, { list: { type: 'array', elements: { type: 'string' } } },
];

describe('kong-schema entity checks', () => {
  it('conditional: then_err replaces the @entity message, formatted with the if_field (%s, %%)', () => {
    const s = schemaWith(fields, [{ conditional: { if_field: 'mode', if_match: { eq: 'b' }, then_field: 'a', then_match: { match: '^x' }, then_err: '%s b needs a in x (100%%)' } }]);
    expect(errorsOf(s, { mode: 'b', a: 'y' })).to.deep.equal({ a: 'invalid value: y', '@entity': ['mode b needs a in x (100%)'] });
    expect(errorsOf(s, { mode: 'a', a: 'y' })).to.equal(null);
  });

  it('conditional: then_match inherits the then_field definition, elements included', () => {
    const s = schemaWith(fields, [{ conditional: { if_field: 'mode', if_match: { eq: 'b' }, then_field: 'list', then_match: { elements: { type: 'string', match_any: { patterns: ['^https://'], err: 'use https' } } } } }]);
    expect(errorsOf(s, { mode: 'b', list: ['https://x', 'http://y'] })).to.deep.equal({ list: [null, 'use https'], '@entity': ["failed conditional validation given value of field 'mode'"] });
    expect(errorsOf(s, { mode: 'a', list: ['http://y'] })).to.equal(null);
  });

  it('skips a check whose field holds a vault reference (resolved later)', () => {
    const s = schemaWith(fields, [{ mutually_exclusive: ['a', 'secret'] }]);
    expect(errorsOf(s, { a: 'x', secret: '{vault://env/s}' })).to.equal(null);
    expect(errorsOf(s, { a: 'x', secret: 'plain' })).to.deep.equal({ '@entity': ["only one or none of these fields must be set: 'a', 'secret'"] });
  });

  it('conditional_at_least_one_of: then and else branches, with Kong\'s message or then_err', () => {
    const s = schemaWith(fields, [{
      conditional_at_least_one_of: {
        if_field: 'mode', if_match: { eq: 'b' }, then_at_least_one_of: ['a', 'b'],
        else_match: { eq: 'c' }, else_then_at_least_one_of: ['c'], else_then_err: 'mode c needs %s',
      },
    }]);
    expect(errorsOf(s, { mode: 'b' })).to.deep.equal({ '@entity': ["at least one of these fields must be non-empty: 'a', 'b'"] });
    expect(errorsOf(s, { mode: 'b', b: 'x' })).to.equal(null);
    expect(errorsOf(s, { mode: 'c' })).to.deep.equal({ '@entity': ["mode c needs 'c'"] });
    expect(errorsOf(s, { mode: 'a' })).to.equal(null);
  });

  it('mutually_exclusive_sets names the non-empty fields of both sets', () => {
    const s = schemaWith(fields, [{ mutually_exclusive_sets: { set1: ['a', 'b'], set2: ['c'] } }]);
    expect(errorsOf(s, { a: 'x', c: 'y' })).to.deep.equal({ '@entity': ["these sets are mutually exclusive: ('a'), ('c')"] });
    expect(errorsOf(s, { a: 'x', b: 'y' })).to.equal(null);
  });

  it('the metaschema checks entity-check arguments as Kong\'s does', () => {
    const dump = (checks: unknown[]) => checkPluginSchema(schemaWith(fields, checks));
    expect(dump([{ conditional: { if_field: 'mode', if_match: { eq: 'b' }, then_field: 'a', then_match: { required: true } } }])).to.deep.equal([]);
    expect(dump([{ conditional: { if_field: 'mode', if_match: { eq: 'b' }, then_field: 'a', then_match: { err: 'x' } } }])).to.deep.equal(['config.entity_checks.1.conditional.then_match.err: unknown field']);
    expect(dump([{ conditional: { if_field: 'mode', if_match: { eq: 'b' }, then_field: 'a', then_match: { required: 'yes' } } }])).to.deep.equal(['config.entity_checks.1.conditional.then_match.required: expected a boolean']);
    expect(dump([{ conditional: { if_field: 'mode', then_fields: 'a' } }])).to.deep.equal(['config.entity_checks.1.conditional.then_fields: unknown field']);
    expect(dump([{ at_least_one_of: 'a' }])).to.deep.equal(['config.entity_checks.1.at_least_one_of: expected an array']);
    expect(dump([{ no_such_check: ['a'] }])).to.deep.equal(['config.entity_checks.1.no_such_check: unknown field']);
  });
});

describe('okta-jwt config entity checks, as Kong enforces them', () => {
  const schema = oktaJwtSchema();
  const base = { issuer: 'https://dev-1.okta.com/oauth2/default', audiences: ['a'] };
  const insecure = "failed conditional validation given value of field 'allow_insecure_issuer'";

  it('passes Kong\'s metaschema, and every field a check names exists', () => {
    expect(checkPluginSchema(schema)).to.deep.equal([]);
    const config = (schema.fields[0] as { config: { fields: Array<Record<string, unknown>>; entity_checks: Array<Record<string, Record<string, string>>> } }).config;
    // Dotted names reach into records (Kong's get_schema_field): every segment must be declared.
    const declared = (fields: Array<Record<string, unknown>>, path: string[]): boolean => {
      const entry = fields.find((f) => Object.keys(f)[0] === path[0]);
      if (entry === undefined) return false;
      const def = Object.values(entry)[0] as { fields?: Array<Record<string, unknown>> };
      return path.length === 1 || (def.fields !== undefined && declared(def.fields, path.slice(1)));
    };
    for (const check of config.entity_checks) for (const key of ['if_field', 'then_field']) expect(declared(config.fields, check.conditional[key]!.split('.')), JSON.stringify(check)).to.equal(true);
  });

  it('refuses plain http off the local host unless allow_insecure_issuer, naming the field and the switch', () => {
    const msg = /^must use https \(or set allow_insecure_issuer/;
    const errs = errorsOf(schema, { ...base, issuer: 'http://dev-123.okta.com/oauth2/default' }) as Record<string, unknown>;
    expect(errs.issuer).to.match(msg);
    expect(errs['@entity']).to.deep.equal([insecure]);
    expect((errorsOf(schema, { ...base, jwks_uri: 'http://dev-1.okta.com/keys' }) as Record<string, unknown>).jwks_uri).to.match(msg);
    const extra = errorsOf(schema, { ...base, additional_issuers: [{ issuer: base.issuer.replace('dev-1', 'dev-2'), audiences: ['b'] }, { issuer: 'http://x.example/oauth2/default', audiences: ['b'] }] }) as Record<string, unknown[]>;
    expect(extra.additional_issuers[0]).to.equal(null);
    expect((extra.additional_issuers[1] as Record<string, string>).issuer).to.match(msg);
    for (const ok of ['http://localhost:9000/oauth2/default', 'http://127.0.0.1/oauth2/default', 'http://[::1]:8080/oauth2/default']) expect(errorsOf(schema, { ...base, issuer: ok }), ok).to.equal(null);
    expect(errorsOf(schema, { ...base, issuer: 'http://dev-123.okta.com/oauth2/default', allow_insecure_issuer: true })).to.equal(null);
    expect(errorsOf(schema, { ...base, issuer: 'http://127.0.0.1.evil.example/oauth2/default' })).to.not.equal(null);
  });

  it('refuses introspection without a client id, and sampling without a share, naming the fields', () => {
    const cond = "failed conditional validation given value of field 'introspection.mode'";
    expect(errorsOf(schema, { ...base, introspection: { mode: 'always' } })).to.deep.equal({ introspection: { client_id: 'required field missing' }, '@entity': [cond] });
    expect(errorsOf(schema, { ...base, introspection: { mode: 'sample', client_id: 'c' } })).to.deep.equal({ introspection: { sample_percent: 'required field missing' }, '@entity': [cond] });
    expect(errorsOf(schema, { ...base, introspection: { mode: 'sample', sample_percent: 10, client_id: 'c', client_secret: 's' } })).to.equal(null);
    expect(errorsOf(schema, { ...base, introspection: { mode: 'off' } })).to.equal(null);
  });

  it('refuses consumer_required without consumer_claim, and deny without rules, naming the fix', () => {
    expect(errorsOf(schema, { ...base, consumer_required: true })).to.deep.equal({ consumer_claim: 'required field missing', '@entity': ["failed conditional validation given value of field 'consumer_required'"] });
    expect(errorsOf(schema, { ...base, unmatched_requests: 'deny' })).to.deep.equal({
      rules: 'length must be at least 1',
      '@entity': ['unmatched_requests "deny" refuses every request when there are no rules: add rules, or use "default_policy"'],
    });
    expect(errorsOf(schema, { ...base, unmatched_requests: 'deny', rules: [{ paths: ['/a'] }] })).to.equal(null);
  });
  it('refuses revocations.sync redis without redis.host, and a receiver without its Authorization value or audience', () => {
    expect(errorsOf(schema, { ...base, revocations: { sync: 'redis' } })).to.deep.equal({ redis: { host: 'required field missing' }, '@entity': ["failed conditional validation given value of field 'revocations.sync'"] });
    expect(errorsOf(schema, { ...base, revocations: { sync: 'redis' }, redis: { host: 'redis' } })).to.equal(null);
    const receiver = { transmitter_issuer: 'https://dev-123.okta.com', audiences: ['https://api.example.com/ssf'], authorization: 'Bearer 0123456789abcdef' };
    expect(errorsOf(schema, { ...base, ssf_receiver: receiver })).to.equal(null);
    expect(errorsOf(schema, { ...base, ssf_receiver: { ...receiver, authorization: null } })).to.deep.equal({ ssf_receiver: { authorization: 'required field missing' }, '@entity': ["failed conditional validation given value of field 'ssf_receiver.transmitter_issuer'"] });
    expect(errorsOf(schema, { ...base, ssf_receiver: { ...receiver, audiences: [] } })).to.have.nested.property('ssf_receiver.audiences');
    expect(errorsOf(schema, { ...base, ssf_receiver: { ...receiver, transmitter_issuer: 'http://okta.example' } })).to.have.nested.property('ssf_receiver.transmitter_issuer');
  });
});
