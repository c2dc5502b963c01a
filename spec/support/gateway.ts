// The gateway under test, chosen by environment, so one integration suite runs unchanged against
// the Kong double (default: started here with the real plugin server, a dev issuer and an echo
// upstream) or against a running Kong such as the compose stack:
//   KONG_PROXY_URL, KONG_ADMIN_URL      the running Kong (both required to select it)
//   DEV_ISSUER_URL                      the dev issuer as reachable from the tests (default http://127.0.0.1:9000/oauth2/default);
//                                       its test controls must answer the tests (loopback, or DEV_ISSUER_CONTROLS=any)
//   ECHO_URL                            the echo upstream as reachable from the tests (default http://127.0.0.1:8080)
//   ECHO_UPSTREAM_URL                   the echo upstream as Kong reaches it (default http://echo:8080)
//   KONG_PLUGINSERVER_KILL_CMD          optional shell command that kills okta-jwt's plugin server (enables the crash scenario)
//   OKTA_JWT_PLUGIN_SERVER=stock        for the double: kong-pdk's kong-js-pluginserver instead of okta-jwt-pluginserver
//   KONG_DATABASE=postgres              the double runs in DB mode (scenarios apply their config through the Admin
//                                       API); for a running Kong the mode is read from GET /status and this must agree
//
// Like Kong, which keeps one plugin-server process for every configuration it ever runs, a mocha run
// has ONE gateway per database mode (and plugin server): every startGateway() returns it, close() only
// releases it, and the root hooks close it after the last spec file (spec/support/root-hooks.ts).
// So no scenario may rely on fresh process state: key sets, caches, replay and consumer caches,
// metrics and cooldowns carry over between specs, here as on a real Kong.
import { execSync } from 'node:child_process';
import path from 'node:path';
import type { MintOptions } from '../../dev/issuer';
import { CONTROL_PATH, type EchoRecord } from '../../dev/echo-upstream';
import { startLocalStack } from '../../dev/local-stack';
import type { KongDouble } from '../kong-double';
import { send, type HttpResponse } from './http-client';
import { repoRoot } from './repo-paths';
import { issuerControl, type IssuerControl } from './issuer-control';
import { atRunEnd } from './run-lifecycle';

export interface Gateway {
  kind: 'double' | 'kong';
  proxyUrl: string;
  adminUrl: string;
  /** The issuer string inside tokens (what the plugin config names). */
  issuer: string;
  /** The upstream URL as the gateway reaches it. */
  upstreamUrl: string;
  /** 'off' (DB-less: POST /config) or 'postgres' (Admin API CRUD), as the gateway reports it. */
  database: 'off' | 'postgres';
  mint(claims?: Record<string, unknown>, options?: MintOptions): Promise<string>;
  upstreamRequests(): Promise<EchoRecord[]>;
  resetUpstream(): Promise<void>;
  /** POST /config with a declarative config; returns the response (apply-config.ts waits until it runs). */
  postConfig(config: Record<string, unknown>): Promise<HttpResponse>;
  admin(method: string, pathAndQuery: string, body?: unknown): Promise<HttpResponse>;
  /** Kills okta-jwt's plugin server, or null when the target cannot do it. */
  killPluginServer: (() => Promise<void>) | null;
  /** The Kong double itself, for RPC-level assertions (double only). */
  double: KongDouble | null;
  /** The dev issuer's test controls over HTTP (key rotation, outages, more authorization servers). */
  issuerControl: IssuerControl;
  close(): Promise<void>;
}

function adminClient(adminUrl: string) {
  return (method: string, pathAndQuery: string, body?: unknown) =>
    send(method, adminUrl + pathAndQuery, body === undefined ? [] : [['Content-Type', 'application/json']], body === undefined ? undefined : JSON.stringify(body));
}

/**
 * The database mode, from GET /status: Kong reports a configuration_hash only without a database.
 * (Not GET /: Kong 3.9 answers it 500 while it runs a plugin server it spawned, batch3 §3.)
 */
async function databaseOf(adminUrl: string): Promise<'off' | 'postgres'> {
  const status = await send('GET', adminUrl + '/status');
  if (status.status !== 200) throw new Error(`GET ${adminUrl}/status answered ${status.status} ${status.text}`);
  const detected = 'configuration_hash' in status.json() ? 'off' : 'postgres';
  const declared = process.env.KONG_DATABASE;
  if (declared !== undefined && (declared === 'off') !== (detected === 'off')) {
    throw new Error(`KONG_DATABASE=${declared}, but the Kong at ${adminUrl} runs ${detected === 'off' ? 'DB-less' : 'with a database'} (GET /status)`);
  }
  return detected;
}

/** The double's mode: the option, else KONG_DATABASE (postgres or off). */
const doubleDatabase = (option?: 'off' | 'postgres'): 'off' | 'postgres' => option ?? (process.env.KONG_DATABASE === 'postgres' ? 'postgres' : 'off');

/**
 * DB mode on the double runs with short rebuild delays (Kong: 0.6 s router, 5 s plugins): the suite
 * still has to wait for every change, but the whole suite stays fast.
 */
