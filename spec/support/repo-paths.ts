// Where the repository and the team's shared material are, from this file's place in the source
// or the build tree (dist/test/…): the nearest folder above with a package.json is the repo root.
import fs from 'node:fs';
import path from 'node:path';

export function repoRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}`);
  }
}

/** The team's shared folder (transcripts, references): beside the repo, or OKTA_JWT_SHARED_DIR. */
export const SHARED_DIR = process.env.OKTA_JWT_SHARED_DIR ?? path.resolve(repoRoot(), '..', 'shared');
