// A fresh clone with nothing beside it must pass its tests: no test, tool or source file may read
// outside the repository. Two checks: the text of every source/doc file names no folder outside it,
// and every path the build computes from __dirname or repoRoot() with literal segments stays inside.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { TRANSCRIPTS_DIR, repoRoot } from '../../support/repo-paths';

const REPO = repoRoot();
const SKIP_DIRS = new Set(['node_modules', 'dist', '.git']);
/** Recorded data, copied verbatim from the recording machines; not code or docs of this repository. */
const RECORDED = path.join(REPO, 'spec', 'fixtures', 'kong-transcripts');
/** This spec's own examples of what the checks catch. */
const SELF = /[\\/]spec[\\/]01-unit[\\/]repo[\\/]self-contained\.spec\.[jt]s$/;

function walk(dir: string, keep: (file: string) => boolean, out: string[] = []): string[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name) && full !== RECORDED) walk(full, keep, out);
    } else if (keep(full)) out.push(full);
  }
  return out;
}

/** Texts that point outside the repository: the team's shared folder, the build machine's layout. */
const OUTSIDE_REFERENCES: Array<[string, RegExp]> = [
  ['the shared folder beside the repository', /(?:\.\.[\\/]|'\.\.',\s*')shared\b/],
  ['the shared transcripts folder', /(?<![\w-])shared[\\/]kong-transcripts/],
  ['a SHARED_DIR setting', /\bSHARED_DIR\b/],
  ['an absolute /work/ path', /(?<![\w.-])\/work\//],
];

export function outsideReferences(text: string): string[] {
  return OUTSIDE_REFERENCES.filter(([, re]) => re.test(text)).map(([what]) => what);
}

/** Literal path segments after `__dirname` or `repoRoot()` in compiled `path.join/resolve(...)` calls. */
const BASED_JOIN = /\.(?:join|resolve)\(\s*(__dirname|\(0, [\w$]+\.repoRoot\)\(\)|repoRoot\(\))((?:\s*,\s*'[^'\n]*')*)/g;

export function escapingJoins(js: string, fileDir: string, root: string): string[] {
  const escapes: string[] = [];
  for (const [call, base, args] of js.matchAll(BASED_JOIN)) {
    const segments = [...args!.matchAll(/'([^'\n]*)'/g)].map((m) => m[1]!);
    const target = path.resolve(base === '__dirname' ? fileDir : root, ...segments);
    const rel = path.relative(root, target);
    if (rel.startsWith('..') || path.isAbsolute(rel)) escapes.push(`${call} -> ${target}`);
  }
  return escapes;
}

describe('the repository is self-contained', () => {
  it('no source, script or doc file names a folder outside the repository', () => {
    const files = walk(REPO, (f) => /\.(?:ts|js|cjs|mjs|json|sh|ya?ml|md)$/.test(f) || f.endsWith(path.join('.ci', 'run')) || path.basename(f) === 'Dockerfile');
    expect(files.length).to.be.greaterThan(50);
    const found = files.filter((f) => !SELF.test(f) && f !== path.join(REPO, 'package-lock.json'))
      .flatMap((f) => outsideReferences(fs.readFileSync(f, 'utf8')).map((what) => `${path.relative(REPO, f)}: ${what}`));
    expect(found).to.deep.equal([]);
  });

  it('no compiled path built from __dirname or repoRoot() leaves the repository', () => {
    const compiled = walk(path.join(REPO, 'dist'), (f) => f.endsWith('.js'));
    expect(compiled.length).to.be.greaterThan(50);
    const found = compiled.filter((f) => !SELF.test(f)).flatMap((f) => escapingJoins(fs.readFileSync(f, 'utf8'), path.dirname(f), REPO).map((e) => `${path.relative(REPO, f)}: ${e}`));
    expect(found).to.deep.equal([]);
  });

  it('the checks recognise the ways a test used to read outside the repository', () => {
    expect(outsideReferences("export const SHARED_DIR = process.env.X ?? path.resolve(repoRoot(), '..', 'shared');")).to.have.length(2);
    expect(outsideReferences('// recorded in /work/shared/kong-transcripts/batch2')).to.have.length(2);
    expect(outsideReferences("const dir = path.join(TRANSCRIPTS_DIR, 'batch2'); // spec/fixtures/kong-transcripts")).to.deep.equal([]);
    const dir = path.join(REPO, 'dist', 'test', 'spec', 'support');
    expect(escapingJoins("node_path_1.default.resolve(repoRoot(), '..', 'shared')", dir, REPO)).to.have.length(1);
    expect(escapingJoins("path.join(__dirname, '..', '..', '..', '..', '..', 'shared')", dir, REPO)).to.have.length(1);
    expect(escapingJoins("path.join((0, repo_paths_1.repoRoot)(), '..', 'x')", dir, REPO)).to.have.length(1);
    expect(escapingJoins("path.join(__dirname, '..', '..', '..', 'docs', 'x.md')", dir, REPO)).to.deep.equal([]);
  });

  it('the recorded transcripts every replay reads are in the repository', () => {
    expect(path.relative(REPO, TRANSCRIPTS_DIR)).to.equal(path.join('spec', 'fixtures', 'kong-transcripts'));
    for (const f of ['README.md', 'kong-3.4.2/README.md', 'kong-3.9.3/README.md', 'batch2/README.md',
      'batch2/kong-3.9.3/01-startup-query-dumps.json', 'batch2/one-pluginserver-two-plugins', 'batch3/README.md']) {
      expect(fs.existsSync(path.join(TRANSCRIPTS_DIR, f)), f).to.equal(true);
    }
  });
});
