// Helpers for the offline checks of the deployment assets (kong/Dockerfile, docker-compose.yml,
// deploy/): no Docker engine, Kong or Kubernetes here, so the files are parsed and their commands
// are run as they would run, with the image's paths mapped onto this checkout.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { normaliseConfig } from '../../plugin/config/normalise';
import { validatePluginConfig } from '../kong-double/schema';
import { oktaJwtSchema } from './plugin-schema';
import { repoRoot } from './repo-paths';
import { GUARD_SNIPPET } from './kong-config';

export const REPO = repoRoot();
export const PLUGIN_NAME = 'okta-jwt';
/** Where kong/Dockerfile installs the package, and the Node binary it copies in. */
export const IMAGE_PACKAGE_DIR = '/usr/local/kong/okta-jwt';
export const IMAGE_NODE = '/usr/local/bin/node';
/** The fail-closed guard every example carries after okta-jwt. */
export const GUARD_LUA = GUARD_SNIPPET;

export type Obj = Record<string, any>;

export const read = (file: string) => readFileSync(path.join(REPO, file), 'utf8');
/** YAML with merge keys (`<<: *anchor`), as Compose reads it; every document of the file. */
export const readYamlDocs = (file: string): Obj[] =>
  read(file)
    .split(/^---$/m)
    .map((doc) => parse(doc, { merge: true }) as Obj)
    .filter((d) => d !== null);

/** The value following a flag in a command line (a string or an argv array). */
export function flag(command: string | string[], name: string): string | undefined {
  const words = Array.isArray(command) ? command : command.split(/\s+/);
  const i = words.indexOf(name);
  return i >= 0 ? words[i + 1] : undefined;
}

/** The socket a plugin-server command line listens on: <-p>/<--sock-name>. */
export const socketOf = (command: string | string[]) => `${flag(command, '-p')}/${flag(command, '--sock-name')}`;

/** The ENV instruction's KEY="value" pairs (continuation lines joined), with ARG defaults (or `args`) substituted. */
export function dockerfileEnv(text: string, args: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  const joined = text.replace(/\\\n/g, ' ');
  const argValues: Record<string, string> = {};
  for (const [, key, value] of joined.matchAll(/^ARG (\w+)=(\S+)$/gm)) argValues[key!] = value!;
  Object.assign(argValues, args);
  for (const line of joined.split('\n').filter((l) => l.startsWith('ENV '))) {
    for (const [, key, value] of line.matchAll(/(\w+)="([^"]*)"/g)) {
      env[key!] = value!.replace(/\$\{(\w+)\}/g, (_, name: string) => argValues[name] ?? '');
    }
  }
  return env;
}

/** An image command line with the image's paths mapped onto this checkout (after `npm run build`). */
export function localCommand(words: string[]): string[] {
  return words.map((w) => (w === IMAGE_NODE ? process.execPath : w.startsWith(IMAGE_PACKAGE_DIR) ? REPO + w.slice(IMAGE_PACKAGE_DIR.length) : w));
}

/** Runs a command line as Kong runs plugin-server commands: sh -c, no environment (no PATH). */
export function runLikeKong(command: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('/bin/sh', ['-c', command], { env: {}, cwd: '/', timeout: 15_000 }, (err, out) => (err ? reject(err) : resolve(out))),
  );
}

/** Kong's schema verdict, then the plugin's own config checks, for a plugin config in an example. */
export function pluginConfigError(config: Obj): string | undefined {
  const checked = validatePluginConfig(oktaJwtSchema(), config);
  if (!checked.ok) return JSON.stringify(checked.errors);
  if (config.fail_closed_guard !== true) return 'fail_closed_guard must be true in the examples';
  try {
    normaliseConfig(checked.config);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
