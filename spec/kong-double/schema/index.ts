// Kong 3.9 plugin-schema semantics for the Kong double, as pure functions: schema checks,
// config and whole-entity validation, the stored and StartInstance forms, and Kong's error bodies.
export type { DumpedSchema, EntityErrors, ErrorObject, ErrorTree, FieldDef, FieldEntry } from './types';
export { checkPluginSchema } from './metaschema';
export {
  validatePluginConfig, validatePluginEntity, toStartInstanceConfig, schemaEndpointBody,
  type ConfigResult, type EntityResult, type EntityOptions,
} from './plugin';
export { schemaViolationBody, entitySchemaViolationBody, declarativeErrorBody, type DeclarativeEntityError } from './bodies';
export { luaPatternMatches, LuaPatternError } from './lua-pattern';
export { PROTOCOLS, DEFAULT_PLUGIN_PROTOCOLS } from './plugin-entity-fields';
