// Commands in the docs are copied with the mouse: an inline `command` that wraps onto the next
// line pastes as two commands (or with a stray newline). Long ones belong in a fenced block.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../support/repo-paths';

const DOCS = ['README.md', ...fs.readdirSync(path.join(repoRoot(), 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const COMMAND = /^(?:curl|npm|npx|node|docker|deck|kong|git|okta-jwt doctor|TOKEN=|\/usr\/)/;

export function wrappedInlineCommands(markdown: string): string[] {
  const outsideFences = markdown.replace(/^```[\s\S]*?^```/gm, '');
  return [...outsideFences.matchAll(/`([^`]+)`/g)].map((m) => m[1]!).filter((code) => code.includes('\n') && COMMAND.test(code));
}

describe('commands in the docs', () => {
  it('recognises a wrapped inline command', () => {
    expect(wrappedInlineCommands("Run `curl -X POST :8001/consumers -d\nusername=x` now, or `npm test`.")).to.have.length(1);
    expect(wrappedInlineCommands('```sh\ncurl -X POST :8001/consumers \\\n  -d username=x\n```')).to.deep.equal([]);
  });

  for (const file of DOCS) {
    it(`${file}: no inline command is split across lines`, () => {
      expect(wrappedInlineCommands(fs.readFileSync(path.join(repoRoot(), file), 'utf8'))).to.deep.equal([]);
    });
  }
});
