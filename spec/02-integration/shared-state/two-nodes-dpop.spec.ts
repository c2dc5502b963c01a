// Two Kong nodes (two Kong doubles, each with its own okta-jwt plugin-server process) share one real
// Redis: a DPoP proof accepted on one node is a replay on the other. With Redis hung, a DPoP request
// gets 503 with Retry-After (never 200), unless the route opted into local replay protection.
// The two nodes need their own plugin-server processes, so this runs on the double only. redis.timeout
// is generous: on a busy machine a first connection may take a while (a 503 then, correctly, but not
// what this test is about).
import path from 'node:path';
import { expect } from 'chai';
import { createDpopKey, dpopProof, type DpopKey } from '../../../dev/dpop-proof';
import { startDevIssuer, type DevIssuer } from '../../../dev/issuer';
import { startEchoUpstream, type EchoUpstream } from '../../../dev/echo-upstream';
import { startKongDouble, type KongDouble } from '../../kong-double';
import { get, type HttpResponse } from '../../support/http-client';
import { repoRoot } from '../../support/repo-paths';
import { requireRedisServer, startRedisServer, type RedisServer } from '../../support/redis-server';
import { expectDpopChallenge } from '../okta-jwt/assertions';

/** What clients address, the same through either node (a load balancer in front of both). */
const BASE = 'https://api.example.test';

describe('DPoP replay protection shared by two Kong nodes through Redis', function () {
  this.timeout(60000);
  let redis: RedisServer;
  let issuer: DevIssuer;
  let echo: EchoUpstream;
  const nodes: KongDouble[] = [];
  let key: DpopKey;

  function config(): Record<string, unknown> {
    const plugin = (dpop: Record<string, unknown>) => ({
      name: 'okta-jwt',
      config: {
        issuer: issuer.issuer, audiences: ['api://default'], scopes_required: ['orders:read'],
        dpop: { mode: 'allowed', external_base_url: BASE, ...dpop },
        redis: redis.configRecord({ timeout: 1000, key_prefix: `two-nodes-${redis.port}:` }),
      },
    });
    return {
      _format_version: '3.0',
      services: [{
        name: 'echo', url: echo.url,
        routes: [
          { name: 'refuse', paths: ['/refuse'], plugins: [plugin({})] },
          { name: 'local', paths: ['/local'], plugins: [plugin({ redis_unavailable: 'local' })] },
        ],
      }],
    };
  }

  const dpopRequest = async (node: KongDouble, route: string, token: string, proof?: string): Promise<[HttpResponse, string]> => {
    const used = proof ?? (await dpopProof(key, { htm: 'GET', htu: `${BASE}${route}`, accessToken: token }));
    return [await get(`${node.proxyUrl}${route}`, [['Authorization', `DPoP ${token}`], ['DPoP', used]]), used];
  };
  const boundToken = () => issuer.mint({ scp: ['orders:read'], cnf: { jkt: key.jkt } });
  const refusals = (node: KongDouble) => node.errorLog.lines.map((l) => l.message).filter((m) => m.includes('okta-jwt refused'));

  before(async function () {
    requireRedisServer(this);
    redis = await startRedisServer();
    issuer = await startDevIssuer();
    echo = await startEchoUpstream(0);
    const pluginsDir = path.join(repoRoot(), 'dist', 'plugins');
    for (let i = 0; i < 2; i++) {
      const node = await startKongDouble({ pluginServers: [{ name: 'okta-jwt', pluginsDir }] });
      nodes.push(node);
      await node.loadConfig(config());
    }
    key = await createDpopKey('ES256');
  });
  after(async () => {
    redis?.resume();
    for (const node of nodes) await node.close();
    await Promise.all([issuer?.close(), echo?.close(), redis?.stop()]);
  });

  it('refuses on the second node a proof the first accepted (dpop_proof_replayed)', async () => {
    const [a, b] = nodes;
    const token = await boundToken();
    const [first, proof] = await dpopRequest(a!, '/refuse', token);
    expect(first.status, first.text).to.equal(200);
    b!.errorLog.reset();
    const [replayed] = await dpopRequest(b!, '/refuse', token, proof);
    expectDpopChallenge(replayed, 'invalid_dpop_proof');
    await b!.logsSettled();
    expect(refusals(b!).join('\n')).to.match(/reason=dpop_proof_replayed/);
    // And a fresh proof is still accepted on either node.
    expect((await dpopRequest(b!, '/refuse', token))[0].status).to.equal(200);
  });

  it('with Redis hung: 503 with Retry-After, never 200; accepted locally where the route opted in', async () => {
    const [a, b] = nodes;
    const token = await boundToken();
    echo.reset();
    redis.pause();
    try {
      for (const node of [a!, b!]) {
        const [res] = await dpopRequest(node, '/refuse', token);
        expect(res.status, res.text).to.equal(503);
        expect(res.headers['retry-after']).to.match(/^[1-9]\d*$/);
        expect(res.json()).to.deep.equal({ message: 'Replay protection is unavailable; try again later' });
      }
      const [local, proof] = await dpopRequest(a!, '/local', token);
      expect(local.status, local.text).to.equal(200);
      expectDpopChallenge((await dpopRequest(a!, '/local', token, proof))[0], 'invalid_dpop_proof');
      expect(echo.received(), 'only the locally accepted request reached the upstream').to.have.length(1);
    } finally {
      redis.resume();
    }
    expect((await dpopRequest(b!, '/refuse', token))[0].status, 'served again once Redis answers').to.equal(200);
  });
});
