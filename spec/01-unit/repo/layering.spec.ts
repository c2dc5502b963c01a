// The plugin's layering (CONTRIBUTING.md "Layout"): only the Kong edge (handler/, index.ts) imports the
// core; the stages the core calls take their shared types from vocabulary/, which imports no stage.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { repoRoot } from '../../support/repo-paths';

const PLUGIN = path.join(repoRoot(), 'plugin');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

const imports = (file: string) => [...fs.readFileSync(file, 'utf8').matchAll(/from '([^']+)'/g)].map((m) => path.resolve(path.dirname(file), m[1]!));
const under = (target: string, dir: string) => target.startsWith(path.join(PLUGIN, dir) + path.sep);

describe('plugin layering', () => {
  it('only handler/ and index.ts import core/', () => {
    const offenders = sources(PLUGIN)
      .filter((file) => !under(file, 'handler') && !under(file, 'core') && file !== path.join(PLUGIN, 'index.ts'))
      .filter((file) => imports(file).some((target) => under(target, 'core')));
    expect(offenders.map((f) => path.relative(PLUGIN, f))).to.deep.equal([]);
  });

  it('vocabulary/ imports nothing but itself and util/', () => {
    for (const file of sources(path.join(PLUGIN, 'vocabulary'))) {
      for (const target of imports(file).filter((t) => t.startsWith(PLUGIN))) {
        expect(under(target, 'vocabulary') || under(target, 'util'), `${path.relative(PLUGIN, file)} imports ${path.relative(PLUGIN, target)}`).to.equal(true);
      }
    }
  });
});
