// Every plugin the double knows: external ones (from the plugin servers' dumps) and the bundled
// TypeScript ones. Validates plugin configs the way the Admin API / declarative loader need it.
import type { BundledPlugin } from './bundled-plugins';
import type { DumpedPlugin } from './plugin-server';
import { schema, type ErrorTree } from './schema-bridge';

export type CatalogEntry =
  | { kind: 'external'; name: string; priority: number; info: DumpedPlugin; server: string }
  | { kind: 'bundled'; name: string; priority: number; plugin: BundledPlugin };

export type ConfigCheck = { ok: true; config: Record<string, unknown> } | { ok: false; errors: ErrorTree };

export class PluginCatalog {
  readonly entries = new Map<string, CatalogEntry>();

  addExternal(info: DumpedPlugin, server: string): void {
    this.entries.set(info.Name, { kind: 'external', name: info.Name, priority: info.Priority, info, server });
  }

  addBundled(plugin: BundledPlugin): void {
    this.entries.set(plugin.name, { kind: 'bundled', name: plugin.name, priority: plugin.priority, plugin });
  }

  get(name: string): CatalogEntry | undefined {
    return this.entries.get(name);
  }

  /** Validated stored config (defaults, unset optionals null) or Kong's `fields.config` error tree. */
  validate(name: string, input: unknown): ConfigCheck {
    const entry = this.entries.get(name);
    if (!entry) return { ok: false, errors: { name: `plugin '${name}' not enabled; add it to the 'plugins' configuration property` } };
    if (entry.kind === 'external') return schema.validatePluginConfig(entry.info.Schema, input ?? {});
    try {
      return { ok: true, config: entry.plugin.normalize((input ?? {}) as Record<string, unknown>) };
    } catch (e) {
      return { ok: false, errors: { '@entity': [(e as Error).message] } };
    }
  }
}
