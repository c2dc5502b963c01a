// A gateway that lives through plugin-server deaths and upgrades the way it is deployed beside Kong:
// the Kong double with no start command (Kong leaves the process to systemd or the container
// runtime), okta-jwt with the fail-closed guard on /echo, and a restarter that starts the plugin
// server again 100 ms after it exits (systemd `Restart=always` + `RestartSec=100ms`, compose
// `restart: always`). `supervise`: the server runs with --supervise. Also a steady load of valid and
// unauthenticated requests, each recorded with the moment it was sent.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startLocalStack, type LocalStack } from '../../../dev/local-stack';
import { RpcClient } from '../../kong-double/msgpack-rpc-client';
import { RpcRecorder, type ErrorLog } from '../../kong-double/recorder';
import { guardPlugins } from '../kong-config';
import { send } from '../http-client';
import { repoRoot } from '../repo-paths';
import type { ServerStats } from '../../../server/hardened-server';

const RESTART_DELAY_MS = 100;
const SOCK_NAME = 'okta-jwt.sock';

export interface RestartGateway {
  proxyUrl: string;
  socketPath: string;
  /** A token okta-jwt accepts on /echo. */
  valid: string;
  /** stderr lines of every incarnation, in order. */
  output: string[];
  /** The process the restarter runs (the supervisor under --supervise). */
  processPid(): number;
  /** The pid of the process that answers on the socket now (the active worker under --supervise). */
  servingPid(): Promise<number>;
  /** Resolves with the first output line at or after `from` that matches. */
  waitForLine(pattern: RegExp, from?: number): Promise<{ line: string; index: number; match: RegExpMatchArray }>;
  /** Under --supervise: waits until a worker other than the active one is loaded and waiting; its pid. */
  waitForStandby(activePid: number): Promise<number>;
  /** Unauthenticated requests (steadyLoad's) that reached the upstream: must stay 0. */
  unauthenticatedUpstream(): number;
  /** The double's error log (why Kong refused or proxied a request). */
  errorLog: ErrorLog;
  close(): Promise<void>;
}

export interface RestartGatewayOptions {
  supervise: boolean;
  /** Simulated nginx workers (default 2). */
  workers?: number;
  /** OKTA_JWT_PS_DRAIN_TIMEOUT for the server (default: the server's). */
  drainTimeoutSeconds?: number;
}

export async function startRestartGateway(options: RestartGatewayOptions): Promise<RestartGateway> {
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'okta-jwt-restart-'));
  const socketPath = path.join(prefix, SOCK_NAME);
  const pluginsDir = path.join(repoRoot(), 'dist', 'plugins');
  const argv = [path.join(repoRoot(), 'bin', 'okta-jwt-pluginserver'), ...(options.supervise ? ['--supervise'] : []), '-p', prefix, '--sock-name', SOCK_NAME, '-d', pluginsDir];
  const output: string[] = [];
  const lineWaiters = new Set<() => void>();
  let child: ChildProcess;
  let closing = false;
  const run = () => {
    const env = options.drainTimeoutSeconds === undefined ? process.env : { ...process.env, OKTA_JWT_PS_DRAIN_TIMEOUT: String(options.drainTimeoutSeconds) };
    child = spawn(process.execPath, argv, { stdio: ['ignore', 'ignore', 'pipe'], env });
    let partial = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      output.push(...lines);
      for (const w of lineWaiters) w();
    });
    child.on('exit', () => !closing && setTimeout(() => !closing && run(), RESTART_DELAY_MS));
  };
  run();
  let stack: LocalStack | undefined;
  try {
    stack = await startLocalStack({
      double: { pluginServers: [{ name: 'okta-jwt', pluginsDir, startCommand: null, socketPath }], workers: options.workers ?? 2, prefix, recordRpc: false },
      config: (issuer, echo) => ({
        _format_version: '3.0',
        services: [{
          name: 'echo', url: echo.url,
          routes: [{
            name: 'protected', paths: ['/echo'],
            plugins: [{ name: 'okta-jwt', config: { issuer: issuer.issuer, audiences: ['api://default'], fail_closed_guard: true } }, ...guardPlugins()],
          }],
        }],
      }),
    });
  } catch (err) {
    closing = true;
    child!.kill('SIGKILL');
    throw err;
  }
  const started = stack;
  const servingPid = async () => {
    const rpc = new RpcClient({ server: 'probe', worker: 0, socketPath, recorder: new RpcRecorder(() => 0), readTimeoutMs: 10_000, nextConnId: () => 0 });
    try {
      return ((await rpc.call('plugin.GetServerStats', null)) as ServerStats).Pid;
    } finally {
      rpc.closeAll();
    }
  };
  const waitForLine = (pattern: RegExp, from = 0) =>
    new Promise<{ line: string; index: number; match: RegExpMatchArray }>((resolve) => {
      const check = () => {
        for (let index = from; index < output.length; index++) {
          const match = output[index]!.match(pattern);
          if (match) {
            lineWaiters.delete(check);
            return resolve({ line: output[index]!, index, match });
          }
        }
      };
      lineWaiters.add(check);
      check();
    });
  // A standby's "ready" line follows the active worker's "serving" line.
  const waitForStandby = async (activePid: number) => {
    let from = (await waitForLine(new RegExp(`worker ${activePid} serving on`))).index;
    for (;;) {
      const { match, index } = await waitForLine(/worker (\d+) ready/, from);
      if (Number(match[1]) !== activePid) return Number(match[1]);
      from = index + 1;
    }
  };
  // Serving: the socket answers (the first incarnation may still be loading).
  for (;;) {
    const pid = await servingPid().catch(() => undefined);
    if (pid !== undefined) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const valid = await started.issuer.mint({ scp: ['orders:read'] });
  return {
    proxyUrl: started.double.proxyUrl,
    socketPath,
    valid,
    output,
    processPid: () => child.pid!,
    servingPid,
    waitForLine,
    waitForStandby,
    unauthenticatedUpstream: () => started.echo.received().filter((r) => r.url.includes('/unauthenticated')).length,
    errorLog: started.double.errorLog,
    close: async () => {
      closing = true;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      await started.close();
      fs.rmSync(prefix, { recursive: true, force: true });
    },
  };
}

export interface SentRequest {
  valid: boolean;
  /** performance.now() when it was sent and when its answer came. */
  sentAt: number;
  doneAt: number;
  /** 0: no HTTP answer. */
  status: number;
}

/** `clients` loops of valid requests and one of unauthenticated ones (a forged token) until stopped. */
export function steadyLoad(gw: RestartGateway, clients: number): { stop(): Promise<SentRequest[]> } {
  const sent: SentRequest[] = [];
  let running = true;
  const loop = async (valid: boolean) => {
    while (running) {
      const sentAt = performance.now();
      const headers: Array<[string, string]> = [['Authorization', `Bearer ${valid ? gw.valid : 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.'}`]];
      const status = await send('GET', `${gw.proxyUrl}/echo/${valid ? 'valid' : 'unauthenticated'}`, headers).then((r) => r.status, () => 0);
      sent.push({ valid, sentAt, doneAt: performance.now(), status });
    }
  };
  const loops = [...Array.from({ length: clients }, () => loop(true)), loop(false)];
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return sent.sort((a, b) => a.sentAt - b.sentAt);
    },
  };
}