const SUITE_DB_DELAYS = { routerMs: 30, pluginsMs: 120 };

async function runningKong(): Promise<Gateway> {
  const proxyUrl = process.env.KONG_PROXY_URL as string;
  const adminUrl = process.env.KONG_ADMIN_URL as string;
  const issuerUrl = process.env.DEV_ISSUER_URL ?? 'http://127.0.0.1:9000/oauth2/default';
  const echoUrl = process.env.ECHO_URL ?? 'http://127.0.0.1:8080';
  const discovery = await send('GET', `${issuerUrl}/.well-known/openid-configuration`);
  const killCmd = process.env.KONG_PLUGINSERVER_KILL_CMD;
  const admin = adminClient(adminUrl);
  const control = issuerControl(issuerUrl, discovery.json<{ issuer: string }>().issuer);
  return {
    kind: 'kong',
    proxyUrl,
    adminUrl,
    issuer: control.issuer,
    upstreamUrl: process.env.ECHO_UPSTREAM_URL ?? 'http://echo:8080',
    database: await databaseOf(adminUrl),
    mint: (claims, options) => control.mint(claims, options),
    upstreamRequests: async () => (await send('GET', echoUrl + CONTROL_PATH)).json<EchoRecord[]>(),
    resetUpstream: async () => void (await send('DELETE', echoUrl + CONTROL_PATH)),
    postConfig: (config) => admin('POST', '/config', config),
    admin,
    killPluginServer: killCmd ? async () => void execSync(killCmd, { stdio: 'ignore' }) : null,
    double: null,
    issuerControl: control,
    close: async () => undefined,
  };
}

export interface DoubleGatewayOptions {
  database?: 'off' | 'postgres';
  /** Kong's socket read timeout per RPC (60 s); shorter for tests of a stalled plugin server. */
  readTimeoutMs?: number;
  /** Serve okta-jwt with this plugin server whatever OKTA_JWT_PLUGIN_SERVER says. */
  pluginServer?: 'hardened' | 'stock';
}

async function doubleGateway(options: DoubleGatewayOptions): Promise<Gateway> {
  const database = doubleDatabase(options.database);
  const stack = await startLocalStack({
    double: {
      pluginServers: [{ name: 'okta-jwt', pluginsDir: path.join(repoRoot(), 'dist', 'plugins'), server: options.pluginServer }],
      database,
      readTimeoutMs: options.readTimeoutMs,
      propagation: database === 'off' ? undefined : SUITE_DB_DELAYS,
    },
  });
  const { issuer, echo, double } = stack;
  const admin = adminClient(double.adminUrl);
  return {
    kind: 'double',
    proxyUrl: double.proxyUrl,
    adminUrl: double.adminUrl,
    issuer: issuer.issuer,
    upstreamUrl: echo.url,
    database,
    mint: (claims, opts) => issuer.mint(claims, opts),
    upstreamRequests: async () => echo.received(),
    resetUpstream: async () => echo.reset(),
    postConfig: (config) => admin('POST', '/config', config),
    admin,
    killPluginServer: async () => {
      const server = double.pluginServers.get('okta-jwt');
      if (server === undefined) throw new Error('no okta-jwt plugin server');
      server.kill('SIGKILL');
    },
    double,
    issuerControl: issuerControl(issuer.issuer, issuer.issuer),
    close: () => stack.close(),
  };
}

/** The run's gateways, one per target: a running Kong, or the double per database mode and plugin server. */
const shared = new Map<string, Promise<Gateway>>();

function sharedGateway(key: string, start: () => Promise<Gateway>): Promise<Gateway> {
  let gateway = shared.get(key);
  if (gateway === undefined) {
    gateway = start();
    shared.set(key, gateway);
    const started = gateway;
    started.catch(() => shared.delete(key)); // a start that failed leaves nothing running: the next spec tries again
    atRunEnd(async () => {
      if (shared.get(key) === started) shared.delete(key);
      await (await started.catch(() => null))?.close();
    });
  }
  // Specs close what they start; for the shared gateway that only means "done with it".
  return gateway.then((gw) => ({ ...gw, close: async () => undefined }));
}

/**
 * The target named by the environment, shared by every spec of the run (see the top of this file).
 * `options` apply to the double only; a spec that needs its own process options (a short RPC
 * timeout) uses startDoubleGateway and says why.
 */
export function startGateway(options: Omit<DoubleGatewayOptions, 'readTimeoutMs'> = {}): Promise<Gateway> {
  if (process.env.KONG_PROXY_URL && process.env.KONG_ADMIN_URL) return sharedGateway('kong', runningKong);
  const database = doubleDatabase(options.database);
  const server = options.pluginServer ?? (process.env.OKTA_JWT_PLUGIN_SERVER === 'stock' ? 'stock' : 'hardened');
  return sharedGateway(`double:${database}:${server}`, () => doubleGateway({ database, pluginServer: server }));
}

/** A Kong double of its own, with its own plugin-server process (closed by close()): only for process options Kong cannot share, e.g. a short RPC timeout. */
export function startDoubleGateway(options: DoubleGatewayOptions = {}): Promise<Gateway> {
  return doubleGateway(options);
}
