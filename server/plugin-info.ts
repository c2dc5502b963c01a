// The plugin info Kong reads (`--dump-all-plugins`, GetPluginInfo) with the config record's
// `entity_checks`. kong-pdk builds that record from the module's `Schema` field list alone, so
// cross-field rules cannot reach Kong through it; a module may export them as `EntityChecks`, and
// Kong enforces them like a Lua plugin's (it takes an external plugin's schema as given).
import type Server from 'kong-pdk/server';

/** The loaded plugin module, as kong-pdk's Module keeps it. */
interface LoadedModule {
  mod?: { EntityChecks?: unknown } | null;
}

/** `info` with the module's EntityChecks on its config record (unchanged when it exports none). */
export function withEntityChecks(info: Server.PluginInfo, loaded: unknown): Server.PluginInfo {
  const checks = (loaded as LoadedModule | undefined)?.mod?.EntityChecks;
  if (!Array.isArray(checks) || checks.length === 0) return info;
  const schema = info.Schema as { fields: Array<Record<string, Record<string, unknown>>> };
  const fields = schema.fields.map((entry) => ('config' in entry ? { config: { ...entry.config, entity_checks: checks } } : entry));
  return { ...info, Schema: { ...schema, fields } };
}
