// `okta-jwt-pluginserver --health`: asks the running server on its socket for a plugin's info, the
// cheapest RPC Kong itself sends (`plugin.GetPluginInfo`, no instance, no request state). A socket
// file alone proves nothing: the check passes only when the server answers with the plugin's name.
// For container healthchecks and supervisors; takes the start command's flags (-d and -v ignored).
import path from 'node:path';
import { parseArgs } from 'node:util';
import { kongPdkMsgpack } from './kong-pdk-msgpack';
import { callOnce } from './call-once';

export interface HealthOptions {
  socketPath: string;
  plugin: string;
  timeoutMs: number;
}

export const HEALTH_USAGE = `Usage: okta-jwt-pluginserver --health [-p PREFIX] [--sock-name NAME] [--plugin NAME] [--timeout-ms MS]
Exit 0 when the server on PREFIX/NAME answers plugin.GetPluginInfo for the plugin (default okta-jwt), 1 otherwise.`;

export function parseHealthArgs(argv: string[]): HealthOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      health: { type: 'boolean' },
      'kong-prefix': { type: 'string', short: 'p', default: '/usr/local/kong' },
      'sock-name': { type: 'string', default: 'js_pluginserver.sock' },
      'plugins-directory': { type: 'string', short: 'd' },
      verbose: { type: 'boolean', short: 'v', multiple: true },
      plugin: { type: 'string', default: 'okta-jwt' },
      'timeout-ms': { type: 'string', default: '3000' },
    },
  });
  const timeoutMs = Number(values['timeout-ms']);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new Error(`--timeout-ms must be a positive whole number, got "${values['timeout-ms']}"`);
  return { socketPath: path.join(values['kong-prefix']!, values['sock-name']!), plugin: values.plugin!, timeoutMs };
}

/** Resolves with the name the server reports for the plugin; rejects on any failure or after timeoutMs. */
export async function askPluginInfo(opts: HealthOptions): Promise<string> {
  const frame = await callOnce(opts.socketPath, kongPdkMsgpack.encode([0, 1, 'plugin.GetPluginInfo', [opts.plugin]]), opts.timeoutMs);
  const [type, msgid, error, result] = kongPdkMsgpack.decode(frame) as [number, number, unknown, { Name?: unknown } | null];
  if (type !== 1 || msgid !== 1) throw new Error('the answer is not a reply to the request');
  if (error !== null && error !== undefined) throw new Error(`the server answered: ${String(error)}`);
  if (result?.Name !== opts.plugin) throw new Error(`the server does not serve ${opts.plugin}`);
  return opts.plugin;
}

/** Runs the check and exits: 0 healthy, 1 not (the reason on stderr), 2 bad arguments. */
export function healthMain(argv: string[]): void {
  let opts: HealthOptions;
  try {
    opts = parseHealthArgs(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${HEALTH_USAGE}\n`);
    process.exit(2);
  }
  askPluginInfo(opts).then(
    () => {
      process.stdout.write(`healthy: ${opts.socketPath} serves ${opts.plugin}\n`);
      process.exit(0);
    },
    (err: Error) => {
      process.stderr.write(`unhealthy: ${opts.socketPath}: ${err.message}\n`);
      process.exit(1);
    },
  );
}
