// The schema module against what real Kong answered (batch 2, scenarios 50–55), for 3.9.3 and 3.4.2.
import { expect } from 'chai';
import {
  declarativeErrorBody, entitySchemaViolationBody, schemaEndpointBody, schemaViolationBody, toStartInstanceConfig,
  validatePluginConfig, validatePluginEntity, type DeclarativeEntityError, type DumpedSchema,
} from '../../kong-double/schema';
import {
  KONG_VERSIONS, declarativeConfigFile, dumpedSchema, exchanges, pluginsIn, requestJson, responseJson,
  startInstanceConfigs, withoutInstanceMeta, type KongVersion,
} from './transcripts';

type Json = Record<string, unknown>;

function dumps(version: KongVersion): Record<string, DumpedSchema> {
  return {
    'js-schema': dumpedSchema(version, 'schema'),
    'js-probe2': dumpedSchema(version, 'probe'),
    'js-logprobe': dumpedSchema(version, 'logprobe'),
  };
}

/** The js-schema configs of a declarative config, keyed by issuer. */
function schemaConfigsByIssuer(doc: Json): Map<string, Json> {
  const out = new Map<string, Json>();
  for (const { plugin } of pluginsIn(doc)) {
    const config = (plugin.config ?? {}) as Json;
    if (plugin.name === 'js-schema' && typeof config.issuer === 'string') out.set(config.issuer, config);
  }
  return out;
}

function expectStartInstanceConfigs(version: KongVersion, scenario: string, doc: Json): number {
  const sources = schemaConfigsByIssuer(doc);
  const recorded = startInstanceConfigs(version, scenario);
  expect(recorded).to.not.be.empty;
  for (const rec of recorded) {
    const source = sources.get(rec.issuer as string);
    expect(source, `declarative source for ${String(rec.issuer)}`).to.exist;
    const res = validatePluginConfig(dumps(version)['js-schema']!, source);
    if (!res.ok) throw new Error(`config for ${String(rec.issuer)} rejected: ${JSON.stringify(res.errors)}`);
    expect(toStartInstanceConfig(res.config), String(rec.issuer)).to.deep.equal(withoutInstanceMeta(rec));
  }
  return recorded.length;
}

for (const version of KONG_VERSIONS) {
  describe(`kong-schema against real ${version}`, () => {
    const schemas = dumps(version);

    describe('50 GET /schemas/plugins/{name}', () => {
      for (const name of ['js-schema', 'js-probe2']) {
        it(`answers ${name}'s schema exactly as Kong did (config record marked required, entity_checks [])`, () => {
          const x = exchanges(version, '50-schema-admin-view').find((e) => e.request.path === `/schemas/plugins/${name}`)!;
          expect(schemaEndpointBody(schemas[name]!)).to.deep.equal(responseJson(x));
        });
      }
    });

    describe('50 GET /plugins (stored entities)', () => {
      const x = exchanges(version, '50-schema-admin-view').find((e) => e.request.path.startsWith('/plugins'))!;
      const stored = (responseJson(x).data as Json[]).filter((p) => String(p.name).startsWith('js-'));
      const sources = schemaConfigsByIssuer(declarativeConfigFile(version));

      it('stores every JS plugin entity as Kong did: defaults, nulls for unset optionals, base fields', () => {
        expect(stored.length).to.be.greaterThan(3);
        for (const rec of stored) {
          const recConfig = rec.config as Json;
          const config = rec.name === 'js-schema' ? sources.get(recConfig.issuer as string) : undefined;
          const input: Json = { name: rec.name, config };
          for (const fk of ['route', 'service']) if (rec[fk] !== null) input[fk] = rec[fk];
          const res = validatePluginEntity(schemas[rec.name as string]!, input, { now: rec.created_at as number, newId: () => rec.id as string });
          if (!res.ok) throw new Error(JSON.stringify(res.errors));
          expect(res.entity, `${String(rec.name)} ${String(rec.id)}`).to.deep.equal(rec);
        }
      });
    });

    describe('51 StartInstance Config', () => {
      it('sends one config per plugin entity (routes s1, s2, service echo-svc) as Kong did: defaults, set de-duplicated, no nulls', () => {
        expect(expectStartInstanceConfigs(version, '51-schema-startinstance-route-service', declarativeConfigFile(version))).to.equal(3);
      });
    });

    for (const scenario of ['54-config-post-valid-new-instances', '55-plugin-scopes-global-service-route-consumer']) {
      describe(`${scenario.slice(0, 2)} StartInstance Config after POST /config`, () => {
        it('matches every js-schema instance Kong started (explicit empty arrays and maps kept)', () => {
          const post = exchanges(version, scenario).find((e) => e.request.path.startsWith('/config'))!;
          expect(expectStartInstanceConfigs(version, scenario, requestJson(post))).to.be.greaterThan(1);
        });
      });
    }

    describe('52 POST /schemas/plugins/validate', () => {
      const cases = exchanges(version, '52-schema-validate-endpoint');
      it('has the 16 invalid and 2 valid recorded cases', () => {
        expect(cases.filter((c) => c.response.status === 400)).to.have.length(16);
        expect(cases.filter((c) => c.response.status === 200)).to.have.length(2);
      });
      cases.forEach((c, i) => {
        const body = requestJson(c);
        it(`case ${i + 1}: ${JSON.stringify(body.config)} → ${c.response.status}`, () => {
          const entity = validatePluginEntity(schemas['js-schema']!, body);
          const config = validatePluginConfig(schemas['js-schema']!, body.config);
          if (c.response.status === 200) {
            expect(entity.ok, JSON.stringify(entity)).to.equal(true);
            expect(config.ok).to.equal(true);
            return;
          }
          if (entity.ok || config.ok) throw new Error('accepted a config Kong rejected');
          const expected = responseJson(c);
          expect(entitySchemaViolationBody(entity.errors)).to.deep.equal(expected);
          expect(schemaViolationBody(config.errors)).to.deep.equal(expected);
        });
      });
    });

    describe('53 POST /config with an invalid plugin config', () => {
      const posts = exchanges(version, '53-config-post-invalid-plugin-config').filter((e) => e.request.path.startsWith('/config'));
      posts.forEach((c, i) => {
        const flatten = c.request.path.includes('flatten_errors=1');
        it(`case ${i + 1} (${flatten ? 'flattened' : 'nested'}) answers Kong's 400 body`, () => {
          expect(c.response.status).to.equal(400);
          const invalid: DeclarativeEntityError[] = [];
          for (const { plugin, path } of pluginsIn(requestJson(c))) {
            const schema = schemas[plugin.name as string];
            if (!schema) continue; // bundled plugins (acl, rate-limiting) are not ours to validate
            const res = validatePluginEntity(schema, plugin);
            if (!res.ok) invalid.push({ entityType: 'plugin', entity: plugin, errors: res.errors, path });
          }
          expect(invalid).to.have.length(1);
          expect(declarativeErrorBody(invalid, flatten)).to.deep.equal(responseJson(c));
        });
      });
    });
  });
}
