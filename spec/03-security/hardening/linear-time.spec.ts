// Issue 12, rows 4 and 7: no matcher over attacker input costs more than linear time. Each worst
// case must cost about as much for one input of size 16n as for sixteen of size n, in CPU time
// (spec/support/linear-growth.ts: a quadratic matcher costs 16 times more, a cubic one 256 times;
// the former costs are noted per case). Then one case end to end through the double.
import { expect } from 'chai';
import { performance } from 'node:perf_hooks';
import { extractBearerToken } from '../../../plugin/extract/bearer-token';
import { extractToken } from '../../../plugin/extract/token-sources';
import { compileGlob, globMatches } from '../../../plugin/authorize/path-glob';
import { isAmbiguousPath } from '../../../plugin/authorize/authorize';
import { clientSpellings } from '../../../plugin/forward/spoofed-headers';
import { headerValueFor } from '../../../plugin/forward/claim-headers';
import { securitySuite } from '../support/security-gateway';
import { send } from '../../support/http-client';
import { expectLinearGrowth } from '../../support/linear-growth';

describe('issue 12: linear-time input handling', function () {
  this.timeout(60000);

  it('the bearer header: long runs of spaces or tabs before a token, a line separator or another character (formerly ~0.7 s at 20,000 spaces, quadratic)', () => {
    for (const [label, tail] of [['x', 'x'], ['U+2028', 'x\u2028'], ['tab', '\tx'], ['nothing', '']] as const) {
      expectLinearGrowth(`Bearer + spaces + ${label}`, (n) => { const headers = { authorization: [`Bearer${' '.repeat(n)}${tail}`] }; return () => extractBearerToken(headers, 'authorization'); }, 6000);
    }
    expectLinearGrowth('spaces + Bearer', (n) => { const headers = { authorization: [`${' \t'.repeat(n)}Bearer x${' '.repeat(n)}`] }; return () => extractBearerToken(headers, 'authorization'); }, 6000);
  });

  it('rule paths: /files/*-*-*.json against /files/ + dashes (formerly 3.5 s at 3,000 dashes, cubic)', () => {
    const glob = compileGlob('/files/*-*-*.json');
    expectLinearGrowth('dashes', (n) => { const path = `/files/${'-'.repeat(n)}`; return () => globMatches(glob, path); }, 400);
    expectLinearGrowth('dashes and a slash', (n) => { const path = `/files/${'-'.repeat(n)}/x.json`; return () => globMatches(glob, path); }, 400);
    const many = compileGlob('/a/*b*b*b*b*b*b*c');
    expectLinearGrowth('many stars', (n) => { const path = `/a/${'b'.repeat(n)}`; return () => globMatches(many, path); }, 4000);
    expectLinearGrowth('ambiguity check', (n) => { const path = `/${'%2'.repeat(n)};`; return () => isAmbiguousPath(path); }, 4000);
  });

  it('query and cookie tokens, header spellings and claim values', () => {
    const sources = { queryParam: 'access_token', cookie: 'at' };
    expectLinearGrowth('query: many separators and escapes', (n) => { const query = `${'&;%2+'.repeat(n)}access_token=x`; return () => extractToken({}, 'authorization', sources, query); }, 4000);
    expectLinearGrowth('query: many repeats', (n) => { const query = 'access_token=x&'.repeat(n); return () => extractToken({}, 'authorization', sources, query); }, 2000);
    expectLinearGrowth('cookie: many pairs', (n) => { const headers = { cookie: [`${'a=1; '.repeat(n)}at=x`] }; return () => extractToken(headers, 'authorization', sources, null); }, 2000);
    const owned = new Set(['x-user-sub', 'x-consumer-id']);
    expectLinearGrowth('header spellings', (n) => {
      const headers = Object.fromEntries(Array.from({ length: n }, (_, i) => [`x_user_${'_'.repeat(i % 50)}sub${i}`, ['v']]));
      return () => clientSpellings(headers, owned);
    }, 1000);
    expectLinearGrowth('claim value with controls at the end', (n) => { const claims = { sub: `${'é'.repeat(n)}\u0001` }; return () => headerValueFor(claims, { claim: 'sub', path: ['sub'], header: 'X-User-Sub' }); }, 4000);
  });

  describe('end to end through the plugin server', () => {
    const { test } = securitySuite({ plugin: { rules: [{ paths: ['/echo/files/*-*-*.json'], scopes_required: ['files:read'] }] } });

    test('8,000 spaces in the bearer header and 3,000 dashes against /files/*-*-*.json cost about what a plain request costs', async (sec) => {
      const token = await sec.valid();
      const time = async (path: string, authorization: string) => {
        let best = Infinity;
        for (let i = 0; i < 3; i++) {
          const start = performance.now();
          await send('GET', sec.proxy + path, [['Authorization', authorization]]);
          best = Math.min(best, performance.now() - start);
        }
        return best;
      };
      const plain = await time('/echo/plain', `Bearer ${token}`);
      const spaces = await time('/echo/plain', `Bearer${' '.repeat(8000)}x`);
      const dashes = await time(`/echo/files/${'-'.repeat(3000)}`, `Bearer ${token}`);
      // Formerly 52 ms of CPU for the spaces and 3.5 s for the dashes; a loaded machine adds jitter, not 300 ms.
      expect(spaces, `plain ${plain.toFixed(1)} ms`).to.be.below(plain + 300);
      expect(dashes, `plain ${plain.toFixed(1)} ms`).to.be.below(plain + 300);
    });
  });
});
