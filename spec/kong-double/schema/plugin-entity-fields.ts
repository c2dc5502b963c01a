// The fields Kong's `plugins` entity puts around a plugin's `config` (kong/db/schema/entities/plugins.lua
// and typedefs.lua, Kong 3.4–3.9 OSS): id, name, instance_name, timestamps, route/service/consumer
// foreign keys, protocols, enabled, tags. `config` comes from the plugin's dumped schema.
import { luaBytePatternMatches } from './lua-pattern';
import type { FieldDef, FieldEntry } from './types';

/** Kong's `constants.PROTOCOLS`, sorted as Kong sorts them. */
export const PROTOCOLS = ['grpc', 'grpcs', 'http', 'https', 'tcp', 'tls', 'tls_passthrough', 'udp'];
/** Default `protocols` of a plugin: the http-subsystem protocols, sorted. */
export const DEFAULT_PLUGIN_PROTOCOLS = ['grpc', 'grpcs', 'http', 'https'];

/** typedefs `validate_utf8_name`: alphanumerics, `.`, `-`, `_`, `~` and non-ASCII UTF-8. */
function validateUtf8Name(name: unknown): string | true {
  if (luaBytePatternMatches(String(name), '^[%w%.%-%_~\x80-\xf4]+$')) return true;
  return `invalid value '${String(name)}': the only accepted ascii characters are alphanumerics or ., -, _, and ~`;
}

/** typedefs `validate_tag`: printable ASCII except `,` and `/`, or UTF-8. */
function validateTag(tag: unknown): string | true {
  if (luaBytePatternMatches(String(tag), '^[ \x21-\x2b\x2d\x2e\x30-\x7e\x80-\xf4]+$')) return true;
  return `invalid tag '${String(tag)}': expected printable ascii (except \`,\` and \`/\`) or valid utf-8 sequences`;
}

const foreign = (reference: string): FieldDef => ({ type: 'foreign', reference, default: null, on_delete: 'cascade' });

/** Plugin entity fields, in Kong's order; `config` is replaced by the plugin's own record. */
export const PLUGIN_ENTITY_FIELDS: FieldEntry[] = [
  { id: { type: 'string', uuid: true, auto: true } },
  { name: { type: 'string', required: true } },
  { instance_name: { type: 'string', unique: true, custom_validator: validateUtf8Name } },
  { created_at: { type: 'integer', timestamp: true, auto: true } },
  { updated_at: { type: 'integer', timestamp: true, auto: true } },
  { route: foreign('routes') },
  { service: foreign('services') },
  { consumer: foreign('consumers') },
  { config: { type: 'record', abstract: true, fields: [] } },
  { protocols: { type: 'set', required: true, default: DEFAULT_PLUGIN_PROTOCOLS, elements: { type: 'string', one_of: PROTOCOLS } } },
  { enabled: { type: 'boolean', required: true, default: true } },
  { tags: { type: 'set', elements: { type: 'string', required: true, custom_validator: validateTag } } },
];

/** Type of each plugin-entity field, for the subschema compatibility check. */
export const PLUGIN_ENTITY_FIELD_TYPES: Record<string, string> = Object.fromEntries(
  PLUGIN_ENTITY_FIELDS.map((e) => {
    const [name, def] = Object.entries(e)[0]!;
    return [name, def.type];
  }),
);
