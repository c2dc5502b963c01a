// okta-jwt-pluginserver --supervise beside the Kong double, restarted 100 ms after it exits as systemd
// or compose would: a crash of the active worker is covered by the standby that already holds a
// loaded server, and SIGHUP replaces the code without refusing a valid request. Kong's pool is
// modelled: each RPC of an event may take any pooled connection, so an event's Steps may reach the
// new worker, which passes them to the old one, and a connection Kong keeps in its pool across the
// switch (a raw connection here) moves to the new worker instead of being closed. A worker whose
// event loop stopped (SIGSTOP) is found by the heartbeat. Counts and order are asserted, never durations.
import { expect } from 'chai';
import { startRestartGateway, steadyLoad, type RestartGateway, type SentRequest } from '../../support/plugin-server/restart-gateway';
import { RpcClient } from '../../kong-double/msgpack-rpc-client';
import { RpcRecorder } from '../../kong-double/recorder';
import { send } from '../../support/http-client';
import { askPluginInfo } from '../../../server/health';
import { queryPlugins } from '../../kong-double/plugin-server';
import { serverBinary } from '../../support/plugin-server/launch';
import { repoRoot } from '../../support/repo-paths';
import { RawConnection, request, type Reply } from '../../support/plugin-server/raw-connection';
import type { ServerStats } from '../../../server/hardened-server';
import path from 'node:path';

const CLIENTS = 4;

type EventReply = { EventId: number; Data: 'ret' | { Method: string; Args: unknown[] } };
/** What Kong answers to the PDK calls okta-jwt makes for a request without a token. */
const KONG_ANSWERS: Record<string, unknown> = { 'kong.request.get_path_with_query': '/echo/x', 'kong.request.get_method': 'GET' };

function kongWorker(socketPath: string): RpcClient {
  return new RpcClient({ server: 'okta-jwt', worker: 0, socketPath, recorder: new RpcRecorder(() => 0), readTimeoutMs: 20_000, nextConnId: () => 0 });
}

const CONFIG = JSON.stringify({ issuer: 'https://example.okta.com/oauth2/default', audiences: ['api://x'], __seq__: 1 });

