// Removes build output so a deleted source file can never leave a stale module in dist/plugins/.
require('node:fs').rmSync(require('node:path').join(__dirname, '..', 'dist'), { recursive: true, force: true });
