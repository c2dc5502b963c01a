// Issue 12, row 9: refusal logs never cause a token to reach any log. nginx appends the request line
// (query string included) to every error.log line written during a request, and the double does
// the same, so any kong.log line of a request carrying a token in its request line would write it.
// Through the double and the real plugin server.
import { expect } from 'chai';
import { pdkMethods, securitySuite, type SecurityGateway } from '../support/security-gateway';

/** The okta-jwt lines the error log got since `mark`. */
async function oktaLines(sec: SecurityGateway, mark: number): Promise<string[]> {
  const double = sec.gw.double!;
  await double.logsSettled();
  return double.errorLog.lines.slice(mark).map((l) => l.message).filter((m) => m.includes('[okta-jwt] okta-jwt'));
}

/** A JWT-shaped value that is no token of any issuer: header {"alg":"none"}, a payload, a fake signature. */
const JWT_SHAPED = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJzb21lb25lLWVsc2UifQ.bm90LWEtc2lnbmF0dXJlLWF0LWFsbA';

describe('issue 12: a token in the request line never reaches the error log', function () {
  const { test } = securitySuite({ plugin: { refusal_log_level: 'warn' } });

  test('the double writes nginx\'s request context after each plugin log line (so the checks below can fail)', async (sec) => {
    const mark = sec.gw.double!.errorLog.lines.length;
    await sec.refuses('401n', [], '/echo/case?page=2');
    const lines = await oktaLines(sec, mark);
    expect(lines, lines.join('\n')).to.have.length(1);
    expect(lines[0]).to.match(/reason=\w+.*, client: [^,]+, server: kong, request: "GET \/echo\/case\?page=2 HTTP\/1\.1", host: "[^"]+"$/);
  });

  test('a refused request with a real token under a query parameter okta-jwt does not read: no log line holds it', async (sec) => {
    const token = await sec.valid();
    sec.secret(token);
    const mark = sec.gw.double!.errorLog.lines.length;
    await sec.refuses('401n', [], `/echo/case?jwt=${token}`);
    await sec.refuses('401n', [], `/echo/case?a=1&id_token=${token.replace(/\./g, '%2E')}`);
    await sec.refuses('401n', [], `/echo/${token}`);
    const lines = await oktaLines(sec, mark);
    expect(lines.filter((l) => l.includes(token.split('.')[2]!) || l.includes(token.split('.')[0]!)), lines.join('\n')).to.deep.equal([]);
  });

  test('a Referer is logged as nginx does, and a refused request whose Referer holds a token writes no line', async (sec) => {
    const token = await sec.valid();
    sec.secret(token);
    const mark = sec.gw.double!.errorLog.lines.length;
    await sec.refuses('401n', [['Referer', 'https://app.example.com/orders?page=2']]);
    await sec.refuses('401n', [['Referer', `https://app.example.com/cb?access_token=${token}`]]);
    await sec.refuses('401n', [['Referer', `https://app.example.com/cb#id_token=${token}`]]);
    const lines = await oktaLines(sec, mark);
    expect(lines, lines.join('\n')).to.have.length(1);
    expect(lines[0]).to.match(/, host: "[^"]+", referrer: "https:\/\/app\.example\.com\/orders\?page=2"$/);
  });

  test('a refused request with a JWT-shaped value in the query: no log line holds it', async (sec) => {
    sec.secret(JWT_SHAPED);
    const mark = sec.gw.double!.errorLog.lines.length;
    await sec.refuses('401n', [], `/echo/case?state=${JWT_SHAPED}`);
    const lines = await oktaLines(sec, mark);
    expect(lines.filter((l) => l.includes('bm90LWEtc2lnbmF0dXJl')), lines.join('\n')).to.deep.equal([]);
  });

  test('with token_query_param set, a token under another parameter name is not logged either', async (sec) => {
    await sec.configure({ plugin: { refusal_log_level: 'warn', token_query_param: 'access_token' } });
    try {
      const token = await sec.valid({ aud: 'api://other' });
      sec.secret(token);
      const mark = sec.gw.double!.errorLog.lines.length;
      await sec.refuses('401n', [], `/echo/case?token=${token}`);
      expect(await oktaLines(sec, mark)).to.deep.equal([]);
    } finally {
      await sec.configure({ plugin: { refusal_log_level: 'warn' } });
    }
  });

  test('dry run: the would-refuse line is not logged for a request line holding a token', async (sec) => {
    await sec.configure({ plugin: { refusal_log_level: 'warn', dry_run: true } });
    try {
      const token = await sec.valid({ aud: 'api://other' });
      sec.secret(token);
      const mark = sec.gw.double!.errorLog.lines.length;
      await sec.gw.resetUpstream();
      expect((await sec.request([], `/echo/case?jwt=${token}`)).status).to.equal(200);
      expect(await oktaLines(sec, mark)).to.deep.equal([]);
      // Without the token the dry-run line is there.
      expect((await sec.request([], '/echo/case?page=2')).status).to.equal(200);
      expect((await oktaLines(sec, mark)).some((l) => l.includes('dry-run'))).to.equal(true);
    } finally {
      await sec.configure({ plugin: { refusal_log_level: 'warn' } });
    }
  });

  test('PDK calls: the valid-token path reads nothing more; a logged refusal reads the request line once; refusal_log_level none reads nothing', async (sec) => {
    const double = sec.gw.double!;
    const token = await sec.valid();
    double.rpcLog.reset();
    await sec.accepts([['Authorization', `Bearer ${token}`]], '/echo/case?jwt=x.y.z');
    expect(pdkMethods(double)).to.deep.equal(['kong.request.get_headers', 'kong.service.request.set_headers']);
    double.rpcLog.reset();
    await sec.refuses('401n', [], '/echo/case?page=2');
    expect(pdkMethods(double)).to.deep.equal([
      'kong.request.get_headers', 'kong.request.get_path_with_query', 'kong.log.warn', 'kong.log.set_serialize_value', 'kong.response.exit',
    ]);
    await sec.configure({ plugin: { refusal_log_level: 'none' } });
    try {
      double.rpcLog.reset();
      await sec.refuses('401n', [], `/echo/case?jwt=${token}`);
      expect(pdkMethods(double)).to.deep.equal(['kong.request.get_headers', 'kong.log.set_serialize_value', 'kong.response.exit']);
    } finally {
      await sec.configure({ plugin: { refusal_log_level: 'warn' } });
    }
  });
});
