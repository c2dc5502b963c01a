// Okta's revocation signals through a gateway (the Kong double, or a running Kong with npm run
// test:kong): an okta-jwt instance in receiver mode on its own route takes SETs (RFC 8417) pushed
// the RFC 8935 way, signed by the dev issuer's SSF transmitter; the protected route then refuses
// tokens of the revoked subject issued before the event. Each test names users of its own: the
// gateway's plugin server (like a real Kong's) keeps revocations across spec files.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { SetRequest } from '../../../dev/ssf-transmitter';
import { startGateway, type Gateway } from '../../support/gateway';
import { bearer, get, send, type HttpResponse } from '../../support/http-client';
import { useConfig } from '../../support/apply-config';
import { kongYml, oktaJwtConfig } from '../../support/kong-config';
import { expectChallenge, expectNoUpstreamRequest } from './assertions';

const RECEIVER_PATH = '/ssf/events';
const FLOOD_PATH = '/ssf/flood';
const STREAM_AUTHORIZATION = 'Bearer dev-stream-secret-0123456789';

interface User { sub: string; uid: string }

function newUser(): User {
  const id = randomBytes(6).toString('hex');
  return { sub: `user.${id}@example.com`, uid: `00u${id}` };
}

describe('okta-jwt revocation signals (SSF receiver)', function () {
  let gw: Gateway;
  let floodIssuer: string;
  const receiverUrl = () => `${gw.proxyUrl}${RECEIVER_PATH}`;
  const nowSeconds = () => Math.floor(Date.now() / 1000);
  const tokenOf = (user: User, issuedAt = nowSeconds() - 10) => gw.mint({ scp: ['orders:read'], sub: user.sub, uid: user.uid }, { issuedAt });
  const call = (token: string) => get(`${gw.proxyUrl}/echo/orders`, bearer(token));
  /** A SET for `user` (Okta's iss_sub of the user id by default), addressed to the receiver. */
  const setFor = (user: User, request: SetRequest = {}) =>
    gw.issuerControl.ssf.sign({ aud: receiverUrl(), subject: { format: 'iss_sub', iss: gw.issuerControl.ssf.issuer, sub: user.uid }, ...request });
  const push = (body: string, authorization: string | null = STREAM_AUTHORIZATION, path = RECEIVER_PATH, contentType = 'application/secevent+jwt'): Promise<HttpResponse> =>
    send('POST', `${gw.proxyUrl}${path}`, [['Content-Type', contentType], ...(authorization === null ? [] : [['Authorization', authorization] as [string, string]])], body);

  function expectPushError(res: HttpResponse, err: string): void {
    expect(res.status, res.text).to.equal(400);
    expect(res.json()).to.have.keys(['err', 'description']);
    expect(res.json().err).to.equal(err);
  }

  before(async function () {
    this.timeout(60000);
    gw = await startGateway();
    floodIssuer = (await gw.issuerControl.authServer('/oauth2/ssf-flood')).issuer;
    const receiver = (extra: Record<string, unknown> = {}) => ({
      transmitter_issuer: gw.issuerControl.ssf.issuer, audiences: [receiverUrl()], authorization: STREAM_AUTHORIZATION, ...extra,
    });
    const config = kongYml(gw) as { services: Array<{ routes: unknown[] }> };
    config.services[0]!.routes.push(
      { name: 'ssf-receiver', paths: [RECEIVER_PATH], plugins: [{ name: 'okta-jwt', config: oktaJwtConfig(gw, { ssf_receiver: receiver({ max_set_bytes: 4096 }) }) }] },
      // Its own token issuer and a short token lifetime: its revocations fill a list of their own and expire soon.
      {
        name: 'ssf-flood', paths: [FLOOD_PATH],
        plugins: [{ name: 'okta-jwt', config: oktaJwtConfig(gw, { issuer: floodIssuer, max_token_age_seconds: 60, ssf_receiver: receiver({ max_entries: 100, max_set_bytes: 65536 }) }) }],
      },
    );
    await useConfig(gw, config);
  });
  after(async () => gw?.close());
  beforeEach(async () => gw.resetUpstream());

  it('session-revoked: refuses the subject\'s tokens issued before the event, accepts newer ones and other subjects\'', async () => {
    const [user, other] = [newUser(), newUser()];
    const older = await tokenOf(user);
    const others = await tokenOf(other);
    expect((await call(older)).status).to.equal(200); // cached as verified: the refusal below must see past the cache
    const res = await push(await setFor(user, { eventTimestamp: nowSeconds() - 5 }));
    expect(res.status, res.text).to.equal(202);
    await gw.resetUpstream();
    expectChallenge(await call(older), 401, 'invalid_token');
    await expectNoUpstreamRequest(gw);
    expect((await call(await tokenOf(user, nowSeconds()))).status, 'a token issued after the event').to.equal(200);
    expect((await call(others)).status, 'another subject').to.equal(200);
  });

  it('credential-change, with the email subject Okta may send: the login (sub) is matched case-insensitively', async () => {
    const user = newUser();
    const older = await tokenOf(user);
    const res = await push(await setFor(user, { event: 'credential-change', subject: { format: 'email', email: user.sub.toUpperCase() }, eventTimestamp: nowSeconds() - 5 }));
    expect(res.status, res.text).to.equal(202);
    expectChallenge(await call(older), 401, 'invalid_token');
    expect((await call(await tokenOf(user, nowSeconds()))).status).to.equal(200);
  });

  it('acknowledges events it does not act on, and changes nothing for them', async () => {
    const user = newUser();
    const token = await tokenOf(user);
    const res = await push(await setFor(user, { event: 'https://schemas.openid.net/secevent/caep/event-type/assurance-level-change' }));
    expect(res.status, res.text).to.equal(202);
    expect((await call(token)).status).to.equal(200);
  });

  describe('refuses bad pushes with the RFC 8935 error, and they change nothing', () => {
    let user: User;
    let token: string;
    beforeEach(async () => {
      user = newUser();
      token = await tokenOf(user);
    });
    afterEach(async () => {
      expect((await call(token)).status, 'the subject\'s token is still accepted').to.equal(200);
    });

    it('no or a wrong Authorization value: authentication_failed', async () => {
      const set = await setFor(user);
      expectPushError(await push(set, null), 'authentication_failed');
      expectPushError(await push(set, 'Bearer dev-stream-secret-0123456788'), 'authentication_failed');
    });

    it('a SET signed by a key the transmitter never published: invalid_key', async () => {
      expectPushError(await push(await setFor(user, { key: 'foreign' })), 'invalid_key');
    });

    it('another issuer: invalid_issuer; another audience: invalid_audience', async () => {
      expectPushError(await push(await setFor(user, { claims: { iss: 'https://other.example' } })), 'invalid_issuer');
      expectPushError(await push(await setFor(user, { aud: 'https://elsewhere.example/events' })), 'invalid_audience');
    });

    it('a replayed, an expired, a non-SET or an oversized push: invalid_request', async () => {
      const once = await setFor(newUser());
      expect((await push(once)).status).to.equal(202);
      expectPushError(await push(once), 'invalid_request');
      expectPushError(await push(await setFor(user, { claims: { iat: nowSeconds() - 7200 } })), 'invalid_request');
      expectPushError(await push(await setFor(user, { header: { typ: 'JWT' } })), 'invalid_request');
      expectPushError(await push(await setFor(user), STREAM_AUTHORIZATION, RECEIVER_PATH, 'application/json'), 'invalid_request');
      const set = await setFor(user);
      expectPushError(await push(set + '.'.repeat(5000)), 'invalid_request');
      expectPushError(await push('not a jwt'), 'invalid_request');
    });

    it('a valid SET larger than Kong\'s client_body_buffer_size (8k) reaches the plugin as nothing: invalid_request, too large', async () => {
      // The flood route accepts 64 KB, so only Kong's body buffer stands in the way.
      const big = await setFor(user, { claims: { padding: 'x'.repeat(10_000) } });
      const res = await push(big, STREAM_AUTHORIZATION, FLOOD_PATH);
      expectPushError(res, 'invalid_request');
      expect(res.json().description).to.equal('The SET is too large');
    });
  });

  it('a flood of valid SETs stops at max_entries: 503 with Retry-After (the transmitter retries), nothing beyond the bound is recorded', async function () {
    this.timeout(300000);
    const statuses: number[] = [];
    let refused: HttpResponse | undefined;
    const floodSet = (user: User) => gw.issuerControl.ssf.sign({ aud: receiverUrl(), subject: { format: 'iss_sub', iss: gw.issuerControl.ssf.issuer, sub: user.uid } });
    // The list may hold revocations of an earlier run (a real Kong's plugin server lives on): push until refused.
    while (refused === undefined && statuses.length < 110) {
      const res = await push(await floodSet(newUser()), STREAM_AUTHORIZATION, FLOOD_PATH);
      statuses.push(res.status);
      if (res.status !== 202) refused = res;
    }
    expect(refused, `no refusal after ${statuses.length} SETs`).to.not.equal(undefined);
    expect(refused!.status, refused!.text).to.equal(503);
    expect(Number(refused!.headers['retry-after'])).to.be.within(1, 60);
    expect(statuses.filter((s) => s === 202).length).to.be.at.most(100);
  });

  describe('over the plugin-server protocol (Kong double only)', () => {
    before(function () {
      if (gw.double === null) this.skip();
    });

    it('a bearer request on the protected route costs the same PDK calls as without revocations (one read, one write)', async () => {
      const token = await tokenOf(newUser());
      await call(token);
      gw.double!.rpcLog.reset();
      expect((await call(token)).status).to.equal(200);
      const frames = gw.double!.rpcLog.frames.filter((f) => f.server === 'okta-jwt' && f.dir === 'ps->kong' && f.method.startsWith('plugin.'));
      const methods = frames.map((f) => {
        const data = (f.frame as [number, number, unknown, { Data?: unknown } | null])[3]?.Data;
        return typeof data === 'string' ? data : String((data as { Method?: string } | undefined)?.Method);
      });
      expect(methods).to.deep.equal(['kong.request.get_headers', 'kong.service.request.set_headers', 'ret']);
    });
  });
});
