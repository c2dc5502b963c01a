// Requests that end in kong.response.exit, driven as Kong drives them, against the real processes:
// the launcher keeps no state for them; kong-pdk's stock server keeps every one.
import { expect } from 'chai';
import { fixtureDir, launchServer, type ServerKind, type ServerProcess } from '../../support/plugin-server/launch';
import { kongWorker, rejectedRequest, runRejectedLoad, serverStats, startProbeInstance } from '../../support/plugin-server/kong-load';
import { GC_NODE_ARGS, memoryAfterGc, type MemorySample } from '../../support/plugin-server/memory';

const MB = 1024 * 1024;
const WORKERS = 4;

async function kongWorkers(proc: ServerProcess, mode: string) {
  const workers = [];
  for (let w = 0; w < WORKERS; w++) {
    const rpc = kongWorker(proc.socketPath, w);
    workers.push({ rpc, instanceId: await startProbeInstance(rpc, mode) });
  }
  return workers;
}

describe('plugin server: no state kept for rejected requests (okta-jwt-pluginserver process)', function () {
  this.timeout(30_000);

  it('holds no event after 2,000 rejected requests and requests ending in error, "ret" or a call after exit', async () => {
    const proc = await launchServer({ kind: 'hardened', pluginsDir: fixtureDir('probe') });
    try {
      const workers = await kongWorkers(proc, 'reject');
      await runRejectedLoad(workers, 2000);
      const rpc = workers[0]!.rpc;
      for (const mode of ['error', 'exit-then-call', 'noop', 'throw']) {
        const iid = await startProbeInstance(rpc, mode);
        for (let i = 0; i < 50; i++) await rpc.call('plugin.HandleEvent', { InstanceId: iid, EventName: 'access' });
      }
      await new Promise((r) => setTimeout(r, 20));
      expect(await serverStats(rpc)).to.include({ Events: 0, Instances: WORKERS + 4 });
      // An accepted request still runs to "ret" and leaves nothing either.
      const allowed = await rpc.call('plugin.HandleEvent', { InstanceId: workers[0]!.instanceId, EventName: 'access' });
      expect(allowed).to.have.nested.property('Data.Method', 'kong.request.get_header');
      expect(await serverStats(rpc)).to.include({ Events: 1 });
      workers.forEach((w) => w.rpc.closeAll());
    } finally {
      await proc.stop();
    }
  });
});

describe('plugin server: memory under 20,000 rejected requests, launcher vs stock, same run', function () {
  this.timeout(90_000);
  // A fixed 1 MB young generation keeps V8 from growing it under load, so resident memory after a
  // full GC reflects what the server retains (with the default sizing RSS first rises ~30 MB while
  // V8 enlarges it, on either server).
  const NODE_ARGS = ['--max-semi-space-size=1', ...GC_NODE_ARGS];
  const WARM_UP = 10_000;
  const REQUESTS = 20_000;
  const growth: Partial<Record<ServerKind, { rss: number; heapUsed: number }>> = {};

  async function measure(kind: ServerKind): Promise<void> {
    const proc = await launchServer({ kind, pluginsDir: fixtureDir('probe'), nodeArgs: NODE_ARGS });
    try {
      const workers = await kongWorkers(proc, 'reject');
      await runRejectedLoad(workers, WARM_UP);
      const before: MemorySample = await memoryAfterGc(proc);
      await runRejectedLoad(workers, REQUESTS);
      await rejectedRequest(workers[0]!.rpc, workers[0]!.instanceId);
      const after = await memoryAfterGc(proc);
      growth[kind] = { rss: (after.rss - before.rss) / MB, heapUsed: (after.heapUsed - before.heapUsed) / MB };
      workers.forEach((w) => w.rpc.closeAll());
    } finally {
      await proc.stop();
    }
  }

  before(async () => {
    await measure('hardened');
    await measure('stock');
    console.log(`      memory growth over ${REQUESTS} rejected requests (MB): ${JSON.stringify(growth)}`);
  });

  it('the launcher\'s resident memory and heap stay flat', () => {
    expect(growth.hardened!.rss).to.be.below(5);
    expect(growth.hardened!.heapUsed).to.be.below(1);
  });

  it('the stock server\'s grow by more than 0.75 KB per request (it keeps every exited event)', () => {
    expect(growth.stock!.rss).to.be.above(15);
    expect(growth.stock!.heapUsed).to.be.above(15);
  });
});
