// The doctor and the plugin judge the same request alike: for every refusal class of the
// integration suite, the plugin answers through the Kong double (real plugin server, dev issuer)
// and `okta-jwt doctor` — run through its bin with the same kong.yml, route and token — must
// predict the same status, challenge and reason code, and name the check and config field.
import { expect } from 'chai';
import { decodeProtectedHeader } from 'jose';
import { stringify } from 'yaml';
import { startDevIssuer, type DevIssuer } from '../../../dev/issuer';
import type { Gateway } from '../../support/gateway';
import { send, type HttpResponse } from '../../support/http-client';
import { kongYml, oktaJwtConfig } from '../../support/kong-config';
import { applyConfig, useConfig } from '../../support/apply-config';
import { doctorSuite, failing, runDoctor, type DoctorReport } from './run-doctor';

type TokenInput = 'file' | 'stdin' | 'flag';

interface Case {
  what: string;
  config?: Record<string, unknown>;
  /** The request's header lines; `token` is sent as "Authorization: Bearer <token>". */
  request: (gw: Gateway) => Promise<{ token?: string; headers?: Array<[string, string]> }>;
  input?: TokenInput;
  /** Further doctor flags (e.g. the request's method and path for rules). */
  args?: string[];
  check: string;
  field: string | null;
  reason: string;
}

const now = () => Math.floor(Date.now() / 1000);
const read = ['orders:read'];

