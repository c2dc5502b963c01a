// The config record's `entity_checks`: the cross-field rules Kong's declarative schema language can
// say, so Kong refuses a config that breaks one (Admin API, POST /config and /schemas/plugins/validate
// answer 400 naming the field and the fix) instead of accepting it and answering 500 on every request
// when the plugin instance cannot start. Kong takes an external plugin's schema as its plugin info
// gives it, entity checks included; okta-jwt-pluginserver adds these to the config record (kong-pdk's
// stock server builds that record itself, without them). Patterns are Lua patterns. normalise.ts checks
// every rule again when an instance starts; the rules Kong's schema cannot say are in startup-checks.ts.

type FieldDef = Record<string, unknown>;
type Field = Record<string, FieldDef>;
export type EntityCheck = Record<string, Record<string, unknown>>;

/** The message for plain http where https is needed; normalise.ts says the same when an instance starts. */
export const HTTPS_REQUIRED = 'must use https (or set allow_insecure_issuer for a development issuer; plain http to localhost, 127.0.0.1 or [::1] is always allowed)';

/** https anywhere; plain http only to the local host (what normalise.ts accepts without allow_insecure_issuer). */
const HTTPS_OR_LOCAL = ['^https://', '^http://localhost[:/]', '^http://127%.0%.0%.1[:/]', '^http://%[::1%][:/]'];

const httpsOrLocal = { match_any: { patterns: HTTPS_OR_LOCAL, err: HTTPS_REQUIRED } };

/** Unless allow_insecure_issuer is true, `then_match` must hold for `then_field`. */
function unlessInsecureAllowed(thenField: string, thenMatch: Record<string, unknown>): EntityCheck {
  return { conditional: { if_field: 'allow_insecure_issuer', if_match: { eq: false }, then_field: thenField, then_match: thenMatch } };
}

function definitionOf(fields: Field[], name: string): FieldDef {
  const entry = fields.find((f) => Object.keys(f)[0] === name);
  if (entry === undefined) throw new Error(`the config schema has no field ${name}`);
  return entry[name];
}

/**
 * The entity checks of the config record whose fields are `fields` (config/schema.ts passes its own,
 * so the element record checked for additional_issuers is the one the schema declares).
 */
export function entityChecksFor(fields: Field[]): EntityCheck[] {
  // A conditional cannot reach from an array element to allow_insecure_issuer, so the check replaces
  // the whole element definition: the declared one, with https required of issuer and jwks_uri.
  const extra = definitionOf(fields, 'additional_issuers').elements as { fields: Field[] };
  const strictElement = {
    ...extra,
    fields: extra.fields.map((entry) => {
      const [name, def] = Object.entries(entry)[0];
      return name === 'issuer' || name === 'jwks_uri' ? { [name]: { ...def, ...httpsOrLocal } } : entry;
    }),
  };
  return [
    unlessInsecureAllowed('issuer', httpsOrLocal),
    unlessInsecureAllowed('jwks_uri', httpsOrLocal),
    unlessInsecureAllowed('additional_issuers', { elements: strictElement }),
    // Kong reports a missing then_field as "required field missing" (no then_err on this path).
    { conditional: { if_field: 'consumer_required', if_match: { eq: true }, then_field: 'consumer_claim', then_match: { required: true } } },
    { conditional: { if_field: 'introspection.mode', if_match: { one_of: ['always', 'sample'] }, then_field: 'introspection.client_id', then_match: { required: true } } },
    { conditional: { if_field: 'introspection.mode', if_match: { eq: 'sample' }, then_field: 'introspection.sample_percent', then_match: { required: true } } },
    {
      conditional: {
        if_field: 'unmatched_requests', if_match: { eq: 'deny' }, then_field: 'rules', then_match: { len_min: 1 },
        // Kong formats then_err with string.format: no % in it.
        then_err: 'unmatched_requests "deny" refuses every request when there are no rules: add rules, or use "default_policy"',
      },
    },
    // Kong reports these as "required field missing" on the then_field.
    { conditional: { if_field: 'revocations.sync', if_match: { eq: 'redis' }, then_field: 'redis.host', then_match: { required: true } } },
    { conditional: { if_field: 'ssf_receiver.transmitter_issuer', if_match: { required: true }, then_field: 'ssf_receiver.authorization', then_match: { required: true } } },
    { conditional: { if_field: 'ssf_receiver.transmitter_issuer', if_match: { required: true }, then_field: 'ssf_receiver.audiences', then_match: { len_min: 1 } } },
    unlessInsecureAllowed('ssf_receiver.transmitter_issuer', httpsOrLocal),
  ];
}
