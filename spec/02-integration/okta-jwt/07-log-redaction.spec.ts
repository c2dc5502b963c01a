// What Kong's log plugins write about a request okta-jwt judged (http-log posting kong.log.serialize's
// entry to the echo upstream): Kong redacts only Authorization and Proxy-Authorization, so a token
// read from token_header or token_cookie must be redacted by okta-jwt, on allowed and refused requests.
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { startGateway, type Gateway } from '../../support/gateway';
import { bearer, get } from '../../support/http-client';
import { kongYml, oktaJwtConfig } from '../../support/kong-config';
import { useConfig } from '../../support/apply-config';
import { pdkCalls } from './assertions';

const LOG_SINK = '/log-sink';

interface LogEntry {
  request: { uri: string; headers: Record<string, string | string[]> };
  response: { status: number };
}

describe('okta-jwt and Kong\'s log serializer', function () {
  let gw: Gateway;

  before(async function () {
    this.timeout(60000);
    gw = await startGateway();
    const plugin = oktaJwtConfig(gw, { token_header: 'X-Api-Token', token_cookie: 'okta_at' });
    const httpLog = { name: 'http-log', config: { http_endpoint: `${gw.upstreamUrl}${LOG_SINK}` } };
    await useConfig(gw, kongYml(gw, { plugin, routePlugins: [httpLog] }));
  });
  after(async () => gw?.close());
  beforeEach(async () => gw.resetUpstream());

  /** Sends a request under a fresh path and waits for the log entry http-log posts for it. */
  async function logged(headers: Array<[string, string]>): Promise<{ status: number; entry: LogEntry; raw: string }> {
    const path = `/echo/logged/${randomUUID()}`;
    const res = await get(`${gw.proxyUrl}${path}`, headers);
    const deadline = Date.now() + 15000;
    while (Date.now() < deadline) {
      const posted = (await gw.upstreamRequests()).find((r) => r.url === LOG_SINK && r.body.includes(path));
      if (posted !== undefined) return { status: res.status, entry: JSON.parse(posted.body) as LogEntry, raw: posted.body };
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`http-log posted no entry for ${path} within 15 s`);
  }

  const signature = (token: string) => token.split('.')[2]!;

  it('redacts a token from token_header, on allow and on refusal', async () => {
    const good = await gw.mint({ scp: ['orders:read'] });
    const allowed = await logged([['X-Api-Token', `Bearer ${good}`]]);
    expect(allowed.status).to.equal(200);
    expect(allowed.entry.request.headers['x-api-token']).to.equal('REDACTED');
    expect(allowed.raw).to.not.include(signature(good));

    const unscoped = await gw.mint({ scp: ['profile'] });
    const refused = await logged([['X-Api-Token', `Bearer ${unscoped}`]]);
    expect(refused.status).to.equal(403);
    expect(refused.entry.request.headers['x-api-token']).to.equal('REDACTED');
    expect(refused.raw).to.not.include(signature(unscoped));
  });

  it('redacts only the token cookie\'s value, on allow and on refusal', async () => {
    const good = await gw.mint({ scp: ['orders:read'] });
    const allowed = await logged([['Cookie', `theme=dark; okta_at=${good}; lang=en`]]);
    expect(allowed.status).to.equal(200);
    expect(allowed.entry.request.headers.cookie).to.equal('theme=dark; okta_at=REDACTED; lang=en');
    expect(allowed.raw).to.not.include(signature(good));

    const refused = await logged([['Cookie', `okta_at=${good.slice(0, -4)}AAAA`]]);
    expect(refused.status).to.equal(401);
    expect(refused.entry.request.headers.cookie).to.equal('okta_at=REDACTED');
    expect(refused.raw).to.not.include(signature(good).slice(0, -4));
  });

  it('leaves Authorization to Kong\'s own redaction', async () => {
    const token = await gw.mint({ scp: ['orders:read'] });
    const { entry, raw } = await logged([['Cookie', 'theme=dark'], ['X-Api-Token', `Bearer ${token}`], ['Authorization', 'Basic dXNlcjpwdw==']]);
    expect(entry.request.headers.authorization).to.equal('REDACTED');
    expect(entry.request.headers.cookie).to.equal('theme=dark');
    expect(raw).to.not.include(signature(token));
  });

  describe('over the plugin-server protocol (Kong double only)', () => {
    before(function () {
      if (gw.double === null) this.skip();
    });

    it('pays one serializer call only when the request carries the token header or cookie', async () => {
      const token = await gw.mint({ scp: ['orders:read'] });
      await get(`${gw.proxyUrl}/echo/x`, [['X-Api-Token', `Bearer ${token}`]]);
      gw.double!.rpcLog.reset();
      expect((await get(`${gw.proxyUrl}/echo/x`, [['X-Api-Token', `Bearer ${token}`]])).status).to.equal(200);
      expect(pdkCalls(gw)).to.deep.equal(['kong.request.get_headers', 'kong.log.set_serialize_value', 'kong.service.request.set_headers', 'ret']);
      gw.double!.rpcLog.reset();
      expect((await get(`${gw.proxyUrl}/echo/x`, bearer(token))).status, 'Authorization is not the token header here').to.equal(401);
      const serializerCalls = pdkCalls(gw).filter((call) => call === 'kong.log.set_serialize_value');
      expect(serializerCalls, 'no token header or cookie: only the refusal\'s own value').to.have.length(1);
    });
  });
});