describe('okta-jwt doctor explains every refusal class exactly as the plugin decides it', function () {
  const suite = doctorSuite();

  /** The plugin's answer through the gateway, and the reason code it logged (Kong double only). */
  async function pluginAnswer(config: Record<string, unknown>, headers: Array<[string, string]>): Promise<{ res: HttpResponse; logged: string | null }> {
    await useConfig(suite.gw, kongYml(suite.gw, { plugin: config }));
    suite.gw.double?.errorLog.reset();
    const res = await send('GET', `${suite.gw.proxyUrl}/echo/x`, headers);
    const line = suite.gw.double?.errorLog.lines.map((l) => l.message).find((m) => m.includes('okta-jwt refused the request'));
    return { res, logged: line === undefined ? null : (/reason=(\w+)/.exec(line)?.[1] ?? null) };
  }

  async function doctorAnswer(config: Record<string, unknown>, token: string | undefined, headers: Array<[string, string]>, input: TokenInput, extra: string[] = []): Promise<{ code: number | null; report: DoctorReport; stdout: string }> {
    const file = suite.tmp.file('kong.yml', stringify(kongYml(suite.gw, { plugin: config })));
    const args = ['--config', file, '--route', 'protected', '--json', ...extra];
    let stdin = '';
    if (token !== undefined && input === 'file') args.push('--token-file', suite.tmp.file('token.txt', `${token}\n`));
    if (token !== undefined && input === 'flag') args.push('--token', token);
    if (token !== undefined && input === 'stdin') {
      args.push('--token', '-');
      stdin = `Bearer ${token}\n`;
    }
    for (const [name, value] of headers) args.push('--request-header', `${name}: ${value}`);
    const run = await runDoctor(args, stdin);
    expect(run.stderr).to.equal('');
    return { code: run.code, report: run.report(), stdout: run.stdout };
  }

  const cases: Case[] = [
    { what: 'no credential at all', request: async () => ({ headers: [['Accept', 'application/json']] }), check: 'request.token', field: 'token_header', reason: 'token_missing' },
    { what: 'a Basic credential instead of a Bearer token', request: async () => ({ headers: [['Authorization', 'Basic dXNlcjpwYXNz']] }), check: 'request.token', field: 'token_header', reason: 'token_missing' },
    {
      // Two Authorization headers never reach the plugin (nginx's 400, batch3 §2): a header and a cookie do.
      what: 'a token in the header and in the configured cookie',
      config: { token_cookie: 'okta_at' },
      request: async (g) => {
        const t = await g.mint({ scp: read });
        return { headers: [['Authorization', `Bearer ${t}`], ['Cookie', `okta_at=${t}`]] };
      },
      check: 'request.token', field: 'token_header', reason: 'request_invalid',
    },
    { what: 'a malformed token', request: async () => ({ token: 'abc.def' }), check: 'token.grammar', field: null, reason: 'token_malformed' },
    {
      what: 'an expired token', input: 'stdin',
      request: async (g) => ({ token: await g.mint({ scp: read }, { issuedAt: now() - 7200, expiresInSeconds: 3600 }) }),
      check: 'claims.exp', field: 'leeway_seconds', reason: 'token_expired',
    },
    { what: 'a token not valid yet', request: async (g) => ({ token: await g.mint({ scp: read }, { notBeforeSeconds: 600 }) }), check: 'claims.nbf', field: 'leeway_seconds', reason: 'token_not_yet_valid' },
    {
      what: 'a token older than max_token_age_seconds', config: { max_token_age_seconds: 600 },
      request: async (g) => ({ token: await g.mint({ scp: read }, { issuedAt: now() - 1200, expiresInSeconds: 1800 }) }),
      check: 'claims.age', field: 'max_token_age_seconds', reason: 'token_too_old',
    },
    {
      what: 'a token whose lifetime exceeds max_token_age_seconds', config: { max_token_age_seconds: 600 },
      request: async (g) => ({ token: await g.mint({ scp: read }, { expiresInSeconds: 3600 }) }),
      check: 'claims.lifetime', field: 'max_token_age_seconds', reason: 'token_malformed',
    },
    { what: 'a token for another audience', input: 'flag', request: async (g) => ({ token: await g.mint({ scp: read, aud: 'api://other' }) }), check: 'claims.aud', field: 'audiences', reason: 'bad_audience' },
    { what: 'a token from another issuer', request: async (g) => ({ token: await g.mint({ scp: read, iss: 'https://evil.example.com/oauth2/default' }) }), check: 'claims.iss', field: 'issuer', reason: 'bad_issuer' },
    { what: 'a token signed by a key the issuer never published', request: async (g) => ({ token: await g.mint({ scp: read }, { key: 'foreign' }) }), check: 'token.key', field: 'issuer', reason: 'unknown_key' },
    {
      what: 'a token signed by another key under a published kid',
      request: async (g) => {
        const kid = decodeProtectedHeader(await g.mint({ scp: read })).kid as string;
        return { token: await g.mint({ scp: read }, { key: 'foreign', kid }) };
      },
      check: 'token.signature', field: null, reason: 'bad_signature',
    },
    { what: 'a token with an unknown kid', request: async (g) => ({ token: await g.mint({ scp: read }, { kid: 'no-such-kid' }) }), check: 'token.key', field: 'issuer', reason: 'unknown_key' },
    { what: 'an unsigned (alg none) token', request: async (g) => ({ token: await g.mint({ scp: read }, { alg: 'none' }) }), check: 'token.grammar', field: null, reason: 'token_malformed' },
    { what: 'an HS256 token keyed with the public key', request: async (g) => ({ token: await g.mint({ scp: read }, { alg: 'HS256' }) }), check: 'header.alg', field: 'allowed_algorithms', reason: 'bad_algorithm' },
    { what: 'an ID token', request: async (g) => ({ token: await g.mint({ scp: read, nonce: 'n-0S6_WzA2Mj' }) }), check: 'token.type', field: null, reason: 'bad_token_type' },
    { what: 'a token of a client not in client_ids', config: { client_ids: ['0oaOtherClient'] }, request: async (g) => ({ token: await g.mint({ scp: read }) }), check: 'client.cid', field: 'client_ids', reason: 'client_not_allowed' },
    { what: 'a token without the required scope', request: async (g) => ({ token: await g.mint({ scp: ['profile'] }) }), check: 'policy.scopes', field: 'scopes_required', reason: 'scope_missing' },
    {
      what: 'a token without MFA where step-up is required', config: { authentication: { amr_values: ['mfa'] } },
      request: async (g) => ({ token: await g.mint({ scp: read, amr: ['pwd'] }) }),
      check: 'policy.step_up', field: 'authentication.amr_values', reason: 'step_up_required',
    },
    {
      what: 'a token without the scope a matching rule requires', args: ['--method', 'GET', '--path', '/echo/x'],
      config: { rules: [{ methods: ['POST'], scopes_required: ['orders:write'] }, { methods: ['GET'], paths: ['/echo/*'], scopes_required: ['orders:admin'] }] },
      request: async (g) => ({ token: await g.mint({ scp: read }) }),
      check: 'policy.scopes', field: 'rules[2].scopes_required', reason: 'scope_missing',
    },
    {
      what: 'a token whose groups do not match the claim rule',
      config: { claims_required: [{ claim: 'groups', values: ['Admins', 'OrderManagers'] }] },
      request: async (g) => ({ token: await g.mint({ scp: read, groups: ['Everyone'] }) }),
      check: 'policy.claims', field: 'claims_required[1]', reason: 'claim_mismatch',
    },
    {
      what: 'a token carrying a mapped claim with a line break',
      request: async (g) => ({ token: await g.mint({ scp: read, sub: 'alice\r\nX-Admin: true' }) }),
      check: 'headers.X-User-Sub', field: 'claims_to_headers[1].claim', reason: 'claim_unsafe',
    },
  ];

  for (const c of cases) {
    it(`${c.what}: the doctor predicts the plugin's refusal (${c.reason}) and names ${c.check} / ${c.field ?? 'no field'}`, async () => {
      const config = oktaJwtConfig(suite.gw, c.config);
      const { token, headers = [] } = await c.request(suite.gw);
      const sent: Array<[string, string]> = [...headers, ...(token === undefined ? [] : [['Authorization', `Bearer ${token}`] as [string, string]])];
      const plugin = await pluginAnswer(config, sent);
      const doctor = await doctorAnswer(config, token, headers, c.input ?? 'file', c.args);

      expect(doctor.code).to.equal(1);
      const { verdict, explainedBy } = doctor.report;
      expect(verdict.kind).to.equal('deny');
      expect(verdict.status).to.equal(plugin.res.status);
      expect(verdict.wwwAuthenticate ?? undefined).to.equal(plugin.res.headers['www-authenticate']);
      if (suite.gw.double !== null) expect(verdict.reason).to.equal(plugin.logged);
      expect(verdict.reason).to.equal(c.reason);
      expect(explainedBy).to.deep.equal({ check: c.check, field: c.field });
      expect(failing(doctor.report, c.check).reason).to.equal(c.reason);
      if (token !== undefined) {
        expect(doctor.stdout).to.not.include(token);
        if (token.split('.')[2]) expect(doctor.stdout).to.not.include(token.split('.')[2]);
      }
    });
  }

  it('a valid token: the plugin lets it through and the doctor passes every check with exit 0', async () => {
    const config = oktaJwtConfig(suite.gw);
    const token = await suite.gw.mint({ sub: 'alice@example.com', scp: read });
    const plugin = await pluginAnswer(config, [['Authorization', `Bearer ${token}`]]);
    expect(plugin.res.status).to.equal(200);
    const doctor = await doctorAnswer(config, token, [], 'file');
    expect(doctor.code).to.equal(0);
    expect(doctor.report.verdict.kind).to.equal('allow');
    expect(doctor.report.checks.filter((c) => c.status === 'fail')).to.deep.equal([]);
  });

  describe('the Okta org authorization server as issuer', () => {
    let org: DevIssuer;
    before(async () => {
      org = await startDevIssuer({ authServerPath: '' });
    });
    after(async () => org?.close());

    it('Kong refuses the config, and the doctor says why: issuer is the org authorization server', async () => {
      const config = { ...oktaJwtConfig(suite.gw), issuer: org.issuer };
      const res = await applyConfig(suite.gw, kongYml(suite.gw, { plugin: config }));
      expect(res.status).to.equal(400);
      expect(res.text).to.match(/issuer/);

      const file = suite.tmp.file('org.yml', stringify(kongYml(suite.gw, { plugin: config })));
      const run = await runDoctor(['--config', file, '--route', 'protected', '--json', '--token', await org.mint({ scp: read })]);
      expect(run.code).to.equal(1);
      const report = run.report();
      expect(report.verdict.kind).to.equal('config_refused');
      expect(report.explainedBy?.field).to.equal('issuer');
      expect(failing(report, 'issuer.form').detail).to.match(/org authorization server.*\/oauth2\/default/);
      // The org issuer's metadata is reachable and consistent: the form alone is the problem.
      expect(report.checks.find((c) => c.id === 'issuer.discovery')?.status).to.equal('pass');
    });
  });
});
