import { expect } from 'chai';
import http from 'node:http';
import { startDevIssuer } from '../../../dev/issuer';
import { get, postJson, useDevIssuer } from './helpers';

/** A raw GET that reports how the exchange ended: a status, a socket error code, or a client timeout. */
function rawGet(url: string, timeoutMs: number): Promise<{ status?: number; error?: string; timedOut?: boolean }> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode }));
    });
    req.setTimeout(timeoutMs, () => {
      req.destroy();
      resolve({ timedOut: true });
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
  });
}

describe('dev issuer: fault injection on discovery and key-set endpoints', () => {
  const dev = useDevIssuer();
  const discoveryUrl = () => `${dev().issuer}/.well-known/openid-configuration`;
  afterEach(() => dev().setFault(null));

  it('answers the injected status on both endpoints, and normally once cleared', async () => {
    dev().setFault({ kind: 'status', status: 503 });
    expect((await get(dev().jwksUri)).status).to.equal(503);
    expect((await get(discoveryUrl())).status).to.equal(503);
    expect((await get(dev().jwksUri)).headers.get('cache-control')).to.equal(null);
    dev().setFault(null);
    expect((await get(dev().jwksUri)).status).to.equal(200);
  });

  it('limits a fault to one endpoint with `on`', async () => {
    dev().setFault({ kind: 'status', status: 500, on: 'jwks' });
    expect((await get(dev().jwksUri)).status).to.equal(500);
    expect((await get(discoveryUrl())).status).to.equal(200);
    dev().setFault({ kind: 'status', status: 404, on: 'discovery' });
    expect((await get(dev().jwksUri)).status).to.equal(200);
    expect((await get(discoveryUrl())).status).to.equal(404);
  });

  it('garbage: 200 application/json whose body is not JSON', async () => {
    dev().setFault({ kind: 'garbage' });
    const res = await get(dev().jwksUri);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.equal('application/json');
    expect(() => res.json()).to.throw(SyntaxError);
  });

  it('wrong-shape: valid JSON whose members have the wrong types', async () => {
    dev().setFault({ kind: 'wrong-shape' });
    const jwks = (await get(dev().jwksUri)).json() as { keys: unknown };
    expect(jwks.keys).to.be.an('object').and.not.to.be.an('array');
    const discovery = (await get(discoveryUrl())).json() as { issuer: unknown; jwks_uri: unknown };
    expect(discovery.issuer).to.be.a('number');
    expect(discovery.jwks_uri).to.be.an('array');
  });

  it('slow: the normal answer, after the delay', async () => {
    dev().setFault({ kind: 'slow', delayMs: 300 });
    const started = Date.now();
    const res = await get(dev().jwksUri);
    expect(Date.now() - started).to.be.at.least(290);
    expect((res.json() as { keys: unknown[] }).keys).to.have.length(1);
  });

  it('huge: a valid key set padded to the requested size', async () => {
    dev().setFault({ kind: 'huge', bytes: 2 * 1024 * 1024 });
    const res = await get(dev().jwksUri);
    expect(Buffer.byteLength(res.text)).to.equal(2 * 1024 * 1024);
    expect(res.headers.get('content-length')).to.equal(String(2 * 1024 * 1024));
    expect((res.json() as { keys: unknown[] }).keys).to.have.length(1);
  });

  it('refuse: the connection is closed without an answer', async () => {
    dev().setFault({ kind: 'refuse' });
    expect(await rawGet(dev().jwksUri, 2000)).to.deep.equal({ error: 'ECONNRESET' });
  });

  it('hang: no answer until the client gives up; close() still ends promptly', async () => {
    const hanging = await startDevIssuer();
    hanging.setFault({ kind: 'hang' });
    const pending = rawGet(hanging.jwksUri, 60_000);
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    await hanging.close();
    expect(Date.now() - started).to.be.below(1000);
    expect((await pending).error).to.equal('ECONNRESET');
    dev().setFault({ kind: 'hang' });
    expect(await rawGet(dev().jwksUri, 300)).to.deep.equal({ timedOut: true });
  });

  it('never disturbs the token endpoints', async () => {
    dev().setFault({ kind: 'refuse' });
    expect((await postJson(`${dev().issuer}/v1/dev/mint`, {})).status).to.equal(200);
  });

  it('rejects faults with impossible parameters', () => {
    expect(() => dev().setFault({ kind: 'status', status: 600 })).to.throw(RangeError);
    expect(() => dev().setFault({ kind: 'slow', delayMs: -1 })).to.throw(RangeError);
    expect(() => dev().setFault({ kind: 'huge', bytes: 1.5 })).to.throw(RangeError);
  });

  it('close() cancels a slow answer still pending', async () => {
    const slow = await startDevIssuer();
    slow.setFault({ kind: 'slow', delayMs: 30_000 });
    const pending = rawGet(slow.jwksUri, 60_000);
    await new Promise((r) => setTimeout(r, 100));
    await slow.close();
    expect((await pending).error).to.equal('ECONNRESET');
  });
});

describe('dev issuer: request counting', () => {
  const dev = useDevIssuer();

  it('counts discovery (all three paths), key-set and all requests, faulted ones included, until reset', async () => {
    await get(`${dev().issuer}/.well-known/openid-configuration`);
    await get(`${dev().issuer}/.well-known/oauth-authorization-server`);
    await get(`${dev().localBaseUrl}/.well-known/oauth-authorization-server/oauth2/default`);
    await get(dev().jwksUri);
    dev().setFault({ kind: 'status', status: 500 });
    await get(dev().jwksUri);
    dev().setFault(null);
    await get(`${dev().issuer}/elsewhere`);
    expect(dev().requestCount('discovery')).to.equal(3);
    expect(dev().requestCount('jwks')).to.equal(2);
    expect(dev().requestCount('all')).to.equal(6);
    expect(dev().requestCount()).to.equal(6);
    dev().resetCounts();
    expect([dev().requestCount('discovery'), dev().requestCount('jwks'), dev().requestCount()]).to.deep.equal([0, 0, 0]);
  });
});
