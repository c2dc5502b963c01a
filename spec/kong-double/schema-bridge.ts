// Kong's plugin-schema semantics (./schema: pure functions), as one namespace for the double.
import * as schemaModule from './schema';

export const schema = schemaModule;
export type { DumpedSchema, ErrorTree } from './schema';
