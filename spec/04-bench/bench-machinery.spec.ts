// Smoke test of the benchmark machinery (npm run bench): a handful of requests per case through the
// Kong double and the real plugin servers must yield numbers, and the RPC stream must show okta-jwt's
// common path as HandleEvent + get_headers + set_headers.
import { expect } from 'chai';
import { CASES, startBenchGateway, type BenchGateway } from '../../bench/bench-gateway';
import { checkCase, runPairedCpuPass, runPass } from '../../bench/e2e-bench';
import { RpcTally } from '../../bench/rpc-tally';
import { runVerifyBench } from '../../bench/verify-bench';
import { replayCases, replayHeaders, runSocketReplay } from '../../bench/socket-replay';
import { DEV_AUDIENCE } from '../../dev/issuer';

const byId = (id: string) => CASES.find((c) => c.id === id)!;

describe('benchmark machinery', function () {
  this.timeout(60000);
  let gw: BenchGateway;
  let tally: RpcTally;

  before(async () => {
    gw = await startBenchGateway({ workers: 2 });
    tally = new RpcTally(gw.double);
  });
  after(async () => {
    await gw?.close();
  });

  it('replays Kong onto each plugin server: every case takes the allow path with 2 PDK calls and uses CPU', async () => {
    const results = await runSocketReplay(replayCases(gw.issuer.issuer), replayHeaders(gw.token), { requests: 20, warmUp: 5, repetitions: 2, concurrency: 3 });
    expect(results.map((r) => r.id)).to.deep.equal(['a-stock', 'a', 'b', 'b-guard', 'b-stock', 'b0']);
    for (const r of results) {
      expect(r.pdkCallsPerRequest, r.id).to.equal(2);
      expect(r.perRepetition, r.id).to.have.length(2);
      expect(r.cpuUsPerRequest, r.id).to.be.greaterThan(0);
    }
  });

  it('stops the replay when a case leaves the allow path (a refused token)', async () => {
    const okta = replayCases(gw.issuer.issuer).filter((c) => c.id === 'b');
    let failure: Error | undefined;
    await runSocketReplay(okta, replayHeaders(`${gw.token}x`), { requests: 5, warmUp: 1, repetitions: 1, concurrency: 1 }).catch((err: Error) => (failure = err));
    // The refusal path starts with the log gate reading the request line, then logs and exits.
    expect(failure?.message).to.match(/unexpected PDK call kong\.(request\.get_path_with_query|log\.\w+|response\.exit) /);
  });

  it('proxies every case with the mapped claim headers set', async () => {
    for (const c of CASES) await checkCase(gw, c);
  });

  it('measures a cache-hit pass: throughput, latency, plugin-server CPU, 3 RPCs and 2 PDK calls per request', async () => {
    const pass = await runPass(gw, tally, byId('b'), { requests: 40, connections: 4 }, 'count');
    expect(pass.errors).to.equal(0);
    expect(pass.requests).to.equal(40);
    expect(pass.requestsPerSecond).to.be.greaterThan(0);
    expect(pass.p50Us).to.be.greaterThan(0).and.at.most(pass.p99Us);
    expect(pass.phaseP50Us).to.be.greaterThan(0).and.below(pass.p50Us * 2);
    expect(pass.serverCpuUsPerRequest).to.be.greaterThan(0);
    expect(pass.rpcsPerRequest).to.equal(3);
    expect(pass.pdkCallsPerRequest).to.equal(2);
    // The token alone crosses the socket once per request; the claim headers cross back.
    expect(pass.bytesToServerPerRequest).to.be.greaterThan(gw.token.length);
    expect(pass.bytesFromServerPerRequest).to.be.greaterThan(100);
  });

  it("counts socket bytes per request: other request headers cross the socket for okta-jwt's get_headers, not for the reference's get_header", async () => {
    const extraHeaders = { cookie: 'c'.repeat(500) };
    const bytes = async (id: string, extra?: Record<string, string>) =>
      (await runPass(gw, tally, byId(id), { requests: 4, connections: 1, extraHeaders: extra }, 'count')).bytesToServerPerRequest;
    expect((await bytes('b', extraHeaders)) - (await bytes('b'))).to.be.greaterThan(500);
    expect(await bytes('a', extraHeaders)).to.be.closeTo(await bytes('a'), 8);
  });

  it('counts the same round trips from the frames the double records', async () => {
    const pass = await runPass(gw, tally, byId('c'), { requests: 20, connections: 2 }, 'record');
    expect(pass.errors).to.equal(0);
    expect(pass.rpcsPerRequest).to.equal(3);
    expect(pass.pdkCallsPerRequest).to.equal(2);
    const counted = await runPass(gw, tally, byId('c'), { requests: 20, connections: 2 }, 'count');
    // Message ids and event ids are varints: a few bytes of difference between passes.
    expect(pass.bytesToServerPerRequest).to.be.closeTo(counted.bytesToServerPerRequest, 8);
    expect(gw.double.rpcLog.frames).to.have.length(0); // taken and cleared after the pass
  });

  it('measures a case and the reference plugin over the same interval', async () => {
    const paired = await runPairedCpuPass(gw, tally, byId('b'), byId('a'), { requests: 20, connections: 4 });
    expect(paired.serverCpuUsPerRequest).to.be.greaterThan(0);
    expect(paired.referenceCpuUsPerRequest).to.be.greaterThan(0);
    expect(paired.ratio).to.equal(paired.serverCpuUsPerRequest / paired.referenceCpuUsPerRequest);
  });

  it('measures verification throughput of okta-jwt, jose, @okta/jwt-verifier and node:crypto', async () => {
    const result = await runVerifyBench({
      issuer: gw.issuer.issuer, jwksUri: gw.issuer.jwksUri, token: gw.token, audience: DEV_AUDIENCE, rounds: 1, sampleMs: 20, inFlight: 4,
    });
    for (const mode of ['seq', 'conc'] as const) {
      for (const opsPerSecond of Object.values(result.opsPerSecond[mode])) expect(opsPerSecond).to.be.greaterThan(0);
      expect(result.ratios[mode].oktaJwtOverOktaVerifier).to.be.greaterThan(0);
    }
  });
});
