// checkPluginSchema: Kong's metaschema checks on a dumped JS-plugin schema.
import { expect } from 'chai';
import { configFields } from '../../../plugin/config/schema';
import { checkPluginSchema } from '../../kong-double/schema';
import { dumpedSchema } from './transcripts';

/** A dumped schema whose config record has the given fields. */
function dumpWith(...fields: Array<Record<string, unknown>>): unknown {
  return { name: 'p', fields: [{ config: { type: 'record', fields } }] };
}

describe('kong-schema metaschema checks', () => {
  it('accepts the probe schemas Kong loaded and the okta-jwt plugin schema', () => {
    expect(checkPluginSchema(dumpedSchema('kong-3.9.3', 'schema'))).to.deep.equal([]);
    expect(checkPluginSchema(dumpedSchema('kong-3.9.3', 'probe'))).to.deep.equal([]);
    expect(checkPluginSchema({ name: 'okta-jwt', fields: [{ config: { type: 'record', fields: configFields } }] })).to.deep.equal([]);
  });

  it('rejects an unknown type', () => {
    expect(checkPluginSchema(dumpWith({ x: { type: 'str' } }))).to.deep.equal([
      'config.x.type: expected one of: array, set, string, number, boolean, integer, foreign, map, record, function, json',
    ]);
  });

  it('rejects a field without type', () => {
    expect(checkPluginSchema(dumpWith({ x: { required: true } }))).to.deep.equal(['config.x: missing type declaration']);
  });

  it('rejects an unknown attribute', () => {
    expect(checkPluginSchema(dumpWith({ x: { type: 'string', bogus: true } }))).to.deep.equal(['config.x.bogus: unknown field']);
  });

  it('requires descriptions of 10 to 500 characters', () => {
    expect(checkPluginSchema(dumpWith({ x: { type: 'string', description: 'short' } }))).to.deep.equal(['config.x.description: length must be at least 10']);
    expect(checkPluginSchema(dumpWith({ x: { type: 'string', description: 'd'.repeat(501) } }))).to.deep.equal(['config.x.description: length must be at most 500']);
    expect(checkPluginSchema(dumpWith({ x: { type: 'string', description: 'd'.repeat(500) } }))).to.deep.equal([]);
  });

  it('checks that default is valid for its own field', () => {
    expect(checkPluginSchema(dumpWith({ x: { type: 'integer', default: '5' } }))).to.deep.equal(['config.x.default: expected an integer']);
    expect(checkPluginSchema(dumpWith({ x: { type: 'integer', default: 1.5 } }))).to.deep.equal(['config.x.default: expected an integer']);
    expect(checkPluginSchema(dumpWith({ x: { type: 'string', default: 'none', one_of: ['a', 'b'] } }))).to.deep.equal(['config.x.default: expected one of: a, b']);
    expect(checkPluginSchema(dumpWith({ x: { type: 'string', default: '' } }))).to.deep.equal(['config.x.default: length must be at least 1']);
    expect(checkPluginSchema(dumpWith({ x: { type: 'array', elements: { type: 'string' }, default: ['a', 2] } }))).to.deep.equal(['config.x.default.2: expected a string']);
  });

  it('allows between only on numbers, with exactly two numbers', () => {
    expect(checkPluginSchema(dumpWith({ x: { type: 'string', between: [1, 2] } }))).to.deep.equal(["config.x: field of type 'string' cannot have attribute 'between'"]);
    expect(checkPluginSchema(dumpWith({ x: { type: 'integer', between: [1, 2, 3] } }))).to.deep.equal(['config.x.between: length must be 2']);
    expect(checkPluginSchema(dumpWith({ x: { type: 'number', between: ['1', 2] } }))).to.deep.equal(['config.x.between.1: expected a number']);
  });

  it('allows one_of only on string, number and integer fields', () => {
    expect(checkPluginSchema(dumpWith({ x: { type: 'boolean', one_of: [true] } }))).to.deep.equal(["config.x: field of type 'boolean' cannot have attribute 'one_of'"]);
    expect(checkPluginSchema(dumpWith({ x: { type: 'integer', one_of: [1, 2] } }))).to.deep.equal([]);
  });

  it('requires the companions of aggregate types', () => {
    expect(checkPluginSchema(dumpWith({ x: { type: 'array' } }))).to.deep.equal(["config.x: field of type 'array' must declare 'elements'"]);
    expect(checkPluginSchema(dumpWith({ x: { type: 'map', keys: { type: 'string' } } }))).to.deep.equal(["config.x: field of type 'map' must declare 'values'"]);
    expect(checkPluginSchema(dumpWith({ x: { type: 'record' } }))).to.deep.equal(["config.x: field of type 'record' must declare 'fields'"]);
    expect(checkPluginSchema(dumpWith({ x: { type: 'json' } }))).to.deep.equal(["config.x: field of type 'json' must declare 'json_schema'"]);
  });

  it('checks nested element, value and record definitions', () => {
    expect(checkPluginSchema(dumpWith({ x: { type: 'array', elements: { type: 'string', len_min: 'one' } } }))).to.deep.equal(['config.x.elements.len_min: expected an integer']);
    expect(checkPluginSchema(dumpWith({ r: { type: 'record', fields: [{ y: { type: 'nope' } }] } }))).to.have.members([
      'config.r.y.type: expected one of: array, set, string, number, boolean, integer, foreign, map, record, function, json',
    ]);
  });

  it('requires one-key field maps', () => {
    expect(checkPluginSchema(dumpWith({ a: { type: 'string' }, b: { type: 'string' } }))).to.deep.equal(['config.fields.1: length must be 1 (one field per entry; got a, b)']);
    expect(checkPluginSchema(dumpWith({}))).to.deep.equal(['config.fields.1: field entry table is empty']);
  });

  it('rejects match_all rules without a pattern and unique_across_ws without unique', () => {
    expect(checkPluginSchema(dumpWith({ x: { type: 'string', match_all: [{ err: 'e' }] } }))).to.deep.equal(['config.x.match_all.1.pattern: required field missing']);
    expect(checkPluginSchema(dumpWith({ x: { type: 'string', unique_across_ws: true } }))).to.deep.equal([
      'config.x.unique: required field missing',
      "config.x: failed conditional validation given value of field 'unique_across_ws'",
    ]);
  });

  it('rejects fields other than config and a config that is not a record (Schema.new_subschema)', () => {
    expect(checkPluginSchema({ name: 'p', fields: [{ foo: { type: 'string' } }] })).to.deep.equal(["foo: error in definition of 'p': foo: cannot create a new field"]);
    expect(checkPluginSchema({ name: 'p', fields: [{ config: { type: 'string' } }] })).to.deep.equal(["config: error in definition of 'p': config: cannot change type in a specialized field"]);
  });
});
