// okta-jwt-pluginserver: a drop-in replacement for kong-pdk's `kong-js-pluginserver` with the same
// command line (kong-pdk's own parser), serving through HardenedServer and FramedListener (its own
// framing and decoding: any header name is data, an undecodable request is refused, never dropped).
// Extra over the stock bin: `--health` (server/health.ts); `--version` and `--help` are okta-jwt's (usage.ts); ts-node is never
// loaded (without-ts-node.ts); log lines go to stderr (the query command's stdout is pure JSON); idle
// instances and abandoned events expire; SIGTERM/SIGINT close the socket and exit 0; `--metrics ADDR` /
// OKTA_JWT_METRICS_ADDR serve Prometheus metrics (metrics-endpoint.ts); `--supervise` runs a
// supervisor with an active and a standby worker, for restarts and upgrades in milliseconds
// (supervisor.ts, worker.ts). The query command (--dump-*) never supervises.
import './without-ts-node';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, type CliOptions } from 'kong-pdk/cli';
import { HardenedServer } from './hardened-server';
import { FramedListener } from './framed-listener';
import { stderrLogger } from './logger';
import { settingsFromEnv, type ServerSettings } from './settings';
import { healthMain } from './health';
import { kongPdkMsgpack } from './kong-pdk-msgpack';
import { takeMetricsAddress, type MetricsAddress } from './metrics-address';
import { startMetrics } from './metrics-endpoint';
import { Supervisor } from './supervisor';
import { PLUGIN_SERVER_USAGE, asksForHelp } from './usage';
import { isSupervisedWorker, serveAsWorker } from './worker';

const SUPERVISE_FLAG = '--supervise';

export function main(): void {
  // Taken out of argv first: a healthcheck may repeat the start command's flags, and neither
  // --health's parser nor kong-pdk's accepts unknown options.
  let metricsAddress: MetricsAddress | null;
  try {
    metricsAddress = takeMetricsAddress(process.argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  }
  // Not a kong-js-pluginserver flag: handled before kong-pdk's parser, which refuses unknown options.
  if (process.argv.includes('--health')) return healthMain(process.argv.slice(2));
  // kong-pdk's parser would print kong-pdk's own version and help.
  if (process.argv.includes('--version')) return void process.stdout.write(`${packageVersion()}\n`);
  if (asksForHelp(process.argv)) return void process.stdout.write(`${PLUGIN_SERVER_USAGE}\n`);
  const supervise = takeFlag(process.argv, SUPERVISE_FLAG);
  const opts = parse();
  const logger = stderrLogger(opts.logLevel);
  // The stock server resolves a relative directory against its own install folder and finds nothing.
  const pluginsDir = path.resolve(opts.pluginsDirectory);
  let settings: ServerSettings;
  try {
    settings = settingsFromEnv();
  } catch (err) {
    logger.error((err as Error).message);
    process.exit(1);
  }
  if (opts.DumpAllPlugins || opts.DumpPluginInfo) {
    dump(opts, pluginsDir, settings, logger).catch((err: Error) => {
      logger.error(err.message);
      process.exitCode = 1;
    });
  } else if (supervise) {
    const workerArgs = process.argv.slice(2);
    if (metricsAddress !== null) workerArgs.push('--metrics', `${metricsAddress.host.includes(':') ? `[${metricsAddress.host}]` : metricsAddress.host}:${metricsAddress.port}`);
    new Supervisor({ script: process.argv[1]!, args: workerArgs, publicPath: socketPath(opts) }, logger).start();
  } else if (isSupervisedWorker()) {
    const ps = new HardenedServer(pluginsDir, logger, settings);
    serveAsWorker(ps, { publicPath: socketPath(opts), debug: opts.logLevel === 'debug', drainTimeoutSeconds: settings.drainTimeoutSeconds, metrics: metricsAddress }, logger);
  } else {
    if (metricsAddress !== null) startMetrics(metricsAddress, logger);
    serve(opts, pluginsDir, settings, logger);
  }
}

const socketPath = (opts: CliOptions) => path.join(opts.kongPrefix, opts.sockName);

/** Removes a boolean flag kong-pdk's parser does not know; true when it was there. */
function takeFlag(argv: string[], flag: string): boolean {
  const at = argv.indexOf(flag);
  if (at < 0) return false;
  argv.splice(at, 1);
  return true;
}

/** okta-jwt's version: package.json (its only place), two folders above dist/server/ in every layout. */
function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
}

type Logger = ReturnType<typeof stderrLogger>;

async function dump(opts: CliOptions, pluginsDir: string, settings: ServerSettings, logger: Logger): Promise<void> {
  // Whatever a plugin prints while loading goes to stderr: Kong JSON-decodes all of stdout.
  const writeStdout = process.stdout.write.bind(process.stdout);
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  const ps = new HardenedServer(pluginsDir, logger, settings);
  try {
    if (opts.DumpPluginInfo) {
      writeStdout(kongPdkMsgpack.encode(await ps.GetPluginInfo(opts.DumpPluginInfo)));
    } else {
      const infos = await Promise.all([...ps.getPlugins().keys()].map((name) => ps.GetPluginInfo(name)));
      writeStdout(JSON.stringify(infos) + '\n');
    }
  } finally {
    ps.close();
  }
}

function serve(opts: CliOptions, pluginsDir: string, settings: ServerSettings, logger: Logger): void {
  const ps = new HardenedServer(pluginsDir, logger, settings);
  const listener = new FramedListener(ps, opts.logLevel === 'debug');
  listener.serve(socketPath(opts)).on('error', (err) => {
    logger.error(`cannot listen: ${err.message}`);
    process.exit(1);
  });
  const stop = (signal: NodeJS.Signals) => {
    logger.info(`${signal} received, stopping`);
    ps.close();
    void listener.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
