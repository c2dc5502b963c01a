// The stack every end-to-end case runs through: the dev issuer, the echo upstream and the Kong double
// with one plugin server per plugin (okta-jwt, the reference plugin, the @okta/jwt-verifier plugin,
// the floor plugin),
// several simulated nginx workers, and one route per case on the echo service.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEV_AUDIENCE, type DevIssuer } from '../dev/issuer';
import type { EchoUpstream } from '../dev/echo-upstream';
import { startLocalStack, type LocalStack } from '../dev/local-stack';
import type { KongDouble } from '../spec/kong-double';
import { REPO_ROOT, serverBinary, type ServerKind } from '../spec/support/plugin-server/launch';
import { BENCH_TOKEN_CLAIMS, CLAIMS_TO_HEADERS, REQUIRED_SCOPE } from './claim-mapping';

export type CaseId = 'a' | 'b' | 'c' | 'd' | 'b0' | 'c0';

export interface BenchCase {
  id: CaseId;
  title: string;
  /** Route path on the double's proxy. */
  path: string;
  /** Plugin-server name (whose process CPU is measured). */
  server: string;
}

export const CASES: readonly BenchCase[] = [
  { id: 'a', title: 'reference plugin: get_header + set_headers', path: '/ref', server: 'bench-reference' },
  { id: 'b', title: 'okta-jwt, verified-token cache hit', path: '/okta-cached', server: 'okta-jwt' },
  { id: 'c', title: 'okta-jwt, verifying every token (cache off)', path: '/okta-verify', server: 'okta-jwt' },
  { id: 'd', title: '@okta/jwt-verifier plugin', path: '/okta-verifier', server: 'bench-okta-verifier' },
  { id: 'b0', title: 'floor for (b): SHA-256 + Map hit, same PDK calls', path: '/floor-cached', server: 'bench-floor' },
  { id: 'c0', title: 'floor for (c): sync node:crypto.verify, same PDK calls', path: '/floor-verify', server: 'bench-floor' },
];

export interface BenchGateway {
  issuer: DevIssuer;
  echo: EchoUpstream;
  double: KongDouble;
  serverKind: ServerKind;
  /** An Okta-shaped RS256 access token every case accepts. */
  token: string;
  pidOf(server: string): number;
  /** Stops the double and the upstream; the issuer stays up for the verification micro-benchmark. */
  closeProxy(): Promise<void>;
  /** Stops everything; a second call does nothing. */
  close(): Promise<void>;
}

const PLUGIN_DIRS: Record<string, string> = {
  'okta-jwt': path.join(REPO_ROOT, 'dist', 'plugins'),
  'bench-reference': path.join(REPO_ROOT, 'dist', 'test', 'bench', 'plugins', 'bench-reference'),
  'bench-okta-verifier': path.join(REPO_ROOT, 'dist', 'test', 'bench', 'plugins', 'bench-okta-verifier'),
  'bench-floor': path.join(REPO_ROOT, 'dist', 'test', 'bench', 'plugins', 'bench-floor'),
};

/**
 * okta-jwt's config for the cases: one issuer, the required scope, the shared claim mapping.
 * `cacheOff` sets token_cache.max_entries 0 and also max_token_bytes 8191 (default 8192): an
 * instance with the cache off still reads entries another instance with the same verification
 * settings stored (see the BUG test in spec/04-bench/), so the two must differ in those settings
 * or case (c) would measure cache hits.
 */
export function oktaJwtBenchConfig(issuer: string, cacheOff = false): Record<string, unknown> {
  return {
    issuer,
    audiences: [DEV_AUDIENCE],
    scopes_required: [REQUIRED_SCOPE],
    claims_to_headers: CLAIMS_TO_HEADERS.map((m) => ({ ...m })),
    ...(cacheOff ? { token_cache: { max_entries: 0 }, max_token_bytes: 8191 } : {}),
  };
}

