// validatePluginConfig / validatePluginEntity semantics beyond the recorded cases, with Kong's messages.
import { expect } from 'chai';
import {
  declarativeErrorBody, entitySchemaViolationBody, toStartInstanceConfig, validatePluginConfig, validatePluginEntity,
  type DumpedSchema, type ErrorTree,
} from '../../kong-double/schema';

function schemaWith(...fields: Array<Record<string, unknown>>): DumpedSchema {
  return { name: 'p', fields: [{ config: { type: 'record', fields } }] } as DumpedSchema;
}

function errorsOf(schema: DumpedSchema, input: unknown): ErrorTree {
  const res = validatePluginConfig(schema, input);
  if (res.ok) throw new Error(`accepted ${JSON.stringify(input)}`);
  return res.errors;
}

function configOf(schema: DumpedSchema, input: unknown): Record<string, unknown> {
  const res = validatePluginConfig(schema, input);
  if (!res.ok) throw new Error(JSON.stringify(res.errors));
  return res.config;
}

describe('kong-schema validation', () => {
  describe('scalars', () => {
    const s = schemaWith({ n: { type: 'integer' } }, { f: { type: 'number', gt: 0 } }, { t: { type: 'string', len_min: 0 } }, { b: { type: 'boolean' } });

    it('distinguishes integers from numbers and checks gt', () => {
      expect(errorsOf(s, { n: 1.5 })).to.deep.equal({ n: 'expected an integer' });
      expect(errorsOf(s, { n: '1' })).to.deep.equal({ n: 'expected an integer' });
      expect(configOf(s, { n: 2, f: 0.5 })).to.include({ n: 2, f: 0.5 });
      expect(errorsOf(s, { f: 0 })).to.deep.equal({ f: 'value must be greater than 0' });
    });

    it('accepts "" only where len_min is 0, and counts string length in UTF-8 bytes', () => {
      expect(configOf(s, { t: '' })).to.include({ t: '' });
      const short = schemaWith({ x: { type: 'string', len_max: 1 } });
      expect(errorsOf(short, { x: 'é' })).to.deep.equal({ x: 'length must be at most 1' });
    });

    it('fills unset optional fields with null and keeps booleans strict', () => {
      expect(configOf(s, {})).to.deep.equal({ n: null, f: null, t: null, b: null });
      expect(errorsOf(s, { b: 'true' })).to.deep.equal({ b: 'expected a boolean' });
    });

    it('runs uuid, starts_with, not_match, match_all, match_any and one_of with Kong messages', () => {
      const v = schemaWith(
        { id: { type: 'string', uuid: true } },
        { u: { type: 'string', starts_with: 'https://' } },
        { nm: { type: 'string', not_match: '%s' } },
        { ma: { type: 'string', match_all: [{ pattern: '^%l', err: 'must start lower-case' }, { pattern: '%d$' }] } },
        { many: { type: 'string', match_any: { patterns: ['^a', '^b'], err: 'a or b' } } },
        { num: { type: 'number', one_of: [1, 2.5] } },
        { custom: { type: 'string', match: '^x', err: 'custom message' } },
      );
      expect(errorsOf(s, { n: 1.5 })).to.deep.equal({ n: 'expected an integer' });
      expect(errorsOf(v, { id: 'nope' })).to.deep.equal({ id: 'expected a valid UUID' });
      expect(configOf(v, { id: '5B7A0C1E-8D3F-4C2A-9E61-0A1B2C3D4E5F' })).to.include({ id: '5B7A0C1E-8D3F-4C2A-9E61-0A1B2C3D4E5F' });
      expect(errorsOf(v, { u: 'http://x' })).to.deep.equal({ u: 'should start with: https://' });
      expect(errorsOf(v, { nm: 'a b' })).to.deep.equal({ nm: 'invalid value: a b' });
      expect(errorsOf(v, { ma: 'Ab1' })).to.deep.equal({ ma: 'must start lower-case' });
      expect(errorsOf(v, { ma: 'ab' })).to.deep.equal({ ma: 'invalid value: ab' });
      expect(errorsOf(v, { many: 'c' })).to.deep.equal({ many: 'a or b' });
      expect(errorsOf(v, { num: 3 })).to.deep.equal({ num: 'expected one of: 1, 2.5' });
      expect(errorsOf(v, { custom: 'y' })).to.deep.equal({ custom: 'custom message' });
    });
  });

  describe('arrays, sets and maps', () => {
    const s = schemaWith(
      { list: { type: 'array', elements: { type: 'string' }, len_max: 2 } },
      { tags: { type: 'set', elements: { type: 'string' } } },
      { headers: { type: 'map', keys: { type: 'string' }, values: { type: 'string' } } },
    );

    it('reports element errors as sparse arrays and null elements as missing', () => {
      expect(errorsOf(s, { list: ['a', 1] })).to.deep.equal({ list: [null, 'expected a string'] });
      expect(errorsOf(s, { list: [null] })).to.deep.equal({ list: ['required field missing'] });
      expect(errorsOf(s, { list: 'a' })).to.deep.equal({ list: 'expected an array' });
      expect(errorsOf(s, { list: { a: 1 } })).to.deep.equal({ list: 'expected an array' });
      expect(errorsOf(s, { list: ['a', 'b', 'c'] })).to.deep.equal({ list: 'length must be at most 2' });
    });

    it('accepts {} as an empty array (Lua cannot tell them apart) and stores []', () => {
      expect(configOf(s, { list: {} })).to.deep.include({ list: [] });
    });

    it('de-duplicates sets keeping first occurrences, before length checks', () => {
      expect(configOf(s, { tags: ['b', 'a', 'b', 'a'] })).to.deep.include({ tags: ['b', 'a'] });
      expect(errorsOf(s, { tags: 'a' })).to.deep.equal({ tags: 'expected a set' });
      const limited = schemaWith({ tags: { type: 'set', elements: { type: 'string' }, len_max: 1 } });
      expect(configOf(limited, { tags: ['x', 'x'] })).to.deep.include({ tags: ['x'] });
    });

    it('reports the first bad map key or value without naming the key', () => {
      expect(errorsOf(s, { headers: { a: 'x', b: 2 } })).to.deep.equal({ headers: 'expected a string' });
      expect(errorsOf(s, { headers: { '': 'x' } })).to.deep.equal({ headers: 'length must be at least 1' });
      expect(errorsOf(s, { headers: 'x' })).to.deep.equal({ headers: 'expected a map' });
    });
  });

  describe('records', () => {
    const s = schemaWith(
      { key_set: { type: 'record', fields: [{ ttl: { type: 'integer', default: 300 } }, { url: { type: 'string' } }] } },
      { optional_rec: { type: 'record', required: false, fields: [{ a: { type: 'string', default: 'x' } }] } },
      { rules: { type: 'array', elements: { type: 'record', fields: [{ name: { type: 'string', required: true } }, { on: { type: 'boolean', default: true } }] } } },
      { extra: { type: 'json', json_schema: { inline: { type: 'object' } } } },
    );

    it('expands nested records with their defaults unless required is false', () => {
      expect(configOf(s, {})).to.deep.equal({ key_set: { ttl: 300, url: null }, optional_rec: null, rules: null, extra: null });
      expect(configOf(s, { optional_rec: {} })).to.deep.include({ optional_rec: { a: 'x' } });
    });

    it('applies defaults inside records in arrays and reports their errors by index', () => {
      expect(configOf(s, { rules: [{ name: 'r' }] })).to.deep.include({ rules: [{ name: 'r', on: true }] });
      expect(errorsOf(s, { rules: [{ name: 'r' }, { on: 'no' }] })).to.deep.equal({ rules: [null, { name: 'required field missing', on: 'expected a boolean' }] });
    });

    it('rejects unknown keys and non-table records, and passes json values through', () => {
      expect(errorsOf(s, { key_set: { ttl: 1, nope: true } })).to.deep.equal({ key_set: { nope: 'unknown field' } });
      expect(errorsOf(s, { key_set: 'x' })).to.deep.equal({ key_set: 'expected a record' });
      expect(configOf(s, { extra: { any: ['thing'] } })).to.deep.include({ extra: { any: ['thing'] } });
      expect(errorsOf(s, null)).to.equal('required field missing');
    });

    it('drops nulls at every record level for StartInstance and keeps explicit empty tables', () => {
      const cfg = configOf(s, { rules: [{ name: 'r' }], key_set: {}, extra: {} });
      expect(toStartInstanceConfig(cfg)).to.deep.equal({ key_set: { ttl: 300 }, rules: [{ name: 'r', on: true }], extra: {} });
    });

    it('evaluates entity checks declared on nested records', () => {
      const checked = schemaWith({
        src: {
          type: 'record',
          fields: [{ url: { type: 'string' } }, { path: { type: 'string' } }, { mode: { type: 'string', default: 'a' } }],
          entity_checks: [
            { at_least_one_of: ['url', 'path'] },
            { conditional: { if_field: 'mode', if_match: { eq: 'b' }, then_field: 'url', then_match: { required: true } } },
          ],
        },
      });
      expect(errorsOf(checked, { src: {} })).to.deep.equal({ src: { '@entity': ["at least one of these fields must be non-empty: 'url', 'path'"] } });
      expect(errorsOf(checked, { src: { path: '/p', mode: 'b' } })).to.deep.equal({
        src: { url: 'required field missing', '@entity': ["failed conditional validation given value of field 'mode'"] },
      });
      expect(configOf(checked, { src: { url: 'u', mode: 'b' } })).to.deep.equal({ src: { url: 'u', path: null, mode: 'b' } });
    });
  });

  describe('whole plugin entities', () => {
    const s = schemaWith({ issuer: { type: 'string', required: true } });

    it('fills the base fields as GET /plugins shows them', () => {
      const res = validatePluginEntity(s, { name: 'p', config: { issuer: 'i' }, route: { id: '5b7a0c1e-8d3f-4c2a-9e61-0a1b2c3d4e5f', name: 'r' } }, { now: 1700000000, newId: () => '0a0a0a0a-0000-4000-8000-000000000002' });
      expect(res).to.deep.equal({
        ok: true,
        entity: {
          id: '0a0a0a0a-0000-4000-8000-000000000002', name: 'p', instance_name: null, created_at: 1700000000, updated_at: 1700000000,
          route: { id: '5b7a0c1e-8d3f-4c2a-9e61-0a1b2c3d4e5f' }, service: null, consumer: null,
          config: { issuer: 'i' }, protocols: ['grpc', 'grpcs', 'http', 'https'], enabled: true, tags: null,
        },
      });
    });

    it('reports base-field errors at the top level with Kong messages', () => {
      const res = validatePluginEntity(s, {
        name: 'p', config: {}, protocols: ['http', 'ftp'], enabled: 'yes', instance_name: 'a b', tags: ['ok', 'a,b'], service: { id: 'x' },
      });
      if (res.ok) throw new Error('accepted');
      expect(res.errors).to.deep.equal({
        config: { issuer: 'required field missing' },
        protocols: [null, 'expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp'],
        enabled: 'expected a boolean',
        instance_name: "invalid value 'a b': the only accepted ascii characters are alphanumerics or ., -, _, and ~",
        tags: [null, "invalid tag 'a,b': expected printable ascii (except `,` and `/`) or valid utf-8 sequences"],
        service: { id: 'expected a valid UUID' },
      });
      expect(entitySchemaViolationBody(res.errors).message).to.equal(
        "6 schema violations (config.issuer: required field missing; enabled: expected a boolean; instance_name: invalid value 'a b': the only accepted ascii characters are alphanumerics or ., -, _, and ~; " +
          'protocols.2: expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp; service.id: expected a valid UUID; ' +
          "tags.2: invalid tag 'a,b': expected printable ascii (except `,` and `/`) or valid utf-8 sequences)",
      );
    });

    it('reports only the name when it is missing or names another plugin', () => {
      expect(validatePluginEntity(s, { config: {} })).to.deep.equal({ ok: false, errors: { name: 'required field missing' } });
      expect(validatePluginEntity(s, { name: 'other', protocols: 'x' })).to.deep.equal({
        ok: false, errors: { name: "plugin 'other' not enabled; add it to the 'plugins' configuration property" },
      });
    });
  });

  describe('declarative error bodies', () => {
    const s = schemaWith({ issuer: { type: 'string', required: true } }, { list: { type: 'array', elements: { type: 'string' } } });
    const bad = (path: Array<string | number>, config: Record<string, unknown>) => {
      const entity = { name: 'p', config };
      const res = validatePluginEntity(s, entity);
      if (res.ok) throw new Error('accepted');
      return { entityType: 'plugin', entity, errors: res.errors, path };
    };

    it("orders flattened errors as Kong drains them and echoes empty arrays as {}", () => {
      const body = declarativeErrorBody([bad(['plugins', 0], { list: [] }), bad(['services', 0, 'plugins', 0], { issuer: 'i', list: [1, 'a', 2] })], true);
      expect(body).to.deep.equal({
        code: 14,
        name: 'invalid declarative configuration',
        fields: {},
        message: 'declarative config is invalid: {}',
        flattened_errors: [
          {
            entity_type: 'plugin', entity_name: 'p', entity: { name: 'p', config: { issuer: 'i', list: [1, 'a', 2] } },
            errors: [{ type: 'field', field: 'config.list.3', message: 'expected a string' }, { type: 'field', field: 'config.list.1', message: 'expected a string' }],
          },
          {
            entity_type: 'plugin', entity_name: 'p', entity: { name: 'p', config: { list: {} } },
            errors: [{ type: 'field', field: 'config.issuer', message: 'required field missing' }],
          },
        ],
      });
    });

    it('nests errors at the entities\' places and prints them compactly in the message', () => {
      const body = declarativeErrorBody([bad(['services', 1, 'plugins', 0], { issuer: 'i', list: ['a', 1] }), bad(['plugins', 0], {})], false);
      expect(body).to.deep.equal({
        code: 14,
        name: 'invalid declarative configuration',
        fields: {
          services: [null, { plugins: [{ config: { list: [null, 'expected a string'] } }] }],
          plugins: [{ config: { issuer: 'required field missing' } }],
        },
        message: 'declarative config is invalid: {plugins={{config={issuer="required field missing"}}},services={[2]={plugins={{config={list={[2]="expected a string"}}}}}}}',
      });
    });
  });
});
