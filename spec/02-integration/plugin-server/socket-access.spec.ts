// What anyone who can connect to okta-jwt-pluginserver's socket gets: only the calls Kong makes, no
// secret from any config, and the socket itself only for its owner and group. The real server
// process on its real socket, driven with raw MessagePack-RPC calls.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { fixtureDir, launchServer, REPO_ROOT, type ServerProcess } from '../../support/plugin-server/launch';
import { RawConnection, request, type Reply } from '../../support/plugin-server/raw-connection';
import { toStartInstanceConfig, validatePluginConfig, type DumpedSchema } from '../../kong-double/schema';

const PLUGINS_DIR = path.join(REPO_ROOT, 'dist', 'plugins');
const NONCE_SECRET = 'nonce-secret-0123456789-abcdefghijklmnop';
const PROXY_PASSWORD = 'proxy-pass-9f8e7d';

describe('plugin server: who may use the socket, and what it gives away (okta-jwt-pluginserver)', function () {
  this.timeout(60_000);
  let server: ServerProcess;
  let conn: RawConnection;
  let msgid = 0;

  const call = async (method: string, param: unknown): Promise<Reply> => {
    const id = ++msgid;
    await conn.write(request(id, method, param));
    return conn.reply(id, 15_000);
  };

  before(async function () {
    if (process.env.OKTA_JWT_PLUGIN_SERVER === 'stock') this.skip();
    // A umask that hides nothing: the socket's mode must not depend on the caller's.
    const umask = process.umask(0);
    try {
      server = await launchServer({ kind: 'hardened', pluginsDir: PLUGINS_DIR });
    } finally {
      process.umask(umask);
    }
    conn = await RawConnection.open(server.socketPath);
  });
  after(async () => {
    conn?.close();
    await server?.stop();
  });

  it('creates its socket readable and writable by owner and group only (0660)', () => {
    expect((fs.statSync(server.socketPath).mode & 0o777).toString(8)).to.equal('660');
  });

  it('refuses SetPluginDir: nothing is loaded from the directory it names', async () => {
    const [, , error] = await call('plugin.SetPluginDir', fixtureDir('probe'));
    expect(error).to.equal('method SetPluginDir not implemented: this server answers only the calls Kong makes');
    const [, , probeError] = await call('plugin.GetPluginInfo', 'ps-probe');
    expect(probeError).to.match(/^ps-probe not initizlied/);
  });

  it('refuses InstanceStatus and GetStatus, and answers StartInstance and CloseInstance without the config\'s secrets', async () => {
    const [, , infoError, info] = await call('plugin.GetPluginInfo', 'okta-jwt');
    expect(infoError).to.equal(null);
    const checked = validatePluginConfig((info as { Schema: DumpedSchema }).Schema, {
      issuer: 'https://example.okta.com/oauth2/default',
      audiences: ['api://default'],
      key_set: { proxy_url: `http://egress:${PROXY_PASSWORD}@127.0.0.1:9` },
      dpop: { mode: 'allowed', nonce_secret: NONCE_SECRET },
    });
    if (!checked.ok) throw new Error(JSON.stringify(checked.errors));
    const config = { ...toStartInstanceConfig(checked.config), __plugin_id: 'p1', __key__: 'plugins:okta-jwt:p1', __seq__: 1 };

    const [, , startError, started] = await call('plugin.StartInstance', { Name: 'okta-jwt', Config: JSON.stringify(config) });
    expect(startError).to.equal(null);
    const { Id, Config } = started as { Id: number; Config: { dpop: Record<string, unknown>; key_set: Record<string, unknown>; issuer: string } };
    expect(Config.dpop.nonce_secret).to.equal('[redacted]');
    expect(Config.key_set.proxy_url).to.equal('[redacted]');
    // The rest of the config as it was.
    expect(Config.issuer).to.equal(checked.config.issuer);
    expect(Config.dpop.mode).to.equal('allowed');

    for (const method of ['InstanceStatus', 'GetStatus']) {
      const [, , error, result] = await call(`plugin.${method}`, Id);
      expect(error, method).to.equal(`method ${method} not implemented: this server answers only the calls Kong makes`);
      expect(result, method).to.equal(null);
    }
    const [, , closeError, closed] = await call('plugin.CloseInstance', Id);
    expect(closeError).to.equal(null);
    for (const reply of [started, closed]) {
      const text = JSON.stringify(reply);
      expect(text).not.to.include(NONCE_SECRET);
      expect(text).not.to.include(PROXY_PASSWORD);
    }
  });
});
