// Starts a real plugin-server process (our launcher or kong-pdk's stock bin) on a temp socket, the
// way Kong's start command would, and lets a test watch its output and exit.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { socketAccepts } from '../../kong-double/plugin-server';
import { repoRoot } from '../repo-paths';

export type ServerKind = 'hardened' | 'stock';
export const SERVER_KINDS: ServerKind[] = ['hardened', 'stock'];

export const REPO_ROOT = repoRoot();

export function serverBinary(kind: ServerKind): string {
  return kind === 'hardened'
    ? path.join(REPO_ROOT, 'bin', 'okta-jwt-pluginserver')
    : path.join(REPO_ROOT, 'node_modules', 'kong-pdk', 'bin', 'kong-js-pluginserver');
}

/** A compiled fixture plugin directory under spec/fixtures/plugin-server/. */
export function fixtureDir(name: string): string {
  return path.join(REPO_ROOT, 'dist', 'test', 'spec', 'fixtures', 'plugin-server', name);
}

/** The compiled preload that makes a server answer SIGUSR2 with a forced GC (see gc-on-signal.ts). */
export const GC_PRELOAD = path.join(__dirname, 'gc-on-signal.js');
/** The compiled preload that makes a server's wall clock read an hour early (see wall-clock-back.ts). */
export const WALL_CLOCK_BACK_PRELOAD = path.join(__dirname, 'wall-clock-back.js');

export interface LaunchOptions {
  kind: ServerKind;
  pluginsDir: string;
  /** Extra environment (e.g. OKTA_JWT_PS_INSTANCE_TTL). */
  env?: Record<string, string>;
  /** Node flags placed before the script (e.g. --expose-gc). */
  nodeArgs?: string[];
  /** Extra server arguments (e.g. -v). */
  args?: string[];
  /** A command the server runs under (e.g. valgrind and its flags), node's path appended. */
  wrapper?: string[];
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface StderrWaiter {
  /** Global regexp, searched from `from`. */
  re: RegExp;
  from: number;
  resolve: (m: RegExpMatchArray) => void;
}

export class ServerProcess {
  /** stdout and stderr text as received. */
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  private exitInfo?: Exit;
  private readonly waiters: StderrWaiter[] = [];

  constructor(
    readonly kind: ServerKind,
    readonly child: ChildProcess,
    readonly socketPath: string,
    private readonly tmpDir: string,
  ) {
    child.stdout!.setEncoding('utf8').on('data', (s: string) => (this.stdout += s));
    child.stderr!.setEncoding('utf8').on('data', (s: string) => {
      this.stderr += s;
      this.checkWaiters();
    });
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      }),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.exitInfo === undefined;
  }

  /** Resolves with the first stderr match of `re` that appears from now on. */
  nextStderrMatch(re: RegExp): Promise<RegExpMatchArray> {
    return new Promise((resolve) => this.waiters.push({ re: new RegExp(re.source, 'g'), from: this.stderr.length, resolve }));
  }

  /** SIGTERM (SIGKILL after 3 s), then removes the temp folder. */
  async stop(): Promise<Exit> {
    if (this.alive) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
      await this.exited;
      clearTimeout(timer);
    }
    fs.rmSync(this.tmpDir, { recursive: true, force: true });
    return this.exitInfo!;
  }

  private checkWaiters(): void {
    for (const w of [...this.waiters]) {
      w.re.lastIndex = w.from;
      const m = w.re.exec(this.stderr);
      if (m) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  }
}

/** Spawns the server and resolves once its socket accepts connections. */
export async function launchServer(opts: LaunchOptions): Promise<ServerProcess> {
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'okta-jwt-ps-'));
  const sockName = 'ps.sock';
  const argv = [...(opts.nodeArgs ?? []), serverBinary(opts.kind), '-p', tmpDir, '--sock-name', sockName, '-d', opts.pluginsDir, ...(opts.args ?? [])];
  const [command, ...wrapped] = [...(opts.wrapper ?? []), process.execPath, ...argv];
  const child = spawn(command!, wrapped, { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = new ServerProcess(opts.kind, child, path.join(tmpDir, sockName), tmpDir);
  try {
    await waitForSocket(proc, opts.wrapper === undefined ? 15_000 : 180_000);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return proc;
}

async function waitForSocket(proc: ServerProcess, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  while (proc.alive) {
    if (await socketAccepts(proc.socketPath)) return;
    if (Date.now() > deadline) throw new Error(`${proc.kind} plugin server: no socket after ${waitMs / 1000} s\n${proc.stdout}${proc.stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${proc.kind} plugin server exited before listening\n${proc.stdout}${proc.stderr}`);
}

