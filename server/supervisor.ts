// `okta-jwt-pluginserver --supervise`: a small process that never loads plugin code. It owns the
// listening socket Kong connects to and keeps two workers (worker.ts) of the same command: the
// active one, which gets every connection the supervisor accepts, and a standby, started and loaded
// in advance. The supervisor never reads from a connection: it passes each one, unread, to the
// active worker (a file descriptor sent over the IPC channel), so an event lives in one process.
// The socket never closes while the supervisor runs: when the active worker dies, Kong's new
// connections wait in the supervisor (or the kernel's backlog) until the standby takes them a few
// milliseconds later, instead of being refused. SIGHUP (new code on disk) starts a fresh worker from
// disk; once it is loaded, new connections go to it and the old worker finishes its events (their
// Steps reach it through the new worker) and exits. The old worker never closes a connection Kong
// keeps in its pool: it hands each back here, unread, once idle, and it goes to the active worker
// like a new one. A heartbeat over the IPC channel finds a worker whose event loop no longer runs
// (stuck in a loop, stopped): it is killed, and the standby takes over. SIGTERM/SIGINT stop everything.
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import type Server from 'kong-pdk/server';
import { listenOwnerAndGroupOnly } from './private-socket';
import { stopReading } from './stop-reading';
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
  /** Connections handed to this worker whose descriptor is not yet written to its channel. */
  readonly unsent: Set<net.Socket>;
  /** Its channel failed or it stalled: it gets no more connections (its 'exit' follows). */
  unreachable: boolean;
  /** Heartbeat pings sent since its last answer, and when that answer came (or it became ready). */
  unanswered: number;
  answeredAt: number;
}

/** A worker that dies sooner than this after its start counts as a crash loop (respawns back off). */
const STABLE_AFTER_MS = 10_000;
const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5_000;
/** Workers still finishing their events this long after SIGTERM are killed. */
const STOP_GRACE_MS = 10_000;
/**
 * Connections accepted while no worker can take them (the active died before a standby was loaded)
 * are held at most this long and this many: Kong waits for an answer up to its socket timeout (60 s),
 * and a closed connection is a refused request (with the guard), not a hung one.
 */
const HOLD_MS = 10_000;
const MAX_HELD = 1_000;
/**
 * Heartbeat: each loaded worker is pinged this often and answers from its event loop. A healthy
 * worker's loop is held up for milliseconds per request, a few hundred at worst (GC, a burst on a
 * CPU-starved machine: up to 220 ms measured at load average 7–10 on 2 cores), so a worker silent for
 * STALLED_AFTER_MS is not busy, it is stuck: over forty times the worst lag seen, and well inside
 * Kong's 60 s socket timeout, so its successor serves before Kong gives up. It must also have
 * missed every one of that many pings: a supervisor that was itself held up (a paused container,
 * a starved machine) sent fewer and does not blame its workers for its own absence.
 */
const PING_EVERY_MS = 1_000;
const STALLED_AFTER_MS = 10_000;

export class Supervisor {
  private active?: Worker;
  private standby?: Worker;
  /** A worker started by SIGHUP, taking over from the active one once it is loaded. */
  private candidate?: Worker;
  private readonly workers = new Set<Worker>();
  private stopping = false;
  private exitCode = 0;
  private quickDeaths = 0;
  private respawnTimer?: NodeJS.Timeout;
  private listener?: net.Server;
  /** Where the listener was bound; renamed over the public path once the first worker is loaded. */
  private readonly bindPath: string;
  /** The socket file at the public path, once it is ours (its inode). */
  private servedInode?: number;
  private readonly held = new Map<net.Socket, NodeJS.Timeout>();

  constructor(private readonly opts: SupervisorOptions, private readonly logger: Server.Logger) {
    // Unique even beside another container's supervisor on a shared socket volume (pids repeat there).
    this.bindPath = `${opts.publicPath}.${process.pid}-${randomBytes(3).toString('hex')}.supervisor`;
  }

