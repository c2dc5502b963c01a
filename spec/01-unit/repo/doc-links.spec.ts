// Every relative link and #anchor in the repository's Markdown resolves, as GitHub renders it, and the
// pages written for operators (README.md, docs/) speak to operators: no references to this
// repository's issues, to recording sets or to the benchmark's internal case labels.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../support/repo-paths';

const ROOT = repoRoot();
const SKIP_DIRS = new Set(['node_modules', 'dist', '.git', 'out']);

function markdownFiles(dir = ROOT): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return SKIP_DIRS.has(entry.name) ? [] : markdownFiles(full);
    return entry.name.endsWith('.md') ? [path.relative(ROOT, full)] : [];
  });
}

/** The text GitHub renders as prose: fenced code blocks removed (inline code is kept, as links never sit in it). */
const withoutFences = (markdown: string) => markdown.replace(/^ {0,3}(```|~~~)[^\n]*\n[\s\S]*?^ {0,3}\1[^\n]*$/gm, '');

/** GitHub's heading anchor: lower case, Markdown markup and punctuation dropped, spaces to '-'; repeats get -1, -2, … */
export function headingSlug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/[`*]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

export function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const [, text] of withoutFences(markdown).matchAll(/^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const slug = headingSlug(text!);
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

/** Inline links and images, `[text](target)`, outside code; absolute URLs and mailto: are not ours to check. */
export function relativeLinks(markdown: string): string[] {
  const prose = withoutFences(markdown).replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t));
}

/** Problems with one file's links: a missing file, or an anchor its target does not have. */
export function brokenLinks(file: string, read: (f: string) => string | undefined): string[] {
  const problems: string[] = [];
  for (const link of relativeLinks(read(file)!)) {
    const [target, anchor] = link.split('#', 2) as [string, string | undefined];
    const resolved = target === '' ? file : path.normalize(path.join(path.dirname(file), decodeURIComponent(target)));
    const text = read(resolved);
    if (text === undefined) {
      problems.push(`${file}: ${link} (no such file)`);
    } else if (anchor !== undefined && resolved.endsWith('.md') && !anchorsOf(text).has(decodeURIComponent(anchor).toLowerCase())) {
      problems.push(`${file}: ${link} (no heading with that anchor in ${resolved})`);
    }
  }
  return problems;
}

/** Words that belong to the people who build okta-jwt, not to the people who run it. */
const INTERNAL_WORDS: [RegExp, string][] = [
  [/\bissue #?\d+\b/i, 'a reference to an issue of this repository'],
  [/(?<![\w/(])#\d+(?![\w-])/, 'a bare #number (an issue, a pull request, a catalogue case)'],
  [/\bbatch ?\d/i, 'a recording set'],
  [/\bkong-transcripts\b/, 'the recordings (CONTRIBUTING.md describes them)'],
  [/\ba-stock\b/i, 'a benchmark case label'],
  [/\b[bc]0\b/, 'a benchmark case label'],
  [/\b(?:MET|MISSED)\b/, 'a benchmark verdict label'],
  [/^(?!.*\bRFC \d).*§\s?\d/, 'a section of the recordings (a line citing an RFC section names the RFC)'],
];

export function internalWords(markdown: string): string[] {
  const lines = markdown.split('\n');
  return lines.flatMap((text, i) => INTERNAL_WORDS.filter(([re]) => re.test(text)).map(([, what]) => `line ${i + 1}: ${what}: ${text.trim().slice(0, 120)}`));
}

const FILES = markdownFiles();
const USER_DOCS = FILES.filter((f) => f === 'README.md' || (path.dirname(f) === 'docs' && f.endsWith('.md')));
const read = (f: string) => {
  const full = path.join(ROOT, f);
  if (!fs.existsSync(full)) return undefined;
  return fs.statSync(full).isDirectory() ? '' : fs.readFileSync(full, 'utf8');
};

describe('links and words in the Markdown', () => {
  it('slugs headings as GitHub does', () => {
    expect(headingSlug('Key sets: rotation, the unknown-`kid` cooldown')).to.equal('key-sets-rotation-the-unknown-kid-cooldown');
    expect(headingSlug('Postgres, Admin API and decK (`--profile postgres`)')).to.equal('postgres-admin-api-and-deck---profile-postgres');
    expect(headingSlug('1. Locally, without Okta or Kong')).to.equal('1-locally-without-okta-or-kong');
    expect([...anchorsOf('# A\n## Notes\n```\n# not a heading\n```\n### Notes\n')]).to.deep.equal(['a', 'notes', 'notes-1']);
  });

  it('finds broken links and anchors, and only relative ones', () => {
    const pages: Record<string, string> = { 'README.md': '[a](docs/x.md#there) [b](docs/x.md#nowhere) [c](https://example.com/#x) `[d](nope.md)` [e](#top) [f](gone.md)\n# Top', 'docs/x.md': '## There' };
    expect(brokenLinks('README.md', (f) => pages[f])).to.deep.equal(['README.md: docs/x.md#nowhere (no heading with that anchor in docs/x.md)', 'README.md: gone.md (no such file)']);
  });

  it('recognises internal words and leaves RFC sections and upstream issues alone', () => {
    expect(internalWords('measured before issue 16\nbatch3 §3\nthe floor (a-stock)\n(b0) is 1.6 µs\nMET\nsee #104').length).to.equal(7);
    expect(internalWords('RFC 9449 §4.3 and §7.1, Kong/kong#14260, met the target, a b0gus word, [step 1](#1-locally), Okta issues 1-hour tokens')).to.deep.equal([]);
  });

  it('reads a set of Markdown files that includes the README and docs/', () => {
    expect(FILES).to.include.members(['README.md', 'CONTRIBUTING.md', 'docs/configuration.md']);
  });

  for (const file of FILES) {
    it(`${file}: every relative link and anchor resolves`, () => {
      expect(brokenLinks(file, read)).to.deep.equal([]);
    });
  }

  for (const file of USER_DOCS) {
    it(`${file}: speaks to operators (no issue numbers, recording sets or benchmark labels)`, () => {
      expect(internalWords(read(file)!)).to.deep.equal([]);
    });
  }
});
