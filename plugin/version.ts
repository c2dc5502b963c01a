// The plugin reports the package version to Kong, which requires an "x.y.z" string.
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Reads package.json from the nearest ancestor directory that has one named okta-jwt. */
export function packageVersion(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'okta-jwt' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // no package.json here: keep walking up
    }
    if (path.dirname(dir) === dir) throw new Error('okta-jwt: package.json not found above the plugin');
  }
}
