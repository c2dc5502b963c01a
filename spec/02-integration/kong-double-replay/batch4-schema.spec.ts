// Batch 4 §2 of the real-Kong facts (spec/fixtures/kong-transcripts/batch4/README.md) through the
// double: a plugin whose dumped config record carries entity_checks, and Kong's exact answers of
// POST /schemas/plugins/validate (Kong 3.9.3's member order; 3.4.2 differs only in that order).
// The probe plugin (spec/fixtures/probe-plugins/schema-probe) is served by okta-jwt-pluginserver,
// which puts the module's EntityChecks on the config record, as the recorded dump has them.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { startKongDouble, type KongDouble } from '../../kong-double';
import { repoRoot } from '../../support/repo-paths';
import { TRANSCRIPTS } from './transcript-tools';

const PROBE_DIR = path.join(repoRoot(), 'spec', 'fixtures', 'probe-plugins', 'schema-probe');
const README = fs.readFileSync(path.join(TRANSCRIPTS, 'batch4', 'README.md'), 'utf8');

/** The recorded plugin-info dump of §2 (its config field and entity checks). */
function recordedConfigRecord(): unknown {
  const section = README.slice(README.indexOf('## 2.'), README.indexOf('## 3.'));
  const json = /```json\n([\s\S]*?)```/.exec(section)?.[1];
  if (json === undefined) throw new Error('batch4 README §2 has no json block');
  return (JSON.parse(json) as { config: unknown }).config;
}

/** A recorded body fragment, as the README prints it (JSON text). */
function expectRecorded(fragment: unknown): void {
  expect(README, 'the recording shows this').to.include(JSON.stringify(fragment).slice(1, -1));
}

describe('kong-double replay: batch 4 §2 (entity checks in an external plugin schema)', function () {
  this.timeout(30000);
  let kong: KongDouble;
  const validate = async (config: Record<string, unknown>) => {
    const res = await fetch(`${kong.adminUrl}/schemas/plugins/validate`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'schema-probe', config }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  before(async () => {
    kong = await startKongDouble({ workers: 1, pluginServers: [{ name: 'schema-probe', pluginsDir: PROBE_DIR, server: 'hardened' }] });
  });
  after(async () => kong?.close());

  it('gets the recorded config record, entity checks included, from the plugin server\'s dump', async () => {
    const res = await fetch(`${kong.adminUrl}/schemas/plugins/schema-probe`);
    const body = (await res.json()) as { fields: Array<Record<string, { fields: unknown; entity_checks: unknown }>> };
    const config = body.fields.find((f) => 'config' in f)!.config;
    const recorded = recordedConfigRecord() as { fields: unknown; entity_checks: unknown };
    expect(config.entity_checks).to.deep.equal(recorded.entity_checks);
  });

  it('http issuer without allow_insecure_issuer: 400, the match_any message on the field and the conditional in @entity', async () => {
    const res = await validate({ issuer: 'http://dev-1.okta.com/oauth2/default' });
    expect(res.status).to.equal(400);
    const fields = {
      config: {
        issuer: 'must use https (or set allow_insecure_issuer for a dev issuer)',
        '@entity': ["failed conditional validation given value of field 'allow_insecure_issuer'"],
      },
    };
    const message = "2 schema violations (config.@entity: {\n  \"failed conditional validation given value of field 'allow_insecure_issuer'\"\n}; config.issuer: must use https (or set allow_insecure_issuer for a dev issuer))";
    expectRecorded({ message });
    expectRecorded({ fields });
    expect(res.body).to.deep.include({ message, fields, code: 2, name: 'schema violation' });
  });

  it('the same issuer with allow_insecure_issuer: 200 schema validation successful', async () => {
    const res = await validate({ issuer: 'http://dev-1.okta.com/oauth2/default', allow_insecure_issuer: true });
    expectRecorded({ message: 'schema validation successful' });
    expect(res).to.deep.equal({ status: 200, body: { message: 'schema validation successful' } });
  });

  it('consumer_required without consumer_claim: 400, required field missing and the conditional in @entity', async () => {
    const res = await validate({ issuer: 'https://dev-1.okta.com/oauth2/default', consumer_required: true });
    expect(res.status).to.equal(400);
    const fields = { config: { consumer_claim: 'required field missing', '@entity': ["failed conditional validation given value of field 'consumer_required'"] } };
    expectRecorded({ fields });
    expect(res.body.fields).to.deep.equal(fields);
  });
});
