// Issue 12 rows 1, 6 and 7: random request header names through the Kong double and the real plugin
// server. Kong's nginx passes any name made of letters, digits, "-" and "_" (underscores_in_headers
// on), so the client chooses the keys of the get_headers map, including names that are JavaScript
// prototype members. Whatever the names, no request without a valid token is proxied, and a valid
// one reaches the upstream with okta-jwt's identity headers, never the client's.
import fc from 'fast-check';
import { expect } from 'chai';
import { securitySuite, type SecurityGateway } from '../support/security-gateway';
import { send } from '../../support/http-client';
import type { EchoRecord } from '../../../dev/echo-upstream';
import { expectedHeader, fuzzRuns, fuzzSeed, SUITE_MAPPINGS } from './fuzz-support';

const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'isPrototypeOf'];
/** Every mapped header in the spellings an upstream may read as the same header (CGI, WSGI, Rack treat "_" as "-"). */
const MAPPED_SPELLINGS = SUITE_MAPPINGS.flatMap(({ header }) => [header, header.toUpperCase(), header.toLowerCase(), header.replace(/-/g, '_'), header.toLowerCase().replace(/-/g, '_')]);
const SPOOF = 'spoofed-admin';

const nameChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_'.split(''));
const headerName = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: nameChar, minLength: 1, maxLength: 24 }) },
  { weight: 3, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES, '_', '__', '-', 'authorization_', 'Authorization-') },
  { weight: 3, arbitrary: fc.constantFrom(...MAPPED_SPELLINGS) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 8000 }).map((n) => `x_${'n'.repeat(n)}`) },
);
/** No Host or Authorization twins (nginx answers those itself), at most one long name (nginx's 32 KB of header lines). */
const requestNames = fc
  .array(headerName, { minLength: 1, maxLength: 40 })
  .map((names) => names.filter((n) => !/^(host|authorization|content-length|transfer-encoding|connection)$/i.test(n)))
  .filter((names) => names.reduce((n, name) => n + name.length, 0) < 9000);

/** Upstream header lines whose name, lower-cased with "_" as "-", is one okta-jwt maps. */
function mappedLines(record: EchoRecord): Array<[string, string]> {
  const mapped = new Set(SUITE_MAPPINGS.map((m) => m.header.toLowerCase()));
  const out: Array<[string, string]> = [];
  for (let i = 0; i < record.rawHeaders.length; i += 2) {
    const name = record.rawHeaders[i]!;
    if (mapped.has(name.toLowerCase().replace(/_/g, '-'))) out.push([name, record.rawHeaders[i + 1]!]);
  }
  return out;
}

async function sendCase(sec: SecurityGateway, names: string[], token: string | null) {
  await sec.gw.resetUpstream();
  const headers: Array<[string, string]> = [...names.map((n): [string, string] => [n, SPOOF]), ...(token ? [['Authorization', `Bearer ${token}`] as [string, string]] : [])];
  const res = await send('GET', `${sec.proxy}/echo/names`, headers);
  return { res, upstream: await sec.gw.upstreamRequests() };
}

describe('fuzz: client-chosen header names through the plugin server', function () {
  this.timeout(0);
  const { get } = securitySuite();
  const runs = fuzzRuns(0.05, 50);

  it(`without a token: 401 and nothing upstream; with a valid token: 200 and okta-jwt's value under every mapped dash spelling (${runs} requests)`, async () => {
    const sec = get();
    const pid = sec.server().pid;
    const errorLog = await sec.errorLogFromNow();
    const claims = sec.raw.claims();
    const valid = sec.raw.sign(claims);
    await fc.assert(
      fc.asyncProperty(requestNames, fc.boolean(), async (names, withToken) => {
        const { res, upstream } = await sendCase(sec, names, withToken ? valid : null);
        if (!withToken) {
          expect(res.status, `${res.text} ${names.join(',').slice(0, 300)}`).to.equal(401);
          expect(upstream).to.have.length(0);
          return;
        }
        expect(res.status, res.text).to.equal(200);
        expect(upstream).to.have.length(1);
        for (const { claim, header } of SUITE_MAPPINGS) {
          const want = expectedHeader(claims, claim);
          const lines = upstream[0]!.rawHeaders.filter((_, i) => i % 2 === 0 && upstream[0]!.rawHeaders[i]!.toLowerCase() === header.toLowerCase());
          expect(lines.length, header).to.equal(want === null ? 0 : 1);
          expect(upstream[0]!.headers[header.toLowerCase()], header).to.equal(want === null ? undefined : want);
        }
      }),
      { numRuns: runs, seed: fuzzSeed() },
    );
    expect(sec.server().pid, 'the plugin server was restarted').to.equal(pid);
    expect(errorLog()).to.not.include('internal error');
  });

  // Issue 12 row 6: the plugin removes client headers whose name equals an owned header after
  // lower-casing and "_" → "-" (without that, X_User_Sub: <spoof> reaches the upstream).
  it(`with a valid token no client copy of a mapped header survives in any spelling, "_" included (${runs} requests)`, async () => {
    const sec = get();
    const valid = sec.raw.sign(sec.raw.claims());
    await fc.assert(
      fc.asyncProperty(requestNames, async (names) => {
        const { res, upstream } = await sendCase(sec, names, valid);
        expect(res.status, res.text).to.equal(200);
        expect(mappedLines(upstream[0]!).filter(([, v]) => v === SPOOF), names.join(',').slice(0, 300)).to.deep.equal([]);
      }),
      { numRuns: runs, seed: fuzzSeed() },
    );
  });
});
