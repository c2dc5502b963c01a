// Reads the real-Kong batch-2 recordings (scenarios 50–55) that the schema specs compare against.
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { DumpedSchema } from '../../kong-double/schema';
import { TRANSCRIPTS_DIR } from '../../support/repo-paths';

export const BATCH2 = path.join(TRANSCRIPTS_DIR, 'batch2');
export const KONG_VERSIONS = ['kong-3.9.3', 'kong-3.4.2'] as const;
export type KongVersion = (typeof KONG_VERSIONS)[number];

export interface Exchange {
  request: { method: string; path: string; body: string | null };
  response: { status: number; body: string };
}

type Json = Record<string, unknown>;

export function exchanges(version: KongVersion, scenario: string): Exchange[] {
  return JSON.parse(fs.readFileSync(path.join(BATCH2, version, `${scenario}.http.json`), 'utf8')) as Exchange[];
}

export function responseJson(x: Exchange): Json {
  return JSON.parse(x.response.body) as Json;
}

export function requestJson(x: Exchange): Json {
  return JSON.parse(x.request.body ?? 'null') as Json;
}

/** The dumped Schema of a probe plugin, as Kong read it from `--dump-all-plugins`. */
export function dumpedSchema(version: KongVersion, server: 'schema' | 'probe' | 'logprobe'): DumpedSchema {
  const dumps = JSON.parse(fs.readFileSync(path.join(BATCH2, version, '01-startup-query-dumps.json'), 'utf8')) as Record<string, Array<{ Schema: DumpedSchema }>>;
  return dumps[server]![0]!.Schema;
}

/** The StartInstance Config JSON objects Kong sent to the plugin server `ps` during a scenario. */
export function startInstanceConfigs(version: KongVersion, scenario: string, ps = 'schema'): Json[] {
  const lines = fs.readFileSync(path.join(BATCH2, version, `${scenario}.jsonl`), 'utf8').split('\n').filter(Boolean);
  const out: Json[] = [];
  for (const line of lines) {
    const rec = JSON.parse(line) as { ps?: string; dir?: string; frame?: unknown[] };
    const f = rec.frame;
    if (rec.ps !== ps || rec.dir !== 'kong->ps' || !f || f[2] !== 'plugin.StartInstance') continue;
    const arg = (f[3] as Array<{ Config: string }>)[0]!;
    out.push(JSON.parse(arg.Config) as Json);
  }
  return out;
}

/** Drops the keys Kong adds around the plugin config in StartInstance (`__key__`, `route_id`, …). */
export function withoutInstanceMeta(config: Json): Json {
  return Object.fromEntries(Object.entries(config).filter(([k]) => !k.startsWith('__') && !['route_id', 'service_id', 'consumer_id'].includes(k)));
}

export interface PluginInConfig {
  plugin: Json;
  /** 0-based location in the declarative config, e.g. ['services', 0, 'routes', 4, 'plugins', 0]. */
  path: Array<string | number>;
}

/** Every plugin entry of a declarative config, nested or top-level, with its location. */
export function pluginsIn(doc: Json): PluginInConfig[] {
  const out: PluginInConfig[] = [];
  const walk = (node: unknown, at: Array<string | number>): void => {
    if (Array.isArray(node)) {
      node.forEach((x, i) => walk(x, [...at, i]));
      return;
    }
    if (node === null || typeof node !== 'object') return;
    for (const [k, v] of Object.entries(node as Json)) {
      if (k === 'plugins' && Array.isArray(v)) v.forEach((p, i) => out.push({ plugin: p as Json, path: [...at, k, i] }));
      if (Array.isArray(v) && k !== 'plugins') walk(v, [...at, k]);
    }
  };
  walk(doc, []);
  return out;
}

export function declarativeConfigFile(version: KongVersion): Json {
  const file = version === 'kong-3.4.2' ? 'kong-b2-v34.yml' : 'kong-b2.yml';
  return parseYaml(fs.readFileSync(path.join(BATCH2, 'config', file), 'utf8')) as Json;
}
