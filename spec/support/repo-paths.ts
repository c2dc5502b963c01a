// Where the repository is, from this file's place in the source or the build tree (dist/test/…):
// the nearest folder above with a package.json is the repo root. Tests read nothing outside it
// (spec/01-unit/repo/self-contained.spec.ts checks that).
import fs from 'node:fs';
import path from 'node:path';

export function repoRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}`);
  }
}

/** The recorded real-Kong transcripts (batch 1 per version, batch2/, batch3/), test data of this repository. */
export const TRANSCRIPTS_DIR = path.join(repoRoot(), 'spec', 'fixtures', 'kong-transcripts');
