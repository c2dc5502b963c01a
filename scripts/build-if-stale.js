// `pre<script>` hook for the npm scripts that run built code (token, doctor): builds when one of the
// outputs named on the command line is missing or a TypeScript source or tsconfig is newer than the
// oldest file in dist/ (a fresh clone has no dist/). The build's output goes to stderr so that
// `TOKEN=$(npm run -s token -- …)` captures only the token.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.join(__dirname, '..');
const SOURCE_DIRS = ['plugin', 'server', 'cli', 'spec', 'dev', 'bench', 'scripts'];

function files(dir, keep, out = []) {
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files(full, keep, out);
    else if (keep(entry.name)) out.push(full);
  }
  return out;
}

const mtime = (file) => fs.statSync(file).mtimeMs;

function stale(outputs) {
  if (outputs.some((f) => !fs.existsSync(path.join(root, f)))) return true;
  const built = files(path.join(root, 'dist'), (n) => n.endsWith('.js')).map(mtime);
  const sources = SOURCE_DIRS.flatMap((d) => files(path.join(root, d), (n) => n.endsWith('.ts')))
    .concat(fs.readdirSync(root).filter((n) => /^tsconfig.*\.json$/.test(n)).map((n) => path.join(root, n)));
  return Math.max(...sources.map(mtime)) > Math.min(...built);
}

if (stale(process.argv.slice(2))) {
  process.stderr.write('building (dist/ is missing or older than the sources)…\n');
  const npm = process.env.npm_execpath;
  const [cmd, args] = npm ? [process.execPath, [npm, 'run', '-s', 'build']] : ['npm', ['run', '-s', 'build']];
  const result = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', process.stderr, process.stderr] });
  process.exit(result.status ?? 1);
}
