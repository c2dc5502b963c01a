// A worker of the supervisor (supervisor.ts): today's server, started by the supervisor with an IPC
// channel. Kong's connections reach it from the supervisor, one descriptor at a time, unread. It
// also listens on a private socket next to the public path, `<path>.<pid>-<tag>`, where the worker
// that replaced it passes the Steps of this worker's events while it drains, and it passes calls to
// its successor the same way (framed-listener.ts). On drain it gets no more connections, passes every
// call but its own events' Steps to the new worker, hands each of Kong's connections back to the
// supervisor, unread, as soon as it is idle (the supervisor passes it to the new worker: Kong keeps
// it in its pool and never sees a close), and exits once its events are done and its connections
// are gone (or after the drain timeout).
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import type net from 'node:net';
import type { HardenedServer } from './hardened-server';
import { FramedListener, type HandBack } from './framed-listener';
import { firstIdOfThisProcess } from './unique-ids';
import { startMetrics } from './metrics-endpoint';
import type { MetricsAddress } from './metrics-address';
import type Server from 'kong-pdk/server';

/** Set in a worker's environment by the supervisor. */
export const WORKER_ENV = 'OKTA_JWT_PS_WORKER';

/** `connection` comes with the descriptor of a connection Kong opened (to a worker: to serve; from a draining worker: idle, unread, to pass on). */
export type ToWorker = { type: 'take-over'; predecessor?: string } | { type: 'drain'; successor?: string } | { type: 'connection' } | { type: 'ping' };
export type FromWorker = { type: 'ready'; privateSocket: string } | { type: 'drained'; events: number } | { type: 'connection' } | { type: 'pong' };

export function isSupervisedWorker(): boolean {
  return process.env[WORKER_ENV] === '1' && typeof process.send === 'function';
}

export interface WorkerOptions {
  publicPath: string;
  debug: boolean;
  drainTimeoutSeconds: number;
  metrics: MetricsAddress | null;
}

export function serveAsWorker(ps: HardenedServer, opts: WorkerOptions, logger: Server.Logger): void {
  const send = (msg: FromWorker) => process.send?.(msg);
  const handBack: HandBack = (socket, passed) => {
    const message: FromWorker = { type: 'connection' };
    // keepOpen: this copy is closed only once the descriptor is in the channel (see release()).
    process.send!(message, socket, { keepOpen: true }, (err: Error | null) => passed(!err));
  };
  // A worker that loaded no plugin must never replace one that serves (a broken upgrade on disk).
  if (ps.getPlugins().size === 0) {
    logger.error('no plugin loaded; this worker will not serve');
    process.exit(1);
  }
  // Unique even beside another container's workers on a shared socket volume (pids repeat there).
  const privateSocket = `${opts.publicPath}.${process.pid}-${randomBytes(3).toString('hex')}`;
  const forwarded = new FramedListener(ps, opts.debug);
  const fromKong = new FramedListener(ps, opts.debug);
  forwarded
    .serve(privateSocket)
    .on('listening', () => send({ type: 'ready', privateSocket }))
    .on('error', (err) => {
      logger.error(`cannot listen: ${err.message}`);
      process.exit(1);
    });
  let metrics: http.Server | undefined;
  let draining = false;
  /** `successor`: the private socket of the worker that took over (then also wait until Kong lets go of this one's connections). */
  const drain = (successor?: string) => {
    if (draining) return;
    draining = true;
    const forSuccessor = successor !== undefined;
    logger.info(`worker ${process.pid} draining (${ps.eventCount} event(s) open)`);
    metrics?.close();
    fromKong.drain(successor, forSuccessor ? handBack : undefined);
    const deadline = Date.now() + opts.drainTimeoutSeconds * 1000;
    const poll = setInterval(() => {
      fromKong.releaseIdle();
      const busy = ps.eventCount > 0 || (forSuccessor && fromKong.connectionCount > 0);
      if (busy && Date.now() < deadline) return;
      clearInterval(poll);
      if (busy) logger.warn(`drain timeout: ${ps.eventCount} event(s) still open, ${fromKong.connectionCount} connection(s) closed unused`);
      // Node queues a message behind a connection handed back until the supervisor acknowledges that
      // one: this process exits only once the message is written (or the channel is gone).
      const told = new Promise<void>((resolve) => {
        const message: FromWorker = { type: 'drained', events: ps.eventCount };
        if (process.connected) process.send!(message, undefined, {}, () => resolve());
        else resolve();
      });
      ps.close();
      void Promise.all([told, forwarded.close(), fromKong.close()]).then(() => process.exit(0));
    }, 20);
  };
  process.on('message', (msg: ToWorker, handle?: net.Socket) => {
    if (msg.type === 'ping') {
      // The supervisor's heartbeat: answered from this event loop, so a loop that no longer runs goes silent.
      send({ type: 'pong' });
    } else if (msg.type === 'connection') {
      if (handle !== undefined) fromKong.adopt(handle);
    } else if (msg.type === 'take-over') {
      // Ids count from the moment this worker starts serving, above all its predecessor handed out.
      ps.countIdsFrom(firstIdOfThisProcess());
      forwarded.predecessor = fromKong.predecessor = msg.predecessor;
      if (opts.metrics !== null) metrics = startMetrics(opts.metrics, logger, (opts.drainTimeoutSeconds + 5) * 1000);
    } else if (msg.type === 'drain') {
      drain(msg.successor);
    }
  });
  // The supervisor is gone: finish what this worker started; systemd or the container restarts the supervisor.
  process.on('disconnect', () => drain());
  // Reload is the supervisor's signal; a worker that gets one (a signal to the process group) carries on.
  process.on('SIGHUP', () => undefined);
  // Stop: the events in flight are finished (bounded by the drain timeout).
  const stop = (signal: NodeJS.Signals) => {
    logger.info(`${signal} received, finishing open events and stopping`);
    drain();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
