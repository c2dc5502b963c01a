// Issue 12, rows 3 and 6: a client-sent copy of a header okta-jwt owns (mapped claims, Kong's
// consumer headers) never reaches the upstream, in any spelling an upstream may read as it (letter
// case, `_` for `-`: CGI, WSGI, PHP and Rack fold them), on every path that lets a request through.
// Asserted on what the echo upstream received, through the double and the real plugin server.
import { expect } from 'chai';
import { securitySuite, type SecurityGateway } from '../support/security-gateway';
import { kongYml } from '../../support/kong-config';
import { useConfig } from '../../support/apply-config';

const consumers = [{ username: 'anonymous-user' }];

/** Mapped (X-User-Sub, X-User-Email) and consumer headers, in spellings other than the plugin's own. */
const SPOOFS: Array<[string, string]> = [
  ['X_User_Sub', 'admin'], ['x-user_email', 'root@corp'], ['X-USER-SUB', 'admin2'],
  ['X_Consumer_Username', 'admin'], ['X_Consumer_ID', 'forged'], ['X_Anonymous_Consumer', 'false'], ['X_Credential_Identifier', 'forged'],
];

interface Echoed {
  method: string;
  headers: Record<string, string>;
  rawHeaders: string[];
}

/** The values the upstream received for every spelling of `name` (case aside, `_` read as `-`). */
function received(echoed: Echoed, name: string): string[] {
  const want = name.toLowerCase();
  return echoed.rawHeaders.filter((_, i) => i % 2 === 1 && echoed.rawHeaders[i - 1].toLowerCase().replaceAll('_', '-') === want);
}

/** Sends the request, expects it proxied (200), returns what the upstream received. */
async function proxied(sec: SecurityGateway, headers: Array<[string, string]>, method = 'GET'): Promise<Echoed> {
  await sec.gw.resetUpstream();
  const res = await sec.request(headers, '/echo/case', method);
  expect(res.status, res.text).to.equal(200);
  const upstream = await sec.gw.upstreamRequests();
  expect(upstream).to.have.length(1);
  return upstream[0] as unknown as Echoed;
}

describe('issue 12: spoofed identity is removed on every path, in every spelling', function () {
  const { test } = securitySuite();

  test('allow: beside a valid token only the plugin\'s values arrive; X_User_Sub, x-user_email and consumer-header spellings are gone', async (sec) => {
    await sec.configure({ plugin: { consumer_claim: 'sub' }, consumers: [{ username: 'alice' }] });
    try {
      const echoed = await proxied(sec, [['Authorization', `Bearer ${await sec.valid({ sub: 'alice' })}`], ...SPOOFS]);
      expect(received(echoed, 'X-User-Sub')).to.deep.equal(['alice']);
      expect(received(echoed, 'X-User-Email')).to.deep.equal([]);
      expect(received(echoed, 'X-Consumer-Username')).to.deep.equal(['alice']);
      expect(received(echoed, 'X-Consumer-ID')).to.have.length(1).and.not.include('forged');
      expect(received(echoed, 'X-Anonymous-Consumer')).to.deep.equal([]);
      expect(received(echoed, 'X-Credential-Identifier')).to.deep.equal(['alice']);
    } finally {
      await sec.configure();
    }
  });

  test('anonymous: a request without a token arrives as the anonymous consumer, with no spoofed spelling left', async (sec) => {
    await sec.configure({ plugin: { consumer_claim: 'sub', anonymous: 'anonymous-user' }, consumers });
    try {
      const echoed = await proxied(sec, SPOOFS);
      expect(received(echoed, 'X-User-Sub')).to.deep.equal([]);
      expect(received(echoed, 'X-User-Email')).to.deep.equal([]);
      expect(received(echoed, 'X-Consumer-Username')).to.deep.equal(['anonymous-user']);
      expect(received(echoed, 'X-Anonymous-Consumer')).to.deep.equal(['true']);
      expect(received(echoed, 'X-Credential-Identifier')).to.deep.equal([]);
    } finally {
      await sec.configure();
    }
  });

  test('pass (anonymous set and another auth plugin authenticated first: the logical OR): its consumer headers stay, every spoof goes', async (sec) => {
    const partner = 'partner-app';
    // Stands in for key-auth & co. (priority above okta-jwt's): authenticates, then writes its consumer header.
    const authenticatedFirst = { name: 'pre-function', config: { access: [
      `kong.client.authenticate(kong.client.load_consumer("${partner}", true), { id = "8f1c9a52-5d0e-4c4e-9d59-3a1d2f0c7b11" })`,
      `kong.service.request.set_header("X-Consumer-Username", "${partner}")`,
    ] } };
    const plugin = sec.pluginConfig({ consumer_claim: 'sub', anonymous: 'anonymous-user' });
    await useConfig(sec.gw, kongYml(sec.gw, { plugin, consumers: [...consumers, { username: partner }], routePlugins: [authenticatedFirst] }));
    try {
      const echoed = await proxied(sec, SPOOFS);
      expect(received(echoed, 'X-Consumer-Username')).to.deep.equal([partner]);
      for (const name of ['X-User-Sub', 'X-User-Email', 'X-Consumer-ID', 'X-Anonymous-Consumer', 'X-Credential-Identifier']) {
        expect(received(echoed, name), name).to.deep.equal([]);
      }
    } finally {
      await sec.configure();
    }
  });

  test('dry-run observe: a request that would be refused passes without any spoofed spelling', async (sec) => {
    await sec.configure({ plugin: { dry_run: true } });
    try {
      const echoed = await proxied(sec, SPOOFS);
      expect(received(echoed, 'X-User-Sub')).to.deep.equal([]);
      expect(received(echoed, 'X-User-Email')).to.deep.equal([]);
    } finally {
      await sec.configure();
    }
  });

  test('CORS preflight with run_on_preflight false: passed untouched except for spoofed identity', async (sec) => {
    await sec.configure({ plugin: { run_on_preflight: false, consumer_claim: 'sub' }, consumers });
    try {
      const preflight: Array<[string, string]> = [['Origin', 'https://app.example.com'], ['Access-Control-Request-Method', 'DELETE'], ['X-User-Sub', 'admin'], ...SPOOFS];
      const echoed = await proxied(sec, preflight, 'OPTIONS');
      expect(echoed.method).to.equal('OPTIONS');
      expect(echoed.headers.origin).to.equal('https://app.example.com');
      for (const name of ['X-User-Sub', 'X-User-Email', 'X-Consumer-Username', 'X-Consumer-ID', 'X-Anonymous-Consumer', 'X-Credential-Identifier']) {
        expect(received(echoed, name), name).to.deep.equal([]);
      }
    } finally {
      await sec.configure();
    }
  });
});
