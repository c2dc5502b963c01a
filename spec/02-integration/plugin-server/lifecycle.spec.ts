// The launcher as a process Kong manages: same command line and query output as kong-js-pluginserver,
// idle instances expire (Kong restarts them), SIGTERM stops it cleanly.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { InstanceRegistry, type InstanceConfig } from '../../kong-double/instances';
import { queryPlugins } from '../../kong-double/plugin-server';
import { RpcErrorReply } from '../../kong-double/msgpack-rpc-client';
import { REPO_ROOT, WALL_CLOCK_BACK_PRELOAD, fixtureDir, launchServer, serverBinary } from '../../support/plugin-server/launch';
import { kongWorker, rejectedRequest, startProbeInstance } from '../../support/plugin-server/kong-load';
import { RawConnection, request } from '../../support/plugin-server/raw-connection';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('plugin server: okta-jwt-pluginserver as Kong runs it', function () {
  this.timeout(30_000);

  describe('query command', () => {
    const dump = (kind: 'hardened' | 'stock', ...args: string[]) =>
      run(process.execPath, [serverBinary(kind), ...args], { cwd: REPO_ROOT, encoding: 'buffer' });

    it('prints byte for byte what kong-js-pluginserver prints for --dump-all-plugins and --dump-plugin-info', async () => {
      for (const args of [['--dump-all-plugins'], ['--dump-plugin-info', 'ps-probe']]) {
        const ours = await dump('hardened', '-d', fixtureDir('probe'), ...args);
        const theirs = await dump('stock', '-d', fixtureDir('probe'), ...args);
        expect(ours.stdout.equals(theirs.stdout), args[0]).to.equal(true);
      }
      const [plugin] = await queryPlugins([serverBinary('hardened'), '-d', fixtureDir('probe'), '--dump-all-plugins'], '3.9.3');
      expect(plugin).to.include({ Name: 'ps-probe', Version: '0.1.0', Priority: 1000 });
    });

    it('keeps stdout pure JSON when a plugin prints and fails while loading (the stock output is not JSON)', async () => {
      const argv = (kind: 'hardened' | 'stock') => [serverBinary(kind), '-d', fixtureDir('with-broken'), '--dump-all-plugins'];
      const plugins = await queryPlugins(argv('hardened'), '3.4.2');
      expect(plugins.map((p) => p.Name)).to.deep.equal(['ps-probe']);
      const { stderr } = await dump('hardened', '-d', fixtureDir('with-broken'), '--dump-all-plugins');
      expect(stderr.toString()).to.include('broken plugin prints while loading').and.match(/\[warn\] error loading plugin "broken"/);
      let stockError: Error | undefined;
      await queryPlugins(argv('stock'), '3.4.2').catch((e: Error) => (stockError = e));
      expect(stockError?.message).to.match(/^failed decoding plugin info/);
    });

    it('accepts a plugins directory relative to its working directory', async () => {
      const relative = path.relative(REPO_ROOT, fixtureDir('probe'));
      const { stdout } = await dump('hardened', '--plugins-directory', relative, '--dump-all-plugins');
      expect(JSON.parse(stdout.toString())[0].Name).to.equal('ps-probe');
    });
  });

  it('logs each RPC with -v, as kong-js-pluginserver does, but never its arguments (they carry tokens)', async () => {
    const token = `Bearer secret-${randomUUID()}`;
    for (const [args, expected] of [[['-v'], true], [[], false]] as const) {
      const proc = await launchServer({ kind: 'hardened', pluginsDir: fixtureDir('probe'), args: [...args] });
      const rpc = kongWorker(proc.socketPath);
      const iid = await startProbeInstance(rpc, 'reject');
      const ev = (await rpc.call('plugin.HandleEvent', { InstanceId: iid, EventName: 'access' })) as { EventId: number };
      await rpc.call('plugin.Step', { EventId: ev.EventId, Data: token });
      rpc.closeAll();
      await proc.stop();
      expect(/\[debug\] rpc: #3 method: plugin\.Step args: <\d+ bytes hidden>/.test(proc.stderr), args.join(' ')).to.equal(expected);
      expect(proc.stderr).to.not.include(token);
      expect(proc.stdout).to.equal('');
    }
  });

  it('expires an instance unused for OKTA_JWT_PS_INSTANCE_TTL; Kong gets "no plugin instance" and starts a new one', async () => {
    const proc = await launchServer({ kind: 'hardened', pluginsDir: fixtureDir('probe'), env: { OKTA_JWT_PS_INSTANCE_TTL: '1' } });
    try {
      const registry = new InstanceRegistry();
      const pluginId = randomUUID();
      const inst: InstanceConfig = { pluginId, pluginName: 'ps-probe', seq: 1, config: { mode: 'reject', __plugin_id: pluginId, __seq__: 1 } };
      const rpc = kongWorker(proc.socketPath);
      const busy = kongWorker(proc.socketPath, 1);
      const busyId = await registry.get(1, busy, inst);
      const first = await registry.get(0, rpc, inst);
      await rejectedRequest(rpc, first);
      for (let i = 0; i < 8; i++) {
        await sleep(250);
        await rejectedRequest(busy, busyId); // used every 250 ms: never idle for 1 s
      }
      let error: unknown;
      await rejectedRequest(rpc, first).catch((e: unknown) => (error = e));
      expect(error).to.be.instanceOf(RpcErrorReply);
      expect((error as Error).message).to.equal(`no plugin instance #${first}`);
      // What Kong does next: forget the cached ids of the plugin, start again, run the phase.
      registry.reset('ps-probe');
      const second = await registry.get(0, rpc, inst);
      expect(second).to.not.equal(first);
      await rejectedRequest(rpc, second);
      await rejectedRequest(busy, busyId);
      expect(proc.stderr).to.include(`instance #${first} of ps-probe expired after 1 s unused`);
      rpc.closeAll();
      busy.closeAll();
    } finally {
      await proc.stop();
    }
  });

  it('hands out ids above every id of the server that ran before it on the socket, even when the wall clock was stepped back in between', async () => {
    // Kong keeps instance ids across a restart of the server (until "no plugin instance"): a repeated
    // id would run another configuration's instance, a repeated event id another request's event.
    const idsOf = async (nodeArgs: string[]) => {
      const proc = await launchServer({ kind: 'hardened', pluginsDir: fixtureDir('probe'), nodeArgs });
      try {
        const rpc = kongWorker(proc.socketPath);
        const instanceId = await startProbeInstance(rpc, 'reject');
        const { EventId } = (await rpc.call('plugin.HandleEvent', { InstanceId: instanceId, EventName: 'access' })) as { EventId: number };
        rpc.closeAll();
        return [instanceId, EventId];
      } finally {
        await proc.stop();
      }
    };
    const before = await idsOf([]);
    const after = await idsOf(['-r', WALL_CLOCK_BACK_PRELOAD]);
    expect(Math.min(...after)).to.be.greaterThan(Math.max(...before));
    expect(Math.max(...after)).to.be.below(Number.MAX_SAFE_INTEGER);
  });

  // A stop that waited for Kong's pooled connections to close would never come: the test times out.
  it('stops on SIGTERM with open connections: exit code 0 without waiting for them, socket file removed', async () => {
    const proc = await launchServer({ kind: 'hardened', pluginsDir: fixtureDir('probe') });
    const idle = await RawConnection.open(proc.socketPath); // a pooled keep-alive connection of Kong
    await idle.write(request(1, 'plugin.GetServerStats', null));
    await idle.reply(1);
    proc.child.kill('SIGTERM');
    const exit = await proc.exited;
    expect(exit).to.deep.equal({ code: 0, signal: null });
    expect(fs.existsSync(proc.socketPath)).to.equal(false);
    expect(proc.stderr).to.include('SIGTERM received, stopping');
    await proc.stop();
  });

  it('(stock kong-js-pluginserver, documented) dies of SIGTERM and leaves its socket file behind', async () => {
    const proc = await launchServer({ kind: 'stock', pluginsDir: fixtureDir('probe') });
    proc.child.kill('SIGTERM');
    expect(await proc.exited).to.deep.equal({ code: null, signal: 'SIGTERM' });
    expect(fs.existsSync(proc.socketPath)).to.equal(true);
    await proc.stop();
  });
});
