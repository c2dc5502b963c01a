// One external plugin-server process as Kong's process.lua manages it: spawn the start command,
// capture its output lines, respawn after an exit (at most once per second), SIGTERM on close.
// Also the query command (`--dump-all-plugins`) that tells Kong which plugin the server provides.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import type { ErrorLog } from './recorder';
import { repoRoot } from '../support/repo-paths';

export interface DumpedPlugin {
  Name: string;
  Version: string;
  Priority: number;
  Phases: string[];
  Schema: { name: string; fields: unknown[] };
  Protocol?: string;
}

export interface PluginServerOptions {
  name: string;
  /** Plugin directory (made absolute). */
  pluginsDir: string;
  /**
   * argv of the start command; default: the plugin server of pluginServerBinary() with -p/--sock-name/-d.
   * null: no start command, like Kong without `pluginserver_<name>_start_cmd`: something else runs the
   * server on socketPath and the double never starts or restarts it.
   */
  startCommand?: string[] | null;
  /** argv of the query command; default: kong-js-pluginserver -d <dir> --dump-all-plugins. */
  queryCommand?: string[];
  /** Socket path Kong connects to; default <prefix>/<name>.sock. */
  socketPath?: string;
  /** Wait until the socket accepts connections before serving (Kong 3.9 does not wait). Default true. */
  waitForSocket?: boolean;
  /** Extra environment for the plugin-server process. */
  env?: Record<string, string>;
  /** Which server the default commands run (default: pluginServerBinary's choice). */
  server?: 'hardened' | 'stock';
}

/**
 * The plugin server the double starts by default: okta-jwt's hardened `okta-jwt-pluginserver`, or
 * kong-pdk's stock `kong-js-pluginserver` with OKTA_JWT_PLUGIN_SERVER=stock (same command line).
 */
export function pluginServerBinary(kind = process.env.OKTA_JWT_PLUGIN_SERVER === 'stock' ? 'stock' : 'hardened'): string {
  return kind === 'stock'
    ? path.join(repoRoot(), 'node_modules', '.bin', 'kong-js-pluginserver')
    : path.join(repoRoot(), 'bin', 'okta-jwt-pluginserver');
}

const VERSION_RE = /^\d+(\.\d+)?(\.\d+)?$/;

/**
 * Runs the query command and returns the plugins Kong registers: the first dump entry (3.9) or all (3.4).
 * Throws Kong's error texts for non-JSON output and invalid Version/Priority.
 */
export async function queryPlugins(argv: string[], kongVersion: '3.9.3' | '3.4.2', env?: Record<string, string>): Promise<DumpedPlugin[]> {
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(argv[0]!, argv.slice(1), { env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 }, (err, out) =>
      err ? reject(new Error(`failed running query command ${argv.join(' ')}: ${err.message}`)) : resolve(out),
    );
  });
  let dump: unknown;
  try {
    dump = JSON.parse(stdout);
  } catch (e) {
    throw new Error(`failed decoding plugin info: ${(e as Error).message} (query output: ${JSON.stringify(stdout.slice(0, 200))})`);
  }
  const list = (dump as { Plugins?: unknown[] }).Plugins ?? dump;
  if (!Array.isArray(list) || list.length === 0) throw new Error('Not a plugin info table');
  const chosen = kongVersion === '3.9.3' ? list.slice(0, 1) : list;
  return chosen.map((p) => checkPluginInfo(p as DumpedPlugin));
}

function checkPluginInfo(p: DumpedPlugin): DumpedPlugin {
  if (!p || typeof p.Name !== 'string') throw new Error('Not a plugin info table');
  if (typeof p.Priority !== 'number' || !Number.isInteger(p.Priority)) {
    throw new Error(`Plugin "${p.Name}" cannot be loaded because its PRIORITY field is not a valid integer number`);
  }
  if (typeof p.Version !== 'string' || !VERSION_RE.test(p.Version)) {
    throw new Error(`Plugin "${p.Name}" cannot be loaded because its VERSION field does not follow the "x.y.z" format`);
  }
  return { ...p, Phases: p.Phases ?? [], Protocol: p.Protocol ?? 'MsgPack:1' };
}

