// kong-pdk's plugin loader (lib/mod.js) runs `require('ts-node').register()` on load, so every
// kong-js-pluginserver process loads ts-node and TypeScript (~30 MB resident, ~0.2 s) and compiles
// any .ts it requires on the fly. okta-jwt ships compiled JavaScript: this module, imported before
// anything from kong-pdk, answers that require with a no-op (Node's documented require.cache) so
// neither is ever loaded. Side effect only; a plugin directory holding .ts files is not supported.
import Module, { createRequire } from 'node:module';

const fromKongPdkLib = createRequire(require.resolve('kong-pdk/lib/mod'));
let tsNodePath: string | null = null;
try {
  tsNodePath = fromKongPdkLib.resolve('ts-node');
} catch {
  // Not installed: kong-pdk's loader fails on its own require, with or without this module.
}
if (tsNodePath !== null && require.cache[tsNodePath] === undefined) {
  const stub = new Module(tsNodePath);
  stub.filename = tsNodePath;
  stub.loaded = true;
  stub.exports = { register: () => undefined };
  require.cache[tsNodePath] = stub;
}
