// `okta-jwt-pluginserver --supervise`: a small process that never loads plugin code and keeps two
// workers (worker.ts) of the same command: one active on the socket path Kong connects to, one
// started and loaded in advance. When the active dies, the standby takes the path at once (a rename),
// so a crash costs the calls that were in flight, not a process start. SIGHUP (new code on disk)
// starts a fresh worker from disk; once it is loaded it takes the path, and the old worker finishes
// its events (their Steps reach it through the new worker) and exits. SIGTERM/SIGINT stop everything.
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type Server from 'kong-pdk/server';
import { WORKER_ENV, type FromWorker, type ToWorker } from './worker';

export interface SupervisorOptions {
  /** The bin script and its arguments, without --supervise: what each worker runs, read from disk at each start. */
  script: string;
  args: string[];
  publicPath: string;
}

interface Worker {
  child: ChildProcess;
  startedAt: number;
  privateSocket?: string;
  /** The worker it took over from, told to drain once this one serves the path. */
  replaces?: Worker;
}

/** A worker that dies sooner than this after its start counts as a crash loop (respawns back off). */
const STABLE_AFTER_MS = 10_000;
const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5_000;
/** Workers still finishing their events this long after SIGTERM are killed. */
const STOP_GRACE_MS = 10_000;

export class Supervisor {
  private active?: Worker;
  private standby?: Worker;
  /** A worker started by SIGHUP, taking over from the active one once it is loaded. */
  private candidate?: Worker;
  private readonly workers = new Set<Worker>();
  private stopping = false;
  private quickDeaths = 0;
  private respawnTimer?: NodeJS.Timeout;
  /** The socket file our active worker put at the public path (its inode). */
  private servedInode?: number;

  constructor(private readonly opts: SupervisorOptions, private readonly logger: Server.Logger) {}

  start(): void {
    process.on('SIGHUP', () => this.upgrade());
    process.once('SIGTERM', () => this.stop('SIGTERM'));
    process.once('SIGINT', () => this.stop('SIGINT'));
    this.standby = this.spawn();
  }

  private spawn(): Worker {
    const child = fork(this.opts.script, this.opts.args, {
      env: { ...process.env, [WORKER_ENV]: '1' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const worker: Worker = { child, startedAt: Date.now() };
    this.workers.add(worker);
    child.on('message', (msg: FromWorker) => this.onMessage(worker, msg));
    child.on('exit', (code, signal) => this.onExit(worker, code, signal));
    // An IPC write to a worker that just died: its exit is handled above.
    child.on('error', (err) => this.logger.debug(`worker ${child.pid}: ${err.message}`));
    return worker;
  }

  private onMessage(worker: Worker, msg: FromWorker): void {
    const pid = worker.child.pid;
    if (msg.type === 'ready') {
      worker.privateSocket = msg.privateSocket;
      this.logger.info(`worker ${pid} ready`);
      if (worker === this.candidate) this.takeOver(worker, this.active);
      else if (worker === this.standby && this.active === undefined) this.takeOver(worker);
    } else if (msg.type === 'serving') {
      this.logger.info(`worker ${pid} serving on ${this.opts.publicPath}`);
      this.servedInode = inodeOf(this.opts.publicPath);
      // Only now: until the rename, Kong's new connections still reach the old worker's listener.
      if (worker.replaces !== undefined) this.send(worker.replaces, { type: 'drain', successor: worker.privateSocket });
      worker.replaces = undefined;
    } else if (msg.type === 'drained') {
      this.logger.info(`worker ${pid} drained (${msg.events} event(s) left open)`);
    }
  }

  /** `worker` takes the public path; the previous active worker, if any, drains. */
  private takeOver(worker: Worker, previous?: Worker): void {
    if (worker === this.standby) this.standby = undefined;
    if (worker === this.candidate) this.candidate = undefined;
    this.active = worker;
    worker.replaces = previous;
    this.send(worker, { type: 'take-over', predecessor: previous?.privateSocket });
    // After an upgrade the standby runs the old code: replace it with one started from disk now.
    if (previous !== undefined && this.standby !== undefined) {
      this.standby.child.kill('SIGTERM');
      this.standby = undefined;
    }
    this.ensureStandby();
  }

  private ensureStandby(): void {
    if (this.stopping || this.standby !== undefined || this.respawnTimer !== undefined) return;
    const delay = this.quickDeaths === 0 ? 0 : Math.min(FIRST_BACKOFF_MS * 2 ** (this.quickDeaths - 1), MAX_BACKOFF_MS);
    this.respawnTimer = setTimeout(() => {
      this.respawnTimer = undefined;
      if (!this.stopping && this.standby === undefined) this.standby = this.spawn();
    }, delay);
  }

  private onExit(worker: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    this.workers.delete(worker);
    const pid = worker.child.pid;
    // A killed worker leaves its private sockets behind.
    if (worker.privateSocket !== undefined) for (const file of [worker.privateSocket, `${worker.privateSocket}.next`]) fs.rmSync(file, { force: true });
    const how = signal ? `signal ${signal}` : `exit code ${code}`;
    if (this.stopping) {
      if (this.workers.size === 0) this.exit();
      return;
    }
    if (worker !== this.active && worker !== this.standby && worker !== this.candidate) return; // a drained or replaced worker
    // Died between take-over and serving: the worker it replaced must still go.
    if (worker.replaces !== undefined) this.send(worker.replaces, { type: 'drain', successor: this.standby?.privateSocket });
    this.quickDeaths = Date.now() - worker.startedAt < STABLE_AFTER_MS ? this.quickDeaths + 1 : 0;
    if (worker === this.candidate) {
      this.candidate = undefined;
      this.logger.error(`upgrade failed: the new worker ${pid} ended (${how}) before serving; worker ${this.active?.child.pid} keeps serving`);
      return;
    }
    if (worker === this.standby) {
      this.standby = undefined;
      this.logger.warn(`standby worker ${pid} ended (${how})`);
    } else {
      this.active = undefined;
      const next = this.standby?.privateSocket !== undefined ? this.standby : undefined;
      this.logger.error(`worker ${pid} ended (${how})${next ? `; worker ${next.child.pid} takes over` : '; no standby ready yet'}`);
      if (next !== undefined) return this.takeOver(next);
    }
    this.ensureStandby();
  }

  /** SIGHUP: a worker started from disk now takes over once loaded; the running ones carry on until then. */
  private upgrade(): void {
    if (this.stopping) return;
    this.logger.info('SIGHUP: starting a worker from disk to take over');
    this.candidate?.child.kill('SIGTERM');
    this.candidate = this.spawn();
  }

  private stop(signal: NodeJS.Signals): void {
    this.logger.info(`${signal} received, stopping`);
    this.stopping = true;
    clearTimeout(this.respawnTimer);
    if (this.workers.size === 0) return this.exit();
    for (const w of this.workers) w.child.kill('SIGTERM');
    setTimeout(() => {
      for (const w of this.workers) w.child.kill('SIGKILL');
    }, STOP_GRACE_MS).unref();
  }

  private exit(): void {
    // Leave no stale file behind, but never remove a socket another server (a new container on the
    // same volume) has put at the path since.
    if (this.servedInode !== undefined && inodeOf(this.opts.publicPath) === this.servedInode) fs.rmSync(this.opts.publicPath, { force: true });
    process.exit(0);
  }

  private send(worker: Worker, msg: ToWorker): void {
    if (worker.child.connected) worker.child.send(msg);
  }
}

function inodeOf(file: string): number | undefined {
  try {
    return fs.statSync(file).ino;
  } catch {
    return undefined;
  }
}