export class PluginServerProcess {
  /** Output lines of all incarnations (stdout and stderr, in arrival order). */
  readonly output: string[] = [];
  readonly socketPath: string;
  private child?: ChildProcess;
  private closing = false;
  private lastStart = 0;
  private startWaiters: Array<() => void> = [];
  private respawnTimer?: NodeJS.Timeout;
  private exitWaiters: Array<() => void> = [];

  constructor(
    readonly name: string,
    private readonly argv: string[],
    socketPath: string,
    private readonly log: ErrorLog,
    private readonly waitForSocket: boolean,
    private readonly env?: Record<string, string>,
  ) {
    this.socketPath = socketPath;
  }

  /** When the current incarnation was spawned (ms since epoch); respawns are ≥ 1 s apart. */
  get startedAt(): number {
    return this.lastStart;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    await this.spawnOnce();
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    return this.child?.kill(signal) ?? false;
  }

  /** Resolves when the process running after the current one has started (and its socket is ready if configured). */
  nextStart(): Promise<void> {
    return new Promise((resolve) => this.startWaiters.push(resolve));
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.respawnTimer) clearTimeout(this.respawnTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.exitWaiters.push(resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
    this.log.log('notice', `[pluginserver] successfully stopped pluginserver '${this.name}', pid ${child.pid}`);
  }

  private async spawnOnce(): Promise<void> {
    this.lastStart = Date.now();
    this.log.log('notice', `[pluginserver] starting pluginserver process for ${this.name}`);
    const child = spawn(this.argv[0]!, this.argv.slice(1), { env: { ...process.env, ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const spawned = new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', reject);
    });
    for (const stream of [child.stdout!, child.stderr!]) {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop()!;
        for (const line of lines) this.addLine(child, line);
      });
      stream.on('end', () => partial && this.addLine(child, partial));
    }
    child.on('exit', (code, signal) => this.onExit(child, code, signal));
    await spawned;
    this.log.log('notice', `[pluginserver] started, pid ${child.pid}`);
    if (this.waitForSocket) await this.socketReady(child);
    for (const w of this.startWaiters.splice(0)) w();
  }

  /** Stores a line without colour codes; drops node-color-log's partial redraw lines (timestamp/level only). */
  private addLine(child: ChildProcess, raw: string): void {
    const line = raw.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').trimEnd();
    if (/^(\d{4}-\d\d-\d\dT[\d:.]+Z)?\s*(\[(DEBUG|INFO|WARN|ERROR|SUCCESS)\])?\s*$/.test(line)) return;
    this.output.push(line);
    this.log.log('info', `[${this.name}:${child.pid}] ${line}`);
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return;
    for (const w of this.exitWaiters.splice(0)) w();
    this.log.log('notice', `[pluginserver] external pluginserver '${this.name}' terminated: ${signal ? 'signal ' + signal : 'exit code ' + code}`);
    if (this.closing) return;
    if (code === 127) {
      this.log.log('notice', `[pluginserver] external pluginserver '${this.name}' exited with "command not found"; not respawned.`);
      return;
    }
    // Timers may fire a millisecond early against Date.now(): one more ms keeps "≥ 1 s" true.
    const wait = Math.max(0, this.lastStart + 1001 - Date.now());
    this.respawnTimer = setTimeout(() => {
      if (!this.closing) this.spawnOnce().catch((e) => this.log.log('error', `[pluginserver] respawn failed: ${e}`));
    }, wait);
  }

  /** Polls with a connect (not just the file: a stale file may remain from the previous incarnation). */
  private async socketReady(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + 20000;
    while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
      if (await socketAccepts(this.socketPath)) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    if (child.exitCode === null && child.signalCode === null) throw new Error(`plugin server ${this.name}: socket ${this.socketPath} not ready after 20 s`);
  }
}

/** True when something accepts a connection on the Unix socket (a stale file alone does not). */
export function socketAccepts(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(socketPath);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
