// Issue 12, rows 5 and 9: one credential means one. A query-parameter token is read from the raw
// query, so a repeat, one hidden past Kong's 100 parsed arguments, or one after a `;` is refused;
// hide_credentials removes the token from where it came; a request whose query names the token
// parameter gets no kong.log line (nginx would append its request line, token included); a token
// with any `cnf` is refused. Through the double and the real plugin server.
import { expect } from 'chai';
import { pdkMethods, securitySuite, type SecurityGateway } from '../support/security-gateway';

interface Echoed {
  url: string;
  headers: Record<string, string>;
}

async function echoed(sec: SecurityGateway, headers: Array<[string, string]>, path: string): Promise<Echoed> {
  await sec.gw.resetUpstream();
  const res = await sec.request(headers, path);
  expect(res.status, res.text).to.equal(200);
  return res.json<Echoed>();
}

describe('issue 12: one credential means one', function () {
  const { test } = securitySuite({ plugin: { token_query_param: 'access_token', token_cookie: 'at' } });

  test('a repeated token parameter, a second token past 100 query arguments, or one after a ; → 400 invalid_request', async (sec) => {
    const valid = await sec.valid();
    const forged = `${valid.slice(0, -4)}AAAA`;
    sec.secret(valid, forged);
    const filler = Array.from({ length: 100 }, (_, i) => `f${i}=1`).join('&');
    await sec.refuses('400r', [], `/echo/case?access_token=${valid}&access_token=${forged}`);
    await sec.refuses('400r', [['Authorization', `Bearer ${valid}`]], `/echo/case?${filler}&access_token=${forged}`);
    await sec.refuses('400r', [['Authorization', `Bearer ${valid}`]], `/echo/case?x=1;access_token=${forged}`);
    await sec.refuses('400r', [], `/echo/case?access%5Ftoken=${valid}&access_token=${forged}`);
    // One token in the query, alone, still works (the route strips /echo).
    expect((await echoed(sec, [], `/echo/case?access_token=${valid}`)).url).to.equal(`/case?access_token=${valid}`);
  });

  test('hide_credentials removes a query token from the query and a cookie token from the Cookie header', async (sec) => {
    await sec.configure({ plugin: { token_query_param: 'access_token', token_cookie: 'at', hide_credentials: true } });
    try {
      const valid = await sec.valid();
      const fromQuery = await echoed(sec, [], `/echo/case?a=1&access_token=${valid}&b=%2F`);
      expect(fromQuery.url).to.equal('/case?a=1&b=%2F');
      expect((await echoed(sec, [], `/echo/case?access_token=${valid}`)).url).to.equal('/case');
      const fromCookie = await echoed(sec, [['Cookie', `a=1; at=${valid}; b=2`]], '/echo/case');
      expect(fromCookie.headers.cookie).to.equal('a=1; b=2');
      expect((await echoed(sec, [['Cookie', `at=${valid}`]], '/echo/case')).headers).to.not.have.property('cookie');
      expect((await echoed(sec, [['Authorization', `Bearer ${valid}`]], '/echo/case?keep=1')).headers).to.not.have.property('authorization');
    } finally {
      await sec.configure({ plugin: { token_query_param: 'access_token', token_cookie: 'at' } });
    }
  });

  test('hide_credentials removes every spelling upstreams fold to a source\'s name (PHP, Rack, CGI, case-insensitive readers), with no PDK call when none is sent', async (sec) => {
    const plugin = { token_header: 'x-api-token', token_query_param: 'access_token', token_cookie: 'okta_at', hide_credentials: true };
    await sec.configure({ plugin });
    try {
      const valid = await sec.valid();
      const forged = `${valid.slice(0, -4)}AAAA`;
      sec.secret(valid, forged);
      const spellings = ['access.token', 'access+token', 'access%20token', 'access[token', 'access_token[]', 'access_token[x]', 'ACCESS_TOKEN', 'access_token%00', '%41ccess%2Etoken', '%20access_token', 'acce%C5%BF%C5%BF_token'];
      const query = `keep=1&${spellings.map((name) => `${name}=${forged}`).join('&')}&x=1;access.token=${forged}`;
      const cookies = `keep=1; okta.at=${forged}; OKTA_AT=${forged}; a=b, okta_at=${forged}; okta%5Fat=${forged}; okta_at[]=${forged}`;
      const upstream = await echoed(sec, [['X-Api-Token', `Bearer ${valid}`], ['X_Api_Token', `Bearer ${forged}`], ['Cookie', cookies]], `/echo/case?${query}`);
      expect(upstream.url).to.equal('/case?keep=1&x=1');
      expect(upstream.headers.cookie).to.equal('keep=1; a=b');
      expect(JSON.stringify(upstream)).to.not.include(forged.slice(-40));
      expect(JSON.stringify(upstream)).to.not.include(valid.slice(-40));
      expect(Object.keys(upstream.headers).filter((name) => /api.token/i.test(name))).to.deep.equal([]);
      // A request without such spellings costs what it did: the token header redacted from the log
      // serializer (a token_header request), the raw query (token_query_param) and set_headers.
      const double = sec.gw.double!;
      double.rpcLog.reset();
      await echoed(sec, [['X-Api-Token', `Bearer ${valid}`], ['Cookie', 'keep=1']], '/echo/case?keep=1');
      expect(pdkMethods(double)).to.deep.equal(['kong.request.get_headers', 'kong.log.set_serialize_value', 'kong.request.get_raw_query', 'kong.service.request.set_headers', 'kong.service.request.clear_header']);
    } finally {
      await sec.configure({ plugin: { token_query_param: 'access_token', token_cookie: 'at' } });
    }
  });

  test('a refused request whose query holds the token parameter writes no log line (only the serializer value)', async (sec) => {
    await sec.configure({ plugin: { token_query_param: 'access_token', refusal_log_level: 'warn' } });
    try {
      const double = sec.gw.double!;
      const expired = await sec.valid({ exp: Math.floor(Date.now() / 1000) - 600, iat: Math.floor(Date.now() / 1000) - 1200 });
      sec.secret(expired);
      double.rpcLog.reset();
      const logMark = double.errorLog.lines.length;
      await sec.refuses('401i', [], `/echo/case?access_token=${expired}`);
      await sec.refuses('400r', [], `/echo/case?access_token=${expired}&access_token=x`);
      const calls = pdkMethods(double);
      expect(calls.filter((m) => m.startsWith('kong.log.') && m !== 'kong.log.set_serialize_value'), calls.join(',')).to.deep.equal([]);
      expect(calls.filter((m) => m === 'kong.log.set_serialize_value')).to.have.length(2);
      expect(double.errorLog.lines.slice(logMark).filter((l) => l.message.includes('[okta-jwt] okta-jwt'))).to.deep.equal([]);
      // The same refusal with the token in the header is logged as usual.
      await sec.bearerRefused('401i', expired);
      expect(double.errorLog.lines.slice(logMark).some((l) => l.message.includes('reason=token_expired'))).to.equal(true);
    } finally {
      await sec.configure({ plugin: { token_query_param: 'access_token', token_cookie: 'at' } });
    }
  });

  test('a token with any cnf confirmation method (jwk, kid, jkt) → 401 invalid_token: no proof of possession is verified', async (sec) => {
    for (const cnf of [{ jwk: { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' } }, { kid: 'key-1' }, { jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I' }]) {
      const res = await sec.bearerRefused('401i', await sec.valid({ cnf }));
      expect(res.headers['www-authenticate']).to.include('bound to a key');
    }
  });
});
