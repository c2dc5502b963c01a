// Kong's plugin-schema semantics come from the schema helper's module `./schema` (pure functions).
// Until that module exists, a minimal stub in this folder stands in (schema-stub.ts). The module is
// loaded at run time so the double compiles with or without it.
import * as stub from './schema-stub';
import type { DeclarativeEntityError } from './schema-stub';

export type DumpedSchema = { name: string; fields: unknown[] };
export type ErrorTree = Record<string, unknown>;
export type ValidationResult = { ok: true; config: Record<string, unknown> } | { ok: false; errors: ErrorTree };

export interface SchemaModule {
  checkPluginSchema(schema: unknown): string[];
  validatePluginConfig(schema: DumpedSchema, input: unknown): ValidationResult;
  toStartInstanceConfig(config: Record<string, unknown>): Record<string, unknown>;
  schemaViolationBody(errors: ErrorTree): unknown;
  declarativeErrorBody(entityErrors: DeclarativeEntityError[], flatten: boolean): unknown;
  /** GET /schemas/plugins/{name} body (optional in the stub). */
  schemaEndpointBody?(schema: DumpedSchema): unknown;
}

function load(): { module: SchemaModule; isStub: boolean } {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const real = require('./schema') as Partial<SchemaModule>;
    if (typeof real.validatePluginConfig === 'function' && typeof real.toStartInstanceConfig === 'function') {
      return { module: real as SchemaModule, isStub: false };
    }
  } catch {
    // not there yet: use the stub
  }
  return { module: stub, isStub: true };
}

const loaded = load();
export const schema: SchemaModule = loaded.module;
/** True while the real schema module is missing and the stub is used. */
export const usingSchemaStub = loaded.isStub;
