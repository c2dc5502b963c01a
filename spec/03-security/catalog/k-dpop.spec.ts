// Catalogue group K (added with issue 17): DPoP, RFC 9449 (cases 109–128). okta-jwt with dpop.mode
// "allowed" and the request URI taken from Kong (get_forwarded_scheme/host/port and the raw path),
// through the Kong double and the real plugin server: every proof a resource server must refuse
// (§4.3, §7.1) is refused with the DPoP challenge, never reaches the upstream, leaks nothing.
import { expect } from 'chai';
import { exportJWK } from 'jose';
import { accessTokenHash, createDpopKey, dpopProof, type DpopKey, type ProofOptions } from '../../../dev/dpop-proof';
import { expectDpopChallenge, pdkCalls } from '../../02-integration/okta-jwt/assertions';
import { securitySuite, type SecurityGateway } from '../support/security-gateway';

describe('security catalogue K: DPoP-bound tokens (RFC 9449)', function () {
  const { test } = securitySuite({ plugin: { dpop: { mode: 'allowed' } } });
  let key: DpopKey;

  before(async () => {
    key = await createDpopKey('ES256');
  });

  const PATH = '/echo/case';
  const htu = (sec: SecurityGateway, path = PATH) => `${sec.proxy}${path}`;
  const bound = (sec: SecurityGateway, claims: Record<string, unknown> = {}, by: DpopKey = key) => sec.valid({ cnf: { jkt: by.jkt }, ...claims });
  const proof = (sec: SecurityGateway, token: string | undefined, over: Partial<ProofOptions> = {}, by: DpopKey = key) =>
    dpopProof(by, { htm: 'GET', htu: htu(sec), accessToken: token, ...over });
  const dpopRequest = (token: string, proofs: string[]): Array<[string, string]> => [['Authorization', `DPoP ${token}`], ...proofs.map((p): [string, string] => ['DPoP', p])];

  test('#109 a DPoP-bound token with a valid proof is let through; the upstream sees the DPoP credential', async (sec) => {
    const token = await bound(sec);
    sec.gw.double!.rpcLog.reset();
    const upstream = await sec.accepts(dpopRequest(token, [await proof(sec, token)]));
    expect(upstream.headers.authorization).to.equal(`DPoP ${token}`);
    expect(upstream.headers['x-user-sub']).to.equal('dev.user@example.com');
    // Without external_base_url the URI comes from Kong: three forwarded getters and the raw path.
    expect(pdkCalls(sec.gw)).to.deep.equal([
      'kong.request.get_headers', 'kong.request.get_method', 'kong.request.get_forwarded_scheme', 'kong.request.get_forwarded_host',
      'kong.request.get_forwarded_port', 'kong.request.get_path_with_query', 'kong.service.request.set_headers', 'ret',
    ]);
  });

  const refusals: Array<[string, (sec: SecurityGateway, token: string) => Promise<Array<[string, string]>>, '401p' | '401d', RegExp]> = [
    ['#110 a proof for another method (htm)', async (sec, t) => dpopRequest(t, [await proof(sec, t, { htm: 'POST' })]), '401p', /another HTTP method/],
    ['#111 a proof for another URI (htu)', async (sec, t) => dpopRequest(t, [await proof(sec, t, { htu: htu(sec, '/echo/other') })]), '401p', /another URI/],
    ['#112 a proof for another access token (ath)', async (sec, t) => dpopRequest(t, [await proof(sec, t, { claims: { ath: accessTokenHash(`${t}x`) } })]), '401p', /another access token/],
    ['#113 a stale proof (iat past the lifetime)', async (sec, t) => dpopRequest(t, [await proof(sec, t, { claims: { iat: Math.floor(Date.now() / 1000) - 600 } })]), '401p', /too old/],
    ['#114 a proof issued in the future', async (sec, t) => dpopRequest(t, [await proof(sec, t, { claims: { iat: Math.floor(Date.now() / 1000) + 600 } })]), '401p', /in the future/],
    ['#115 a proof with a symmetric jwk', async (sec, t) => dpopRequest(t, [await proof(sec, t, { header: { jwk: { kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0' } } })]), '401p', /asymmetric public key/],
    ['#116 a proof whose jwk holds the private key', async (sec, t) => dpopRequest(t, [await proof(sec, t, { header: { jwk: await exportJWK(key.privateKey) } })]), '401p', /private key material/],
    ['#117 a proof signed with an algorithm off the allow-list (EdDSA)', async (sec, t) => {
      const ed = await createDpopKey('EdDSA');
      return dpopRequest(t, [await proof(sec, t, {}, ed)]);
    }, '401p', /algorithm is not accepted/],
    ['#118 a proof typed JWT instead of dpop+jwt', async (sec, t) => dpopRequest(t, [await proof(sec, t, { header: { typ: 'JWT' } })]), '401p', /typ dpop\+jwt/],
    ['#119 a proof whose jwk did not sign it', async (sec, t) => {
      const other = await createDpopKey('ES256');
      return dpopRequest(t, [await proof(sec, t, { header: { jwk: other.publicJwk } })]);
    }, '401p', /signature is invalid/],
    ['#120 two DPoP headers', async (sec, t) => dpopRequest(t, [await proof(sec, t), await proof(sec, t)]), '401p', /Exactly one DPoP proof/],
    ['#121 the DPoP scheme without a proof', async (_sec, t) => dpopRequest(t, []), '401p', /proof is missing/],
    ['#122 a proof by another key than the token is bound to (thumbprint mismatch)', async (sec, t) => {
      const other = await createDpopKey('ES256');
      return dpopRequest(t, [await proof(sec, t, {}, other)]);
    }, '401d', /bound to another DPoP key/],
  ];
  for (const [title, make, expected, description] of refusals) {
    test(`${title} is refused`, async (sec) => {
      const token = await bound(sec);
      const res = await sec.refuses(expected, await make(sec, token), PATH);
      expect(String(res.headers['www-authenticate'])).to.match(new RegExp(`error_description="[^"]*${description.source}`));
    });
  }

  test('#123 a replayed proof (same jti) is refused the second time', async (sec) => {
    const token = await bound(sec);
    const headers = dpopRequest(token, [await proof(sec, token)]);
    await sec.accepts(headers);
    await sec.refuses('401p', headers, PATH);
  });

  test('#124 a proof without a token, or beside a bearer token, is refused', async (sec) => {
    await sec.refuses('401p', [['DPoP', await proof(sec, undefined)]], PATH);
    const unbound = await sec.valid();
    await sec.refuses('401p', [['Authorization', `Bearer ${unbound}`], ['DPoP', await proof(sec, unbound)]], PATH);
  });

  test('#125 a DPoP-bound token sent with the Bearer scheme is refused, even after it was used with a proof', async (sec) => {
    const token = await bound(sec);
    await sec.bearerRefused('401i', token);
    await sec.accepts(dpopRequest(token, [await proof(sec, token)]));
    const res = await sec.bearerRefused('401i', token);
    expect(String(res.headers['www-authenticate'])).to.match(/bound to a key/);
  });

  test('#126 the DPoP scheme with an unbound token, or a cnf other than jkt, is refused', async (sec) => {
    const unbound = await sec.valid();
    await sec.refuses('401d', dpopRequest(unbound, [await proof(sec, unbound)]), PATH);
    const mtls = await sec.valid({ cnf: { jkt: key.jkt, 'x5t#S256': 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2' } });
    await sec.refuses('401d', dpopRequest(mtls, [await proof(sec, mtls)]), PATH);
  });

  test('#127 with dpop.mode "required", bearer tokens are refused with a DPoP challenge and DPoP still works', async (sec) => {
    await sec.configure({ plugin: { dpop: { mode: 'required' } } });
    try {
      await sec.refuses('401d', [['Authorization', `Bearer ${await sec.valid()}`]], PATH);
      const token = await bound(sec);
      await sec.accepts(dpopRequest(token, [await proof(sec, token)]));
    } finally {
      await sec.configure({ plugin: { dpop: { mode: 'allowed' } } });
    }
  });

  test('#128 with dpop.require_nonce, a proof without the server nonce is refused with use_dpop_nonce and a nonce, the retry with it passes', async (sec) => {
    await sec.configure({ plugin: { dpop: { mode: 'allowed', require_nonce: true, nonce_secret: 'n'.repeat(32) } } });
    try {
      const token = await bound(sec);
      await sec.gw.resetUpstream();
      const res = await sec.request(dpopRequest(token, [await proof(sec, token)]), PATH);
      expectDpopChallenge(res, 'use_dpop_nonce');
      expect(await sec.gw.upstreamRequests()).to.have.length(0);
      const nonce = String(res.headers['dpop-nonce']);
      expect(nonce).to.match(/^[0-9a-z]+\.[A-Za-z0-9_-]{43}$/);
      await sec.refuses('401p', dpopRequest(token, [await proof(sec, token, { claims: { nonce } })]), '/echo/other');
      await sec.accepts(dpopRequest(token, [await proof(sec, token, { claims: { nonce } })]));
    } finally {
      await sec.configure({ plugin: { dpop: { mode: 'allowed' } } });
    }
  });
});