function kongYml(issuer: string, upstreamUrl: string): Record<string, unknown> {
  const route = (name: string, routePath: string, plugin: Record<string, unknown>) => ({ name, paths: [routePath], plugins: [plugin] });
  return {
    _format_version: '3.0',
    services: [
      {
        name: 'echo',
        url: upstreamUrl,
        routes: [
          route('ref', '/ref', { name: 'bench-reference', config: {} }),
          route('okta-cached', '/okta-cached', { name: 'okta-jwt', config: oktaJwtBenchConfig(issuer) }),
          route('okta-verify', '/okta-verify', { name: 'okta-jwt', config: oktaJwtBenchConfig(issuer, true) }),
          route('okta-verifier', '/okta-verifier', { name: 'bench-okta-verifier', config: { issuer, audience: DEV_AUDIENCE } }),
          route('floor-cached', '/floor-cached', { name: 'bench-floor', config: { issuer, audience: DEV_AUDIENCE, cache: true } }),
          route('floor-verify', '/floor-verify', { name: 'bench-floor', config: { issuer, audience: DEV_AUDIENCE, cache: false } }),
        ],
      },
    ],
  };
}

/** OKTA_JWT_PLUGIN_SERVER=stock selects kong-pdk's kong-js-pluginserver, as in the integration suite. */
function serverKindFromEnv(): ServerKind {
  return process.env.OKTA_JWT_PLUGIN_SERVER === 'stock' ? 'stock' : 'hardened';
}

/** BENCH_CPU_PROF_DIR: every plugin server writes a V8 CPU profile (<dir>/<server>.cpuprofile) when it stops. */
function profileArgs(server: string): string[] {
  const dir = process.env.BENCH_CPU_PROF_DIR;
  return dir ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(dir), '--cpu-prof-name', `${server}.cpuprofile`] : [];
}

/** `serverKind`: which plugin server runs every plugin (default: OKTA_JWT_PLUGIN_SERVER, else ours). */
export async function startBenchGateway(options: { workers: number; serverKind?: ServerKind }): Promise<BenchGateway> {
  const serverKind = options.serverKind ?? serverKindFromEnv();
  if (serverKind === 'hardened' && !fs.existsSync(path.join(REPO_ROOT, 'dist', 'server', 'launcher.js'))) {
    throw new Error('dist/server is missing: build first (npm run build), or set OKTA_JWT_PLUGIN_SERVER=stock');
  }
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'okta-jwt-bench-'));
  const pluginServers = Object.entries(PLUGIN_DIRS).map(([name, dir]) => {
    if (!fs.existsSync(dir)) throw new Error(`${dir} is missing: build first (npm run build)`);
    return {
      name,
      pluginsDir: dir,
      socketPath: path.join(prefix, `${name}.sock`),
      startCommand: [process.execPath, ...profileArgs(name), serverBinary(serverKind), '-p', prefix, '--sock-name', `${name}.sock`, '-d', dir],
    };
  });
  let stack: LocalStack;
  try {
    stack = await startLocalStack({
      double: { pluginServers, workers: options.workers, prefix },
      config: (issuer, echo) => kongYml(issuer.issuer, echo.url),
    });
  } catch (err) {
    fs.rmSync(prefix, { recursive: true, force: true });
    throw err;
  }
  const { issuer: iss, echo: up, double: kong } = stack;
  const token = await iss.mint(BENCH_TOKEN_CLAIMS);
  let proxyOpen = true;
  let closed = false;
  const closeProxy = async () => {
    if (!proxyOpen) return;
    proxyOpen = false;
    await kong.close();
    await up.close();
  };
  return {
    issuer: iss,
    echo: up,
    double: kong,
    serverKind,
    token,
    pidOf: (server) => {
      const pid = kong.pluginServers.get(server)?.pid;
      if (pid === undefined) throw new Error(`no plugin server ${server}`);
      return pid;
    },
    closeProxy,
    close: async () => {
      if (closed) return;
      closed = true;
      await closeProxy();
      await iss.close();
      fs.rmSync(prefix, { recursive: true, force: true });
    },
  };
}