  start(): void {
    process.on('SIGHUP', () => this.upgrade());
    process.once('SIGTERM', () => this.stop('SIGTERM received'));
    process.once('SIGINT', () => this.stop('SIGINT received'));
    // pauseOnConnect: the supervisor never reads a byte; the worker reads the connection from its start.
    this.listener = net.createServer({ pauseOnConnect: true }, (socket) => {
      socket.on('error', () => undefined);
      this.dispatch(socket);
    });
    listenOwnerAndGroupOnly(this.listener, this.bindPath).on('error', (err) => {
      this.logger.error(`cannot listen: ${err.message}`);
      process.exit(1);
    });
    this.standby = this.spawn();
    setInterval(() => this.heartbeat(), PING_EVERY_MS).unref();
  }

  private spawn(): Worker {
    const child = fork(this.opts.script, this.opts.args, {
      env: { ...process.env, [WORKER_ENV]: '1' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const worker: Worker = { child, startedAt: Date.now(), unsent: new Set(), unreachable: false, unanswered: 0, answeredAt: 0 };
    this.workers.add(worker);
    child.on('message', (msg: FromWorker, handle?: net.Socket) => this.onMessage(worker, msg, handle));
    child.on('exit', (code, signal) => this.onExit(worker, code, signal));
    // An IPC write to a worker that just died: its exit is handled above.
    child.on('error', (err) => this.logger.debug(`worker ${child.pid}: ${err.message}`));
    return worker;
  }

  /**
   * Hands a connection Kong opened to the active worker. Our copy of the descriptor is closed as soon
   * as it is written to the worker's channel: a connection never outlives the worker that got it (Kong
   * sees it close and refuses that request, rather than waiting on it). One not yet written when the
   * worker's channel fails was never read by anyone and goes to the next worker.
   */
  private dispatch(socket: net.Socket): void {
    const worker = this.active;
    if (worker === undefined || worker.unreachable || !worker.child.connected) return this.hold(socket);
    worker.unsent.add(socket);
    const message: ToWorker = { type: 'connection' };
    worker.child.send(message, socket, { keepOpen: true }, (err) => {
      if (!worker.unsent.delete(socket)) return; // already passed on when the worker died
      if (!err) return void socket.destroy();
      worker.unreachable = true;
      this.dispatch(socket);
    });
  }

  private hold(socket: net.Socket): void {
    if (this.stopping || this.held.size >= MAX_HELD) return void socket.destroy();
    this.held.set(socket, setTimeout(() => {
      this.held.delete(socket);
      socket.destroy();
    }, HOLD_MS));
  }

  private releaseHeld(): void {
    const sockets = [...this.held];
    this.held.clear();
    for (const [socket, timer] of sockets) {
      clearTimeout(timer);
      this.dispatch(socket);
    }
  }

  private onMessage(worker: Worker, msg: FromWorker, handle?: net.Socket): void {
    const pid = worker.child.pid;
    if (msg.type === 'connection') {
      if (handle === undefined) return;
      // Node starts reading a received socket: stopped in the same turn, before any read, so what Kong
      // writes on it stays in the kernel for the worker it goes to.
      handle.on('error', () => undefined);
      if (!stopReading(handle)) return void handle.destroy();
      return this.dispatch(handle);
    }
    if (msg.type === 'pong') {
      worker.unanswered = 0;
      worker.answeredAt = Date.now();
    } else if (msg.type === 'ready') {
      worker.privateSocket = msg.privateSocket;
      worker.answeredAt = Date.now();
      this.logger.info(`worker ${pid} ready`);
      if (worker === this.candidate) this.takeOver(worker, this.active);
      else if (worker === this.standby && this.active === undefined) this.takeOver(worker);
    } else if (msg.type === 'drained') {
      this.logger.info(`worker ${pid} drained (${msg.events} event(s) left open)`);
    }
  }

  /** From now on `worker` gets Kong's connections; the previous active worker, if any, drains. */
  private takeOver(worker: Worker, previous?: Worker): void {
    if (worker === this.standby) this.standby = undefined;
    if (worker === this.candidate) this.candidate = undefined;
    this.active = worker;
    // First, so that every connection it is handed and every call passed to it finds it serving.
    this.send(worker, { type: 'take-over', predecessor: previous?.privateSocket });
    if (this.servedInode === undefined) {
      // The first worker is loaded: the socket appears at the path Kong connects to (rename is atomic).
      try {
        fs.renameSync(this.bindPath, this.opts.publicPath);
      } catch (err) {
        return this.stop(`cannot serve on ${this.opts.publicPath}: ${(err as Error).message}`, 1);
      }
      this.servedInode = inodeOf(this.opts.publicPath);
    }
    this.logger.info(`worker ${worker.child.pid} serving on ${this.opts.publicPath}`);
    if (previous !== undefined) this.send(previous, { type: 'drain', successor: worker.privateSocket });
    this.releaseHeld();
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
    worker.unreachable = true;
    const pid = worker.child.pid;
    // A killed worker leaves its private socket behind.
    if (worker.privateSocket !== undefined) fs.rmSync(worker.privateSocket, { force: true });
    // Connections the dead worker never got: to whichever worker serves next.
    const unsent = [...worker.unsent];
    worker.unsent.clear();
    for (const socket of unsent) this.dispatch(socket);
    const how = signal ? `signal ${signal}` : `exit code ${code}`;
    if (this.stopping) {
      if (this.workers.size === 0) this.exit();
      return;
    }
    if (worker !== this.active && worker !== this.standby && worker !== this.candidate) return; // a drained or replaced worker
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

  /** Pings every loaded worker (one still loading is busy by design); a stalled one is replaced. */
  private heartbeat(): void {
    if (this.stopping) return;
    for (const worker of this.workers) {
      if (worker.privateSocket === undefined || worker.unreachable) continue;
      if (worker.unanswered * PING_EVERY_MS >= STALLED_AFTER_MS && Date.now() - worker.answeredAt >= STALLED_AFTER_MS) this.stalled(worker);
      else {
        worker.unanswered++;
        this.send(worker, { type: 'ping' });
      }
    }
  }

  /**
   * A worker whose event loop has not run for STALLED_AFTER_MS never answers Kong either: the standby
   * takes new connections at once, and the stalled worker is killed (the calls waiting in it fail,
   * which the fail-closed guard turns into refusals). No successor asks it about its events.
   */
  private stalled(worker: Worker): void {
    worker.unreachable = true;
    const wasActive = worker === this.active;
    const next = wasActive && this.standby?.privateSocket !== undefined ? this.standby : undefined;
    const role = wasActive ? 'active' : worker === this.standby ? 'standby' : 'old';
    if (wasActive) this.active = undefined;
    if (worker === this.standby) this.standby = undefined;
    const then = !wasActive ? '' : next !== undefined ? `; worker ${next.child.pid} takes over` : '; no standby ready yet';
    this.logger.warn(`${role} worker ${worker.child.pid} has not answered for ${STALLED_AFTER_MS / 1000} s (its event loop is blocked or the process is stopped): killing it (SIGKILL)${then}`);
    worker.child.kill('SIGKILL');
    if (next !== undefined) this.takeOver(next);
    else this.ensureStandby();
  }

  /** SIGHUP: a worker started from disk now takes over once loaded; the running ones carry on until then. */
  private upgrade(): void {
    if (this.stopping) return;
    this.logger.info('SIGHUP: starting a worker from disk to take over');
    this.candidate?.child.kill('SIGTERM');
    this.candidate = this.spawn();
  }

  private stop(why: string, exitCode = 0): void {
    if (exitCode === 0) this.logger.info(`${why}, stopping`);
    else this.logger.error(`${why}, stopping`);
    this.stopping = true;
    this.exitCode = exitCode;
    clearTimeout(this.respawnTimer);
    // No new connection: Kong's next connect is refused at once (its pooled ones finish their events).
    this.listener?.close();
    for (const [socket, timer] of this.held) {
      clearTimeout(timer);
      socket.destroy();
    }
    this.held.clear();
    if (this.workers.size === 0) return this.exit();
    for (const w of this.workers) w.child.kill('SIGTERM');
    setTimeout(() => {
      for (const w of this.workers) w.child.kill('SIGKILL');
    }, STOP_GRACE_MS).unref();
  }

  private exit(): void {
    fs.rmSync(this.bindPath, { force: true });
    // Leave no stale file behind, but never remove a socket another server (a new container on the
    // same volume) has put at the path since.
    if (this.servedInode !== undefined && inodeOf(this.opts.publicPath) === this.servedInode) fs.rmSync(this.opts.publicPath, { force: true });
    process.exit(this.exitCode);
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
