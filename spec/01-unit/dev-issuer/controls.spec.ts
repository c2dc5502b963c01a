import { expect } from 'chai';
import type http from 'node:http';
import { decodeJws, get, useDevIssuer } from './helpers';
import { issuerControl } from '../../support/issuer-control';
import { serveControl } from '../../../dev/issuer-controls';

describe('dev issuer: HTTP test controls (dev only)', () => {
  const dev = useDevIssuer();
  const control = () => issuerControl(dev().issuer, dev().issuer);
  const kids = async (url = dev().jwksUri) => ((await get(url)).json() as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);

  afterEach(async () => control().setFault(null));

  it('rotates to a new current key (old one still published), and retires a key from the set', async () => {
    const before = await control().currentKid();
    const { kid } = await control().rotate();
    expect(await control().currentKid()).to.equal(kid);
    expect(await kids()).to.include.members([before, kid]);
    expect(decodeJws(await control().mint()).header.kid).to.equal(kid);
    await control().retire(before);
    expect(await kids()).to.deep.equal([kid]);
  });

  it('refuses to retire the current key or an unknown kid (404)', async () => {
    const current = await control().currentKid();
    const refused = await control().retire(current).then(() => 'retired', (e: Error) => e.message);
    expect(refused).to.match(/: 404 /);
    const res = await get(`${dev().issuer}/v1/dev/control/keys/retire`, { method: 'POST', body: JSON.stringify({ kid: 'nope' }) });
    expect(res.status).to.equal(404);
  });

  it('goes down and comes back: a fault on the key set, then healthy again; a fault of an unknown kind is refused', async () => {
    await control().setFault({ kind: 'status', status: 503 });
    expect((await get(dev().jwksUri)).status).to.equal(503);
    await control().setFault(null);
    expect((await get(dev().jwksUri)).status).to.equal(200);
    const res = await get(`${dev().issuer}/v1/dev/control/fault`, { method: 'PUT', body: JSON.stringify({ kind: 'explode' }) });
    expect(res.status).to.equal(400);
  });

  it('sets the key set\'s max-age and counts requests per endpoint until reset', async () => {
    await control().setCacheMaxAge(7);
    expect((await get(dev().jwksUri)).headers.get('cache-control')).to.equal('max-age=7, must-revalidate');
    await control().setCacheMaxAge(3600);
    await control().resetCounts();
    await get(dev().jwksUri);
    await get(`${dev().issuer}/.well-known/openid-configuration`);
    expect([await control().requestCount('jwks'), await control().requestCount('discovery')]).to.deep.equal([1, 1]);
    await control().resetCounts();
    expect(await control().requestCount('jwks')).to.equal(0);
  });

  it('serves a second authorization server path with its own issuer, keys and faults', async () => {
    const second = await control().authServer('/oauth2/aus2nd');
    expect(second.issuer).to.equal(new URL(dev().issuer).origin + '/oauth2/aus2nd');
    const discovery = (await get(`${second.issuer}/.well-known/openid-configuration`)).json() as { issuer: string; jwks_uri: string };
    expect(discovery.issuer).to.equal(second.issuer);
    const secondKids = await kids(discovery.jwks_uri);
    expect(secondKids).to.have.length(1);
    expect(await kids()).to.not.include(secondKids[0]);
    expect(decodeJws(await second.mint()).payload.iss).to.equal(second.issuer);
    await second.setFault({ kind: 'status', status: 500 });
    expect([(await get(discovery.jwks_uri)).status, (await get(dev().jwksUri)).status]).to.deep.equal([500, 200]);
    expect((await control().authServer('/oauth2/aus2nd')).issuer).to.equal(second.issuer); // the same server again
    await second.setFault(null);
  });

  it('answers loopback clients only, unless started for a test network', () => {
    const answer = (remoteAddress: string, anyAddress: boolean) => {
      let status = 0;
      const req = { socket: { remoteAddress }, on: () => req } as unknown as http.IncomingMessage;
      const res = { writeHead: (s: number) => ((status = s), res), end: () => res, headersSent: false } as unknown as http.ServerResponse;
      serveControl(req, res, '/keys/current', 'GET', dev(), anyAddress);
      return status;
    };
    expect(answer('192.0.2.7', false)).to.equal(403);
    expect(answer('::ffff:10.1.2.3', false)).to.equal(403);
    // Allowed requests go on to read the body (the stub never ends it): no answer yet, and no 403.
    expect(answer('192.0.2.7', true)).to.equal(0);
    expect(answer('::ffff:127.0.0.1', false)).to.equal(0);
  });
});
