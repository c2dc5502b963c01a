// Catalogue group G: claim → upstream header mapping and upstream hygiene (cases 84–93).
import { expect } from 'chai';
import { securitySuite, type SecurityGateway } from '../support/security-gateway';
import { coveredBy } from '../support/covered-elsewhere';
import { kongYml } from '../../support/kong-config';
import { applyConfig } from '../../support/apply-config';

describe('security catalogue G: claim → header mapping and upstream hygiene', function () {
  const { test } = securitySuite();

  const mint = (sec: SecurityGateway, claims: Record<string, unknown> = {}, omit: string[] = []) =>
    sec.gw.mint({ scp: ['orders:read'], ...claims }, { omit });
  const bearer = (token: string): [string, string] => ['Authorization', `Bearer ${token}`];
  const SPOOFS: Array<[string, string]> = [['X-User-Sub', 'admin'], ['X-Token-Scopes', 'admin:all'], ['X-Client-Id', 'trusted-client'], ['X-User-Email', 'root@example.com']];

  /** Every line the upstream received for `name` (any case). */
  const linesOf = (rawHeaders: string[], name: string) => rawHeaders.filter((_, i) => i % 2 === 0 && rawHeaders[i].toLowerCase() === name).length;

  test('#84 spoofed identity headers with a valid token: the upstream sees only plugin-derived values, and headers of absent claims are cleared', async (sec) => {
    const echoed = await sec.accepts([bearer(await mint(sec, { sub: 'alice' })), ...SPOOFS]);
    expect(echoed.headers['x-user-sub']).to.equal('alice');
    expect(echoed.headers['x-token-scopes']).to.equal('orders:read');
    expect(echoed.headers['x-client-id']).to.equal('0oa1devclientid');
    expect(echoed.headers).to.not.have.property('x-user-email');
  });

  test('#85 spoofed identity headers with no token or an invalid one → 401, nothing reaches the upstream', async (sec) => {
    await sec.refuses('401n', SPOOFS);
    await sec.refuses('401i', [bearer('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJl'), ...SPOOFS]);
  });

  test('#86 name variants (x-user-sub, X-USER-SUB, duplicate lines) never reach the upstream as identity; X_User_Sub is not the mapped header', async (sec) => {
    const token = await mint(sec, { sub: 'alice' });
    const echoed = (await sec.accepts([bearer(token), ['x-user-sub', 'a'], ['X-USER-SUB', 'b'], ['X-User-Sub', 'c'], ['x-user-email', 'd'], ['X-User-Email', 'e']])) as {
      headers: Record<string, string>;
      rawHeaders: string[];
    };
    expect(echoed.headers['x-user-sub']).to.equal('alice');
    expect(linesOf(echoed.rawHeaders, 'x-user-sub')).to.equal(1);
    expect(linesOf(echoed.rawHeaders, 'x-user-email')).to.equal(0);
    // nginx drops header names with underscores by default (underscores_in_headers off); behind
    // Kong an upstream that folds "_" into "-" never sees it. The double forwards it, so it is only
    // checked not to displace the real header.
    const underscored = (await sec.accepts([bearer(token), ['X_User_Sub', 'admin']])) as { headers: Record<string, string> };
    expect(underscored.headers['x-user-sub']).to.equal('alice');
  });

  test('#87 CR/LF in a mapped claim value (sub, nested profile.email) → 401 invalid_token, never written', async (sec) => {
    for (const claims of [{ sub: 'u\r\nX-Admin: true' }, { sub: 'u\nX-Admin: true' }, { sub: 'u\r' }, { profile: { email: 'a@b\r\nX-Admin: 1' } }]) {
      await sec.bearerRefused('401i', await mint(sec, claims));
    }
  });

  test('#88 non-ASCII is percent-encoded deterministically (U+202E, homoglyphs, "%"); NUL, DEL and other controls → 401 invalid_token', async (sec) => {
    const cases: Array<[string, string]> = [['\u202Eevil', '%E2%80%AEevil'], ['аlice', '%D0%B0lice'], ['é', '%C3%A9'], ['100%', '100%25']];
    for (const [sub, header] of cases) {
      const echoed = await sec.accepts([bearer(await mint(sec, { sub }))]);
      expect(echoed.headers['x-user-sub']).to.equal(header);
      expect(decodeURIComponent(header)).to.equal(sub);
    }
    for (const sub of ['a\u0000b', 'a\u007fb', 'a\u0007b', 'a\tb']) await sec.bearerRefused('401i', await mint(sec, { sub }));
  });

  test('#88 characters outside the BMP (emoji) in a mapped claim are percent-encoded like other non-ASCII text', async (sec) => {
    const echoed = await sec.accepts([bearer(await mint(sec, { sub: 'bob😀' }))]);
    expect(echoed.headers['x-user-sub']).to.equal('bob%F0%9F%98%80');
  });

  test('#89 large claims that fit a token are forwarded whole, never truncated (4 KiB sub, 400 groups)', async (sec) => {
    const sub = 's'.repeat(4096);
    const echoed = await sec.accepts([bearer(await mint(sec, { sub }))]);
    expect(echoed.headers['x-user-sub']).to.equal(sub);
    await sec.configure({ plugin: sec.pluginConfig({ claims_to_headers: [{ claim: 'groups', header: 'X-Groups' }] }) });
    try {
      const groups = Array.from({ length: 400 }, (_, i) => `g${i}`);
      const grouped = await sec.accepts([bearer(await mint(sec, { groups }))]);
      expect(grouped.headers['x-groups']).to.equal(groups.join(', '));
    } finally {
      await sec.configure();
    }
  });
  coveredBy('#89 values over the per-header cap are refused, not truncated', 'spec/01-unit/plugin/claim-headers.spec.ts', ['refuses values it cannot encode or that exceed the size cap, rather than truncating']);

  test('#90 non-string claims are written deterministically: arrays joined with ", ", objects as compact JSON, numbers and booleans as text', async (sec) => {
    const mapped = [['groups', 'X-Groups'], ['profile', 'X-Profile'], ['flag', 'X-Flag'], ['level', 'X-Level'], ['nested', 'X-Nested']].map(([claim, header]) => ({ claim, header }));
    await sec.configure({ plugin: sec.pluginConfig({ claims_to_headers: mapped }) });
    try {
      const token = await mint(sec, { groups: ['a', 'b'], profile: { email: 'e@x', n: 1 }, flag: true, level: 3.5, nested: [['x'], { y: 1 }] });
      const echoed = await sec.accepts([bearer(token)]);
      expect(echoed.headers['x-groups']).to.equal('a, b');
      expect(echoed.headers['x-profile']).to.equal('{"email":"e@x","n":1}');
      expect(echoed.headers['x-flag']).to.equal('true');
      expect(echoed.headers['x-level']).to.equal('3.5');
      expect(echoed.headers['x-nested']).to.equal('["x"], {"y":1}');
      expect(Object.values(echoed.headers).join('\n')).to.not.include('[object Object]');
    } finally {
      await sec.configure();
    }
  });

  test('#91 mapping config that targets reserved headers is refused (config 400, or the instance never starts: 500, never proxied)', async (sec) => {
    for (const header of ['Host', 'Content-Length', 'Transfer-Encoding', 'Connection', 'Authorization', 'X-Forwarded-For', 'X-Forwarded-Host', ':authority']) {
      const plugin = sec.pluginConfig({ claims_to_headers: [{ claim: 'sub', header }] });
      const res = await applyConfig(sec.gw, kongYml(sec.gw, { plugin }));
      if (res.status === 201) await sec.bearerRefused(500, await mint(sec));
      else expect(res.status, res.text).to.equal(400);
    }
    await sec.configure();
  });

  test('#92 the raw token is forwarded by default and removed with hide_credentials', async (sec) => {
    const token = await mint(sec);
    expect((await sec.accepts([bearer(token)])).headers.authorization).to.equal(`Bearer ${token}`);
    await sec.configure({ plugin: { hide_credentials: true } });
    try {
      expect((await sec.accepts([bearer(token)])).headers).to.not.have.property('authorization');
    } finally {
      await sec.configure();
    }
  });

  test('#93 error responses echo no token, claim, kid or key material and form no oracle beyond a fixed description', async (sec) => {
    const kid = 'kid-that-must-not-echo-0123456789';
    const tokens = [
      await mint(sec, { sub: 'secret-subject-0123456789' }, ['exp']),
      sec.raw.sign(sec.raw.claims({ sub: 'secret-subject-0123456789' }), { alg: 'RS256', kid }),
      await mint(sec, { aud: 'api://secret-audience-0123456789' }),
    ];
    for (const token of tokens) {
      const res = await sec.bearerRefused('401i', token);
      for (const leaked of [kid, 'secret-subject', 'secret-audience', sec.raw.key.publicJwk.n!.slice(0, 20)]) {
        expect(res.text + JSON.stringify(res.headers)).to.not.include(leaked);
      }
    }
  });
});
