import { expect } from 'chai';
import fc from 'fast-check';
import { compileGlob, globMatches } from '../../../plugin/authorize/path-glob';

/** The regex the rules used before (cubic on some paths): the reference for what a pattern means. */
function referenceRegex(source: string): RegExp {
  const body = source.endsWith('*') ? source.slice(0, -1) : source;
  const escaped = body.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*');
  return new RegExp(`^${escaped}${source.endsWith('*') ? '.*' : ''}$`);
}

describe('rule path patterns (linear glob matching)', () => {
  it('matches * within one segment and a trailing * across segments, case-sensitively', () => {
    const cases: Array<[string, string, boolean]> = [
      ['/orders/*', '/orders/1', true],
      ['/orders/*', '/orders/1/items', true],
      ['/orders/*', '/orders', false],
      ['/orders/*', '/Orders/1', false],
      ['/orders', '/orders', true],
      ['/orders', '/orders/', false],
      ['/reports/*/summary', '/reports/2024/summary', true],
      ['/reports/*/summary', '/reports/2024/x/summary', false],
      ['/files/*-*-*.json', '/files/a-b-c.json', true],
      ['/files/*-*-*.json', '/files/---.json', true],
      ['/files/*-*-*.json', '/files/a-b.json', false],
      ['/files/*-*-*.json', '/files/a-b-c/d.json', false],
      ['/*a/*b', '/a/a/b', false],
      ['/a/*/b*', '/a/x/bcd/e', true],
      ['/**/x', '/y/x', true],
    ];
    for (const [pattern, path, expected] of cases) expect(globMatches(compileGlob(pattern), path), `${pattern} ~ ${path}`).to.equal(expected);
  });

  it('agrees with the former regex on random patterns and paths', () => {
    const piece = fc.string({ unit: fc.constantFrom('a', 'b', '-', '/', '.', '*'), maxLength: 8 });
    const text = fc.string({ unit: fc.constantFrom('a', 'b', '-', '/', '.'), maxLength: 14 });
    fc.assert(
      fc.property(piece, text, (tail, rest) => {
        const pattern = `/${tail}`;
        const path = `/${rest}`;
        expect(globMatches(compileGlob(pattern), path), `${pattern} ~ ${path}`).to.equal(referenceRegex(pattern).test(path));
      }),
      { numRuns: 5000 },
    );
  });
});