/** Resolves once the process is gone (its parent reaped it). */
async function exited(pid: number): Promise<void> {
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One call on a connection the test keeps, as Kong keeps one in its pool: its reply, or why it failed. */
async function callOn(conn: RawConnection, msgid: number, method: string, param: unknown): Promise<Reply> {
  await conn.write(request(msgid, method, param));
  return conn.reply(msgid, 30_000);
}

/** The pid of the worker that answers a call on `conn` (the connection must still be open). */
async function answeringPid(conn: RawConnection, msgid: number): Promise<number> {
  const stats = await callOn(conn, msgid, 'plugin.GetServerStats', null);
  expect(stats[2], 'the kept connection was closed').to.equal(null);
  return (stats[3] as ServerStats).Pid;
}

/** Kong's first calls of a request on `conn`: an okta-jwt instance, and its access event, open at its first PDK call. */
async function openEvent(conn: RawConnection, firstMsgid: number): Promise<number> {
  const instance = (await callOn(conn, firstMsgid, 'plugin.StartInstance', { Name: 'okta-jwt', Config: CONFIG }))[3] as { Id: number };
  const open = (await callOn(conn, firstMsgid + 1, 'plugin.HandleEvent', { InstanceId: instance.Id, EventName: 'access' }))[3] as EventReply;
  expect(open.Data).to.have.property('Method', 'kong.request.get_headers');
  return open.EventId;
}

/** Runs okta-jwt's access phase for a request without a token to its end on `conn`, from the event's first Step: the status it answers. */
async function finishEvent(conn: RawConnection, eventId: number, firstMsgid: number): Promise<unknown> {
  let msgid = firstMsgid;
  let reply = await callOn(conn, msgid, 'plugin.StepMultiMap', { EventId: eventId, Data: {} });
  for (let calls = 0; calls < 10; calls++) {
    expect(reply[2], 'error reply').to.equal(null);
    const data = (reply[3] as EventReply).Data;
    expect(data).to.not.equal('ret');
    if (data !== 'ret' && data.Method === 'kong.response.exit') return data.Args[0];
    reply = await callOn(conn, ++msgid, 'plugin.Step', { EventId: eventId, Data: KONG_ANSWERS[(data as { Method: string }).Method] });
  }
  throw new Error('the event did not end');
}

function expectNothingUnauthenticatedProxied(gw: RestartGateway, sent: SentRequest[]): void {
  const forged = sent.filter((r) => !r.valid);
  expect(forged.length).to.be.greaterThan(0);
  expect(forged.filter((r) => r.status !== 0 && r.status < 400).map((r) => r.status)).to.deep.equal([]);
  expect(gw.unauthenticatedUpstream()).to.equal(0);
}

describe('plugin server: --supervise keeps a standby for crashes and upgrades', function () {
  this.timeout(120_000);
  let gw: RestartGateway;

  before(async () => {
    // A short drain timeout: a drain that waits for it (a connection or an event left behind) shows in the log as "drain timeout".
    gw = await startRestartGateway({ supervise: true, drainTimeoutSeconds: 5 });
  });
  after(() => gw?.close());

  /** Runs `body` with a connection to the serving worker (`old`) that it keeps, as Kong keeps one in its pool. */
  async function keepingAConnection(body: (kept: RawConnection, old: number) => Promise<void>): Promise<void> {
    const old = await gw.servingPid();
    await gw.waitForStandby(old);
    const kept = await RawConnection.open(gw.socketPath);
    try {
      await body(kept, old);
    } finally {
      kept.close();
    }
  }

  /** Kills the loaded standby, then the active worker, before a new standby has loaded; the output index before the kills. */
  async function killBothWorkers(active: number): Promise<number> {
    const standby = await gw.waitForStandby(active);
    const from = gw.output.length;
    process.kill(standby, 'SIGKILL');
    await gw.waitForLine(new RegExp(`standby worker ${standby} ended`), from);
    process.kill(active, 'SIGKILL');
    await gw.waitForLine(new RegExp(`worker ${active} ended \\(signal SIGKILL\\); no standby ready yet`), from);
    return from;
  }

  /** SIGHUP: resolves with the new worker's pid once it serves and `old` is draining. */
  async function upgradeFrom(old: number): Promise<number> {
    const from = gw.output.length;
    process.kill(gw.processPid(), 'SIGHUP');
    const successor = Number((await gw.waitForLine(/worker (\d+) serving on/, from)).match[1]);
    await gw.waitForLine(new RegExp(`worker ${old} draining`), from);
    return successor;
  }
  afterEach(function () {
    // The supervisor's and workers' log is the story of a failed switch.
    if (this.currentTest?.state === 'failed') process.stderr.write(`plugin-server output:\n${gw.output.slice(-60).join('\n')}\n`);
  });

  it('a killed worker is replaced by the standby already loaded: requests sent after the switch all succeed', async () => {
    const victim = await gw.servingPid();
    await gw.waitForStandby(victim);
    expect((await send('GET', `${gw.proxyUrl}/echo/warm`, [['Authorization', `Bearer ${gw.valid}`]])).status).to.equal(200);
    const load = steadyLoad(gw, CLIENTS);
    await new Promise((r) => setTimeout(r, 300));
    const from = gw.output.length;
    process.kill(victim, 'SIGKILL');
    const death = await gw.waitForLine(new RegExp(`worker ${victim} ended \\(signal SIGKILL\\)`), from);
    // The standby held a loaded server when the active one died: no process start in between.
    expect(death.line).to.match(/; worker \d+ takes over$/);
    const successor = Number(death.line.match(/worker (\d+) takes over/)![1]);
    await gw.waitForLine(new RegExp(`worker ${successor} serving on`), death.index);
    const switched = performance.now();
    // The first request after the switch: "no plugin instance" → StartInstance on the new worker, then 200.
    const first = await send('GET', `${gw.proxyUrl}/echo/after`, [['Authorization', `Bearer ${gw.valid}`]]);
    expect(first.status, first.text).to.equal(200);
    await new Promise((r) => setTimeout(r, 300));
    const sent = await load.stop();
    expect(await gw.servingPid()).to.equal(successor);
    expect(await askPluginInfo({ socketPath: gw.socketPath, plugin: 'okta-jwt', timeoutMs: 10_000 })).to.equal('okta-jwt'); // --health
    expectNothingUnauthenticatedProxied(gw, sent);
    const validAfter = sent.filter((r) => r.valid && r.sentAt > switched);
    expect(validAfter.length).to.be.greaterThan(0);
    expect(validAfter.filter((r) => r.status !== 200).map((r) => r.status)).to.deep.equal([]);
    // Only requests in flight at the death or sent before the switch could be refused.
    expect(sent.filter((r) => r.valid && r.status !== 200 && r.doneAt > switched && r.sentAt > switched)).to.deep.equal([]);
  });

  it('with no worker loaded (the standby was lost too), Kong\'s requests wait for the next worker instead of being refused', async () => {
    const from = await killBothWorkers(await gw.servingPid());
    // Sent while no process runs plugin code: the socket still accepts, and the next worker answers.
    const waited = send('GET', `${gw.proxyUrl}/echo/waiting`, [['Authorization', `Bearer ${gw.valid}`]]);
    const serving = await gw.waitForLine(/worker (\d+) serving on/, from);
    expect((await waited).status).to.equal(200);
    expect(await gw.servingPid()).to.equal(Number(serving.match[1]));
  });

  it('answers the query command (--dump-all-plugins) and exits, never starting a supervisor', async () => {
    const plugins = await queryPlugins([serverBinary('hardened'), '--supervise', '-d', path.join(repoRoot(), 'dist', 'plugins'), '--dump-all-plugins'], '3.9.3');
    expect(plugins.map((p) => p.Name)).to.deep.equal(['okta-jwt']);
  });

  it('SIGHUP: a worker started from disk takes over, the old one finishes its events and exits; no valid request is refused', async () => {
    const old = await gw.servingPid();
    await gw.waitForStandby(old);
    expect((await send('GET', `${gw.proxyUrl}/echo/warm`, [['Authorization', `Bearer ${gw.valid}`]])).status).to.equal(200);

    // An event open on the old worker across the switch, as Kong leaves it between two PDK calls.
    const before = kongWorker(gw.socketPath);
    const instance = (await before.call('plugin.StartInstance', { Name: 'okta-jwt', Config: JSON.stringify({ issuer: 'https://example.okta.com/oauth2/default', audiences: ['api://x'], __seq__: 1 }) })) as { Id: number };
    const open = (await before.call('plugin.HandleEvent', { InstanceId: instance.Id, EventName: 'access' })) as { EventId: number; Data: { Method: string } };
    expect(open.Data.Method).to.equal('kong.request.get_headers');

    const load = steadyLoad(gw, CLIENTS);
    await new Promise((r) => setTimeout(r, 300));
    const from = gw.output.length;
    process.kill(gw.processPid(), 'SIGHUP');
    const serving = await gw.waitForLine(/worker (\d+) serving on/, from);
    const switched = performance.now();
    const successor = Number(serving.match[1]);
    expect(successor).to.not.equal(old);
    // New connections reach the new worker; the open event's next Step on one of them is passed to the old worker.
    expect(await gw.servingPid()).to.equal(successor);
    const after = kongWorker(gw.socketPath);
    let reply = (await after.call('plugin.StepMultiMap', { EventId: open.EventId, Data: {} })) as EventReply;
    for (let calls = 0; reply.Data !== 'ret' && reply.Data.Method !== 'kong.response.exit' && calls < 10; calls++) {
      reply = (await after.call('plugin.Step', { EventId: open.EventId, Data: KONG_ANSWERS[reply.Data.Method] })) as EventReply;
    }
    // The old worker's okta-jwt finishing the request it started ("no token": 401), not a refusal (500).
    expect(reply.Data).to.have.property('Method', 'kong.response.exit');
    expect((reply.Data as { Args: unknown[] }).Args[0]).to.equal(401);
    const drained = await gw.waitForLine(new RegExp(`worker ${old} drained`), from);
    expect(drained.line).to.include('(0 event(s) left open)');
    await new Promise((r) => setTimeout(r, 300));
    const sent = await load.stop();
    before.closeAll();
    after.closeAll();

    expectNothingUnauthenticatedProxied(gw, sent);
    const valid = sent.filter((r) => r.valid);
    expect(valid.filter((r) => r.sentAt > switched).length).to.be.greaterThan(0);
    expect(valid.filter((r) => r.status !== 200).map((r) => r.status)).to.deep.equal([]);
    await exited(old);
  });
  it('two SIGHUPs in a row: a Step reaching the older worker on a connection Kong kept is passed to the newest, where its event lives', async () => {
    const first = await gw.servingPid();
    await gw.waitForStandby(first);
    let from = gw.output.length;
    process.kill(gw.processPid(), 'SIGHUP');
    const middle = Number((await gw.waitForLine(/worker (\d+) serving on/, from)).match[1]);
    // The middle worker took over from one that is gone now: its predecessor's socket no longer exists.
    await gw.waitForLine(new RegExp(`worker ${first} drained`), from);
    const kept = kongWorker(gw.socketPath);
    expect(((await kept.call('plugin.GetServerStats', null)) as { Pid: number }).Pid).to.equal(middle);

    from = gw.output.length;
    process.kill(gw.processPid(), 'SIGHUP');
    const newest = Number((await gw.waitForLine(/worker (\d+) serving on/, from)).match[1]);
    expect(newest).to.not.equal(middle);
    // A request that starts on the newest worker (Kong's new connection) ...
    const fresh = kongWorker(gw.socketPath);
    const instance = (await fresh.call('plugin.StartInstance', { Name: 'okta-jwt', Config: JSON.stringify({ issuer: 'https://example.okta.com/oauth2/default', audiences: ['api://x'], __seq__: 1 }) })) as { Id: number };
    const open = (await fresh.call('plugin.HandleEvent', { InstanceId: instance.Id, EventName: 'access' })) as EventReply;
    expect(open.Data).to.have.property('Method', 'kong.request.get_headers');
    // ... and whose next Step takes the pooled connection to the draining middle worker.
    let reply = (await kept.call('plugin.StepMultiMap', { EventId: open.EventId, Data: {} })) as EventReply;
    for (let calls = 0; reply.Data !== 'ret' && reply.Data.Method !== 'kong.response.exit' && calls < 10; calls++) {
      reply = (await fresh.call('plugin.Step', { EventId: open.EventId, Data: KONG_ANSWERS[reply.Data.Method] })) as EventReply;
    }
    kept.closeAll();
    fresh.closeAll();
    // okta-jwt finishing the request ("no token": 401), not a refusal for an unknown event (500).
    expect(reply.Data).to.have.property('Method', 'kong.response.exit');
    expect((reply.Data as { Args: unknown[] }).Args[0]).to.equal(401);
  });

  it('SIGHUP: a connection Kong keeps idle in its pool moves to the new worker instead of being closed, and the old worker exits without waiting for it', async () => {
    await keepingAConnection(async (kept, old) => {
      expect(await answeringPid(kept, 1)).to.equal(old);
      const from = gw.output.length;
      const successor = await upgradeFrom(old);
      const drained = await gw.waitForLine(new RegExp(`worker ${old} drained`), from);
      await exited(old);
      // The old worker is gone; the connection Kong kept serves a whole request in the new one.
      expect(await answeringPid(kept, 2)).to.equal(successor);
      // Nothing held the old worker until the drain timeout: Kong's idle connections left it at once.
      expect(gw.output.slice(from, drained.index).filter((l) => l.includes('drain timeout'))).to.deep.equal([]);
      expect(await finishEvent(kept, await openEvent(kept, 3), 5)).to.equal(401);
      expect(kept.closed).to.equal(false);
    });
  });

  it('SIGHUP: a connection carrying an event of the old worker finishes that event there, then serves the new worker', async () => {
    await keepingAConnection(async (kept, old) => {
      const eventId = await openEvent(kept, 1);
      const from = gw.output.length;
      const successor = await upgradeFrom(old);
      // The event's Steps on the same connection: the old worker finishes its request ("no token": 401).
      expect(await finishEvent(kept, eventId, 3)).to.equal(401);
      // Kong pools the connection with the last reply and takes it for its next call, which the new worker answers.
      expect([await answeringPid(kept, 20), await answeringPid(kept, 21)]).to.deep.equal([successor, successor]);
      expect((await gw.waitForLine(new RegExp(`worker ${old} drained`), from)).line).to.include('(0 event(s) left open)');
      await exited(old);
      expect(kept.closed).to.equal(false);
    });
  });

  it('SIGHUP: a call Kong had only partly written when the switch came is answered whole, then its connection moves on', async () => {
    await keepingAConnection(async (kept, old) => {
      expect(await answeringPid(kept, 1)).to.equal(old);
      // Read by the old worker (it loads nothing meanwhile) long before the new worker has loaded.
      const frame = request(2, 'plugin.GetServerStats', null);
      await kept.write(frame.subarray(0, 5));
      const from = gw.output.length;
      const successor = await upgradeFrom(old);
      await kept.write(frame.subarray(5));
      const stats = await kept.reply(2, 30_000);
      expect(stats[2], 'the kept connection was closed').to.equal(null);
      // Passed on by the old worker: the new one serves every call but the old worker's events.
      expect((stats[3] as ServerStats).Pid).to.equal(successor);
      await gw.waitForLine(new RegExp(`worker ${old} drained`), from);
      await exited(old);
      expect(await answeringPid(kept, 3)).to.equal(successor);
    });
  });

  it('SIGHUP, then the new worker and its standby die: a connection the old worker hands back waits for the next worker, and is served there', async () => {
    await keepingAConnection(async (kept, old) => {
      const eventId = await openEvent(kept, 1);
      const from = await killBothWorkers(await upgradeFrom(old));
      // No worker serves; the old one finishes its event and hands the connection back.
      expect(await finishEvent(kept, eventId, 3)).to.equal(401);
      const pid = await answeringPid(kept, 20);
      expect(pid).to.equal(Number((await gw.waitForLine(/worker (\d+) serving on/, from)).match[1]));
    });
  });

  it('a stalled active worker (stopped with SIGSTOP) is found by the heartbeat and killed; the standby serves new connections and nothing unauthenticated is proxied', async () => {
    const stalled = await gw.servingPid();
    const standby = await gw.waitForStandby(stalled);
    expect((await send('GET', `${gw.proxyUrl}/echo/warm`, [['Authorization', `Bearer ${gw.valid}`]])).status).to.equal(200);
    const from = gw.output.length;
    process.kill(stalled, 'SIGSTOP');
    try {
      // Sent while the worker is stopped: Kong's calls on its connections wait in it.
      const load = steadyLoad(gw, 2);
      const warning = await gw.waitForLine(new RegExp(`worker ${stalled} has not answered`), from);
      expect(warning.line).to.include(`active worker ${stalled}`).and.include(`worker ${standby} takes over`);
      // A new connection is served by the standby (even before the stalled worker is gone).
      expect(await gw.servingPid()).to.equal(standby);
      await exited(stalled);
      // Kong's pooled connections to the killed worker fail the calls sent on them until Kong sees them closed.
      for (;;) {
        const after = await send('GET', `${gw.proxyUrl}/echo/after-stall`, [['Authorization', `Bearer ${gw.valid}`]]);
        if (after.status === 200) break;
        expect(after.status, after.text).to.be.oneOf([500, 503]);
      }
      const sent = await load.stop();
      expectNothingUnauthenticatedProxied(gw, sent);
      // The calls that waited in the stalled worker were answered (refused) when it was killed, not left to Kong's timeout.
      expect(sent.filter((r) => r.status === 0)).to.deep.equal([]);
      expect(gw.output.slice(from).filter((l) => l.includes('has not answered'))).to.have.length(1);
    } finally {
      try {
        process.kill(stalled, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
});
