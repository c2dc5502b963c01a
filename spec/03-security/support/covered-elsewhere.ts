// Catalogue cases proven by another suite: the entry names the case and the tests that cover it,
// and fails when one of those tests disappears or is renamed (so the cross-reference cannot rot).
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { repoRoot } from '../../support/repo-paths';

export function coveredBy(caseName: string, file: string, titles: string[]): void {
  it(`${caseName} — covered by ${file}: ${titles.map((t) => `"${t}"`).join(', ')}`, () => {
    const source = fs.readFileSync(path.join(repoRoot(), file), 'utf8');
    for (const title of titles) expect(source.includes(title), `${file} no longer has "${title}"`).to.equal(true);
  });
}
