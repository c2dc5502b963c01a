// okta-jwt's schema as okta-jwt-pluginserver gives it to Kong (kong-pdk's plugin info, plus the config
// record's entity checks, server/plugin-info.ts), built in-process for tests that validate configs
// the way Kong does (spec/kong-double/schema). 00-plugin-dump.spec.ts compares it with the real dump.
import * as plugin from '../../plugin/index';
import { withEntityChecks } from '../../server/plugin-info';
import type { DumpedSchema } from '../kong-double/schema';

export function oktaJwtSchema(): DumpedSchema {
  const stock = {
    Name: plugin.Name, Version: plugin.Version, Phases: ['access'], Priority: plugin.Priority,
    Schema: { name: plugin.Name, fields: [{ config: { type: 'record', fields: plugin.Schema } }] },
  };
  return withEntityChecks(stock, { mod: plugin }).Schema as DumpedSchema;
}
