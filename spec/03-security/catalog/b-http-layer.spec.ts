// Catalogue group B: token acquisition and the HTTP layer (cases 7–18).
import { expect } from 'chai';
import { securitySuite } from '../support/security-gateway';
import { requestWithHeaderBytes } from '../support/raw-http';
import { parts } from '../support/tokens';

describe('security catalogue B: token acquisition and HTTP layer', function () {
  const { test } = securitySuite();

  test('#7 no Authorization header → 401 with a bare Bearer challenge', async (sec) => {
    await sec.refuses('401n', []);
  });

  test('#8 empty credentials ("Bearer", "Bearer ", "Bearer  ") → 400 invalid_request, never an empty token', async (sec) => {
    for (const value of ['Bearer', 'Bearer ', 'Bearer  ', 'bearer\t']) await sec.refuses('400r', [['Authorization', value]]);
  });

  test('#9 the scheme is case-insensitive: bearer, BEARER, BeArEr with a valid token → 200', async (sec) => {
    const token = await sec.valid();
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) await sec.accepts([['Authorization', `${scheme} ${token}`]]);
  });

  test('#10 other schemes or no scheme (Basic, Token, DPoP, a bare JWT) → 401 with a bare Bearer challenge', async (sec) => {
    const token = await sec.valid();
    for (const value of ['Basic YWxpY2U6c2VjcmV0', `Token ${token}`, `DPoP ${token}`, token, `Bearer-${token}`, `Bearertoken${token}`]) {
      await sec.refuses('401n', [['Authorization', value]]);
    }
  });

  test('#11 whitespace games: tab separator or extra words → 400 invalid_request; a comma list → 401 invalid_token; 1*SP and outer spaces → 200', async (sec) => {
    const token = await sec.valid();
    const other = await sec.valid({ sub: 'mallory' });
    await sec.refuses('400r', [['Authorization', `Bearer\t${token}`]]);
    await sec.refuses('400r', [['Authorization', `Bearer ${token} extra`]]);
    await sec.refuses('400r', [['Authorization', `Bearer ${token}, Bearer ${other}`]]);
    await sec.refuses('401i', [['Authorization', `Bearer ${token},${other}`]]);
    // RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token; Node's server drops outer whitespace (RFC 9110 OWS).
    await sec.accepts([['Authorization', `Bearer  ${token}`]]);
    await sec.accepts([['Authorization', ` Bearer ${token}  `]]);
  });

  test('#12 two Authorization headers (same twice, valid + garbage, garbage + valid) → nginx\'s 400 before okta-jwt runs, never proxied', async (sec) => {
    // batch3 §2: nginx keeps Authorization as a unique header line; the plugin never sees the request.
    // Without an Accept header Kong renders nginx's 400 as text/plain (error_default_type, batch4 §4).
    const token = await sec.valid();
    const pairs = [[token, token], [token, 'garbage'], ['garbage', token]];
    for (const [first, second] of pairs) {
      await sec.gw.resetUpstream();
      const res = await sec.request([['Authorization', `Bearer ${first}`], ['Authorization', `Bearer ${second}`]]);
      expect([res.status, res.text.split('\n')[0], res.headers['www-authenticate']], res.text).to.deep.equal([400, 'Bad request', undefined]);
      expect(await sec.gw.upstreamRequests()).to.have.length(0);
    }
  });

  test('#13 token in the header and ?access_token=: ignored query by default (one credential → 200); with token_query_param set → 400 invalid_request', async (sec) => {
    const token = await sec.valid();
    await sec.accepts([['Authorization', `Bearer ${token}`]], `/echo/case?access_token=${token}`);
    await sec.configure({ plugin: { token_query_param: 'access_token' } });
    try {
      await sec.refuses('400r', [['Authorization', `Bearer ${token}`]], `/echo/case?access_token=${token}`);
    } finally {
      await sec.configure();
    }
    // A form body is never read by okta-jwt (it reads headers only), so a body token cannot be a second credential.
  });

  test('#14 token only in the query string (?access_token=, ?jwt=) → 401 bare challenge, and the token is not logged', async (sec) => {
    const token = await sec.valid();
    sec.secret(token);
    await sec.refuses('401n', [], `/echo/case?access_token=${token}`);
    await sec.refuses('401n', [], `/echo/case?jwt=${token}`);
  });

  test('#15 token only in a cookie (token_cookie unset) → 401 bare challenge', async (sec) => {
    const token = await sec.valid();
    sec.secret(token);
    await sec.refuses('401n', [['Cookie', `access_token=${token}; jwt=${token}`]]);
  });

  test('#16 oversized Authorization: the plugin cap answers 401 invalid_token before parsing; 8 KiB … 1 MiB lines are refused by the HTTP front', async (sec) => {
    const token = await sec.valid();
    const { header: h, payload: p, signature: s } = parts(token);
    const padded = (size: number) => `${h}.${p}${'A'.repeat(size - token.length)}.${s}`;
    await sec.configure({ plugin: { max_token_bytes: 2048 } });
    try {
      expect(await sec.oversizedRefused(padded(4096))).to.equal('plugin');
    } finally {
      await sec.configure();
    }
    for (const size of [8 * 1024, 16 * 1024, 64 * 1024, 1024 * 1024]) await sec.oversizedRefused(padded(size));
  });

  test('#17 non-ASCII and control bytes in the header value (UTF-8, NUL, DEL, %00) → refused, never proxied', async (sec) => {
    const token = await sec.valid();
    const lines = [
      Buffer.concat([Buffer.from(`Authorization: Bearer ${token}`), Buffer.from('é', 'utf8')]),
      Buffer.from(`Authorization: Bearer ${token.slice(0, 20)}\u0000${token.slice(20)}`, 'latin1'),
      Buffer.from(`Authorization: Bearer ${token}\u007f`, 'latin1'),
    ];
    for (const line of lines) {
      await sec.gw.resetUpstream();
      const res = await requestWithHeaderBytes(sec.proxy, line);
      // 0: the HTTP front closed the connection without an answer (Node's parser on NUL; nginx answers 400).
      expect([0, 400, 401]).to.include(res.status);
      expect(await sec.gw.upstreamRequests()).to.have.length(0);
    }
    await sec.refuses('401i', [['Authorization', `Bearer ${token}%00`]]);
  });

  test('#18 CORS preflight: with run_on_preflight (default) it needs a token; with it off only a genuine preflight passes', async (sec) => {
    const preflight: Array<[string, string]> = [['Origin', 'https://app.example'], ['Access-Control-Request-Method', 'GET']];
    await sec.refuses('401n', preflight, '/echo/case', 'OPTIONS');
    await sec.configure({ plugin: { run_on_preflight: false } });
    try {
      await sec.gw.resetUpstream();
      const res = await sec.request(preflight, '/echo/case', 'OPTIONS');
      expect(res.status).to.equal(200);
      await sec.refuses('401n', [['Origin', 'https://app.example']], '/echo/case', 'OPTIONS');
      await sec.refuses('401n', preflight, '/echo/case', 'GET');
    } finally {
      await sec.configure();
    }
  });
});
