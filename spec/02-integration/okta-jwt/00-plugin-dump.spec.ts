// What Kong learns about the plugin: the query command's output (`--dump-all-plugins`) of both
// plugin servers, read exactly as Kong 3.9 reads it (stdout, JSON, first entry only).
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { checkPluginSchema } from '../../kong-double/schema';
import { repoRoot } from '../../support/repo-paths';
import { oktaJwtSchema } from '../../support/plugin-schema';
import { configEntityChecks } from '../../../plugin/config/schema';

const root = repoRoot();
const servers: Array<[string, string]> = [
  ['okta-jwt-pluginserver', path.join(root, 'bin', 'okta-jwt-pluginserver')],
  ['kong-js-pluginserver', path.join(root, 'node_modules', 'kong-pdk', 'bin', 'kong-js-pluginserver')],
];

function dump(binary: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [binary, '--plugins-directory', path.join(root, 'dist', 'plugins'), '--dump-all-plugins'], { timeout: 20000 }, (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    ),
  );
}

describe('the plugin as Kong discovers it', () => {
  it('dist/plugins holds this plugin and nothing else', () => {
    expect(fs.readdirSync(path.join(root, 'dist', 'plugins'))).to.deep.equal(['okta-jwt']);
  });

  for (const [name, binary] of servers) {
    it(`${name} --dump-all-plugins prints pure JSON with exactly one entry describing okta-jwt`, async () => {
      const entries = JSON.parse(await dump(binary)) as Array<Record<string, unknown>>;
      expect(entries).to.have.length(1);
      const [plugin] = entries;
      const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
      expect(plugin.Name).to.equal('okta-jwt');
      expect(plugin.Version).to.equal(version).and.match(/^\d+\.\d+\.\d+$/);
      expect(Number.isInteger(plugin.Priority)).to.equal(true);
      expect(plugin.Priority).to.be.above(950).and.below(2000);
      expect(plugin.Phases).to.include('access');
      expect(checkPluginSchema(plugin.Schema)).to.deep.equal([]);
    });
  }

  it('okta-jwt-pluginserver puts the cross-field rules on the config record (Kong enforces them); kong-pdk\'s stock server cannot', async () => {
    const [ours] = JSON.parse(await dump(servers[0][1])) as Array<{ Schema: { fields: Array<Record<string, Record<string, unknown>>> } }>;
    expect(ours.Schema).to.deep.equal(oktaJwtSchema());
    expect(ours.Schema.fields[0].config.entity_checks).to.deep.equal(configEntityChecks).and.have.length.above(3);
    const [stock] = JSON.parse(await dump(servers[1][1])) as Array<{ Schema: { fields: Array<Record<string, Record<string, unknown>>> } }>;
    expect(stock.Schema.fields[0].config).to.not.have.property('entity_checks');
  });
});
