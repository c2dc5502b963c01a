// DPoP (RFC 9449) through a gateway (the Kong double, or a running Kong with npm run test:kong):
// dpop.mode "allowed", the client-facing base URL configured (dpop.external_base_url, so the
// proof's htu matches whatever port mapping sits between the tests and Kong).
import { expect } from 'chai';
import { createDpopKey, dpopProof, type DpopKey } from '../../../dev/dpop-proof';
import { startGateway, type Gateway } from '../../support/gateway';
import { bearer, get, send } from '../../support/http-client';
import { useConfig } from '../../support/apply-config';
import { kongYml, oktaJwtConfig } from '../../support/kong-config';
import { expectChallenge, expectDpopChallenge, expectNoUpstreamRequest, pdkCalls } from './assertions';

describe('okta-jwt with DPoP-bound tokens', function () {
  let gw: Gateway;
  let key: DpopKey;
  const url = (path = '/echo/dpop') => `${gw.proxyUrl}${path}`;
  const boundToken = () => gw.mint({ scp: ['orders:read'], cnf: { jkt: key.jkt } });
  const proofFor = (token: string | undefined, htm = 'GET', htu = url()) => dpopProof(key, { htm, htu, accessToken: token });
  const dpop = async (token: string, proof?: string): Promise<Array<[string, string]>> => [['Authorization', `DPoP ${token}`], ['DPoP', proof ?? (await proofFor(token))]];

  before(async function () {
    this.timeout(60000);
    gw = await startGateway();
    key = await createDpopKey('ES256');
    const plugin = oktaJwtConfig(gw, { dpop: { mode: 'allowed', external_base_url: gw.proxyUrl } });
    await useConfig(gw, kongYml(gw, { plugin }));
  });
  after(async () => gw?.close());
  beforeEach(async () => gw.resetUpstream());

  it('lets a DPoP-bound token with a proof for this request through', async () => {
    const token = await boundToken();
    const res = await get(url(), await dpop(token));
    expect(res.status, res.text).to.equal(200);
    const upstream = res.json<{ headers: Record<string, string> }>();
    expect(upstream.headers.authorization).to.equal(`DPoP ${token}`);
    expect(upstream.headers['x-user-sub']).to.equal('dev.user@example.com');
  });

  it('compares htu without the query string', async () => {
    const token = await boundToken();
    expect((await get(url('/echo/dpop?page=2'), await dpop(token))).status).to.equal(200);
  });

  it('refuses a replayed proof, a proof for another method or URI, and a proof by another key', async () => {
    const token = await boundToken();
    const headers = await dpop(token);
    expect((await get(url(), headers)).status).to.equal(200);
    await gw.resetUpstream();
    expectDpopChallenge(await get(url(), headers), 'invalid_dpop_proof');
    expectDpopChallenge(await get(url(), await dpop(token, await proofFor(token, 'POST'))), 'invalid_dpop_proof');
    expectDpopChallenge(await get(url(), await dpop(token, await proofFor(token, 'GET', url('/echo/elsewhere')))), 'invalid_dpop_proof');
    const other = await createDpopKey('ES256');
    expectDpopChallenge(await get(url(), await dpop(token, await dpopProof(other, { htm: 'GET', htu: url(), accessToken: token }))), 'invalid_token');
    await expectNoUpstreamRequest(gw);
  });

  it('compares htu by RFC 3986: a backslash is no slash, and only a proof naming the raw path exactly is accepted', async () => {
    const token = await boundToken();
    const sendRaw = async (target: string, htu: string) => send('GET', gw.proxyUrl, await dpop(token, await proofFor(token, 'GET', htu)), undefined, target);
    // WHATWG URL would read these targets as /admin and /echo/x.
    expectDpopChallenge(await sendRaw('/echo/x/..\\..\\admin', url('/admin')), 'invalid_dpop_proof');
    expectDpopChallenge(await sendRaw('/echo\\x', url('/echo/x')), 'invalid_dpop_proof');
    expectDpopChallenge(await sendRaw('/echo\\x', url('/echo%5Cx')), 'invalid_dpop_proof');
    expectDpopChallenge(await sendRaw('/echo/x#y', url('/echo/x')), 'invalid_dpop_proof');
    await expectNoUpstreamRequest(gw);
    expect((await sendRaw('/echo/a\\b', `${gw.proxyUrl}/echo/a\\b`)).status).to.equal(200);
    expect((await sendRaw('/echo/x/..\\..\\admin', `${gw.proxyUrl}/echo/x/..\\..\\admin`)).status).to.equal(200);
    expect((await sendRaw('/echo/a%5cb', url('/echo/a%5Cb'))).status).to.equal(200);
  });

  it('refuses a DPoP-bound token sent as a bearer token, and the DPoP scheme without a proof', async () => {
    const token = await boundToken();
    expectChallenge(await get(url(), bearer(token)), 401, 'invalid_token');
    expectDpopChallenge(await get(url(), [['Authorization', `DPoP ${token}`]]), 'invalid_dpop_proof');
    await expectNoUpstreamRequest(gw);
  });

  it('still serves plain bearer tokens, and offers both schemes when no token is sent', async () => {
    expect((await get(url(), bearer(await gw.mint({ scp: ['orders:read'] })))).status).to.equal(200);
    const res = await get(url());
    expect(res.status).to.equal(401);
    expect(res.headers['www-authenticate']).to.equal('Bearer realm="okta-jwt", DPoP realm="okta-jwt", algs="ES256 RS256 PS256"');
  });

  describe('over the plugin-server protocol (Kong double only)', () => {
    before(function () {
      if (gw.double === null) this.skip();
    });

    it('with DPoP on, a bearer request costs the same PDK calls as before (one read, one write)', async () => {
      const token = await gw.mint({ scp: ['orders:read'] });
      await get(url(), bearer(token));
      gw.double!.rpcLog.reset();
      expect((await get(url(), bearer(token))).status).to.equal(200);
      expect(pdkCalls(gw)).to.deep.equal(['kong.request.get_headers', 'kong.service.request.set_headers', 'ret']);
    });

    it('a DPoP request adds the method and the raw path (external_base_url set)', async () => {
      const token = await boundToken();
      gw.double!.rpcLog.reset();
      expect((await send('GET', url(), await dpop(token))).status).to.equal(200);
      expect(pdkCalls(gw)).to.deep.equal([
        'kong.request.get_headers', 'kong.request.get_method', 'kong.request.get_path_with_query', 'kong.service.request.set_headers', 'ret',
      ]);
    });
  });

  describe('replay protection shared by routes with different quotas', () => {
    // Two routes, one allowing only 1,000 remembered proofs: filling it must neither evict the other
    // route's proofs nor let it accept more than it can remember.
    const small = '/dpop-small';
    const big = '/dpop-big';

    before(async function () {
      this.timeout(60000);
      const config = kongYml(gw) as { services: Array<{ routes: unknown[] }> };
      const dpop = { mode: 'allowed', external_base_url: gw.proxyUrl };
      config.services[0]!.routes.push(
        // Proofs live 10 minutes here: on a busy machine the flood below outlasts the default 65 s, and
        // proofs that expire during it would keep the quota from ever filling.
        { name: 'dpop-small', paths: [small], plugins: [{ name: 'okta-jwt', config: oktaJwtConfig(gw, { dpop: { ...dpop, replay_cache_max_entries: 1000, proof_lifetime_seconds: 600 } }) }] },
        { name: 'dpop-big', paths: [big], plugins: [{ name: 'okta-jwt', config: oktaJwtConfig(gw, { dpop }) }] },
      );
      await useConfig(gw, config);
    });

    it('a flood of valid proofs on a small-quota route is refused at its quota and does not re-open replay elsewhere', async function () {
      this.timeout(300000);
      const token = await boundToken();
      const victim = await dpop(token, await proofFor(token, 'GET', url(big)));
      expect((await get(url(big), victim)).status).to.equal(200);

      // The quota may hold proofs of an earlier run (a real Kong's plugin server lives on): flood until refused.
      const statuses: number[] = [];
      let refused: Awaited<ReturnType<typeof get>> | undefined;
      const flooder = async () => {
        while (refused === undefined && statuses.length < 1020) {
          const res = await get(url(small), await dpop(token, await proofFor(token, 'GET', url(small))));
          statuses.push(res.status);
          if (res.status !== 200) refused ??= res;
        }
      };
      await Promise.all([flooder(), flooder(), flooder(), flooder()]);
      await gw.resetUpstream();
      expectDpopChallenge(await get(url(big), victim), 'invalid_dpop_proof');
      await expectNoUpstreamRequest(gw);

      expect(refused, `no refusal after ${statuses.length} proofs`).to.not.equal(undefined);
      expect(refused!.status, refused!.text).to.equal(503);
      expect(Number(refused!.headers['retry-after'])).to.be.within(1, 605);
      expect(statuses.filter((s) => s === 200).length).to.be.at.most(1000);
      expect(statuses.every((s) => s === 200 || s === 503)).to.equal(true);
      expect((await get(url(big), await dpop(token, await proofFor(token, 'GET', url(big))))).status, 'the other route is unaffected').to.equal(200);
    });
  });
});
