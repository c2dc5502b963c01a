// Issue 12, row 8: with unmatched_requests "deny", a request no rule matches is refused instead of
// being judged by the (usually weaker) top-level policy, and a path that Kong leaves ambiguous for
// upstreams (`;`, `%2F`, `%5C`, a raw `#`, control characters) is refused too. Matching is
// case-sensitive, like Kong's router.
import { expect } from 'chai';
import { securitySuite } from '../support/security-gateway';
import { send } from '../../support/http-client';
import { rawRequest } from '../support/raw-http';

describe('issue 12: rules that fail closed (unmatched_requests "deny")', function () {
  const rules = [
    { methods: ['DELETE'], paths: ['/echo/orders/*'], scopes_required: ['orders:write'] },
    { methods: ['GET'], paths: ['/echo/orders/*'], scopes_required: ['orders:read'] },
    { paths: ['/echo/app/admin', '/echo/app/admin/*'], scopes_required: ['admin'] },
    { paths: ['/echo/app/*'], scopes_required: ['orders:read'] },
    // The suite's liveness probe after each case.
    { methods: ['GET'], paths: ['/echo/alive'] },
  ];
  const { test } = securitySuite({ plugin: { scopes_required: [], rules, unmatched_requests: 'deny' } });

  test('an orders:read token: GET /orders/1 passes; DELETE needs orders:write; variants and unnamed methods are refused', async (sec) => {
    const token = await sec.valid({ scp: ['orders:read'] });
    const bearer: Array<[string, string]> = [['Authorization', `Bearer ${token}`]];
    await sec.accepts(bearer, '/echo/orders/1');
    await sec.refuses('403s', bearer, '/echo/orders/1', 'DELETE');
    for (const path of ['/echo/Orders/1', '/echo/orders.json', '/echo/orders']) {
      const res = await sec.refuses('403s', bearer, path, 'DELETE');
      expect(res.headers['www-authenticate'], path).to.include('No access rule covers this request');
    }
    for (const path of ['/echo/orders;x=1', '/echo/orders%2F1', '/echo/orders%2f1', '/echo/orders%5C1', '/echo/orders/1;x=1']) {
      const res = await sec.refuses('400r', bearer, path, 'DELETE');
      expect(res.headers['www-authenticate'], path).to.include('The request path is ambiguous');
    }
    for (const method of ['PUT', 'PATCH', 'POST']) await sec.refuses('403s', bearer, '/echo/orders/1', method);
    // HEAD: the same refusal, without a body.
    await sec.gw.resetUpstream();
    const head = await send('HEAD', `${sec.proxy}/echo/orders/1`, bearer);
    expect(head.status).to.equal(403);
    expect(head.headers['www-authenticate']).to.include('insufficient_scope');
    expect(await sec.gw.upstreamRequests()).to.have.length(0);
  });

  test('a raw # (upstream URL parsers end the path there), control characters and edge spaces are ambiguous, not judged by /app/*', async (sec) => {
    const token = await sec.valid({ scp: ['orders:read'] });
    sec.secret(token);
    const bearer: Array<[string, string]> = [['Authorization', `Bearer ${token}`]];
    await sec.accepts(bearer, '/echo/app/orders');
    await sec.refuses('403s', bearer, '/echo/app/admin');
    // Node's client and URL drop a fragment: the request line is written as a client may send it.
    for (const target of ['/echo/app/admin#x', '/echo/app/admin/#', '/echo/app/x#/admin']) {
      await sec.gw.resetUpstream();
      const res = await rawRequest(sec.proxy, Buffer.from(`GET ${target} HTTP/1.1\r\nHost: kong\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`), false);
      expect(res.status, `${target}: ${res.text}`).to.equal(400);
      expect(res.text, target).to.include('The request path is ambiguous');
      expect(await sec.gw.upstreamRequests(), target).to.have.length(0);
    }
    for (const path of ['/echo/app/admin%00.json', '/echo/app/ad%09min', '/echo/app/admin%0A', '/echo/app/admin%20', '/echo/app/%20admin']) {
      const res = await sec.refuses('400r', bearer, path);
      expect(res.headers['www-authenticate'], path).to.include('The request path is ambiguous');
    }
    await sec.accepts(bearer, '/echo/app/My%20Report.pdf');
  });

  test('an escaped % (Kong keeps %25) is ambiguous: an upstream or a proxy in front of it that decodes again reads %2561dmin as admin', async (sec) => {
    const bearer: Array<[string, string]> = [['Authorization', `Bearer ${await sec.valid({ scp: ['orders:read'] })}`]];
    for (const path of ['/echo/app/%2561dmin', '/echo/app/admin%252F', '/echo/app/x%252F..%252Fadmin']) {
      const res = await sec.refuses('400r', bearer, path);
      expect(res.headers['www-authenticate'], path).to.include('The request path is ambiguous');
    }
  });

  test('without a token the answer is still 401: authentication comes before the rules', async (sec) => {
    await sec.refuses('401n', [], '/echo/unlisted', 'PUT');
  });
});
