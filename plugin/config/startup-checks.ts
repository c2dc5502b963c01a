// The config rules Kong's schema language cannot say (comparing two values, uniqueness inside a list,
// full URL parsing), so Kong accepts a config that breaks one and the plugin refuses it when an
// instance starts (every request on it then gets 500, closed). Listed in docs/configuration.md as
// "checked when the plugin first runs"; normalise.ts enforces them; `okta-jwt doctor` reports each
// one by field. Everything else is refused by Kong itself (schema.ts, entity-checks.ts).

type Raw = Record<string, unknown>;

/** One broken rule: the field to change (paths as the doctor names them) and what to do. */
export interface ConfigProblem {
  field: string;
  message: string;
}

export interface StartupCheck {
  /** The fields the rule relates, for the reference. */
  fields: string[];
  rule: string;
  /** Problems in a config with defaults applied; values of the wrong type are left to the schema checks. */
  problems(config: Raw): ConfigProblem[];
}

const isRecord = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);
const records = (v: unknown): Raw[] => (Array.isArray(v) ? v.filter(isRecord) : []);
const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** `record.low <= record.high`, when both are numbers. */
function notAbove(record: string, low: string, high: string): StartupCheck {
  return {
    fields: [`${record}.${low}`, `${record}.${high}`],
    rule: `\`${record}.${low}\` must not exceed \`${record}.${high}\``,
    problems(config) {
      const values = isRecord(config[record]) ? (config[record] as Raw) : {};
      const [a, b] = [values[low], values[high]];
      if (typeof a !== 'number' || typeof b !== 'number' || a <= b) return [];
      return [{ field: `${record}.${low}`, message: `(${a}) must not exceed ${record}.${high} (${b}): lower it, or raise ${record}.${high}` }];
    },
  };
}

/** Every URL the plugin fetches or compares, with the field path the doctor shows. */
function urlsOf(config: Raw): Array<[string, string]> {
  const out: Array<[string, string | null]> = [
    ['issuer', text(config.issuer)],
    ['jwks_uri', text(config.jwks_uri)],
    ...records(config.additional_issuers).flatMap((extra, i): Array<[string, string | null]> => [
      [`additional_issuers[${i + 1}].issuer`, text(extra.issuer)],
      [`additional_issuers[${i + 1}].jwks_uri`, text(extra.jwks_uri)],
    ]),
    ['key_set.proxy_url', isRecord(config.key_set) ? text(config.key_set.proxy_url) : null],
    ['dpop.external_base_url', isRecord(config.dpop) ? text(config.dpop.external_base_url) : null],
  ];
  return out.filter((e): e is [string, string] => e[1] !== null);
}

const INTROSPECTING = new Set(['always', 'sample']);

/** The introspection records of the top level and of every rule, with the field path the doctor shows. */
function introspectionRecords(config: Raw): Array<[string, Raw]> {
  const top: Array<[string, Raw]> = isRecord(config.introspection) ? [['introspection', config.introspection]] : [];
  return [...top, ...records(config.rules).flatMap((rule, i): Array<[string, Raw]> => (isRecord(rule.introspection) ? [[`rules[${i + 1}].introspection`, rule.introspection]] : []))];
}

export const STARTUP_CHECKS: StartupCheck[] = [
  notAbove('key_set', 'min_ttl_seconds', 'max_ttl_seconds'),
  notAbove('key_set', 'connect_timeout_ms', 'timeout_ms'),
  {
    fields: ['issuer', 'additional_issuers[].issuer'],
    rule: 'each issuer is configured once (`issuer` and every `additional_issuers[].issuer` differ)',
    problems(config) {
      const seen = new Set([text(config.issuer)]);
      return records(config.additional_issuers).flatMap((extra, i) => {
        const issuer = text(extra.issuer);
        if (issuer === null) return [];
        if (!seen.has(issuer)) {
          seen.add(issuer);
          return [];
        }
        return [{ field: `additional_issuers[${i + 1}].issuer`, message: `repeats the issuer ${issuer}: configure each issuer once, with all its audiences` }];
      });
    },
  },
  {
    fields: ['claims_to_headers[].header', 'token_header'],
    rule: 'each upstream header is mapped once (letter case aside), and never to `token_header`',
    problems(config) {
      const tokenHeader = text(config.token_header)?.toLowerCase();
      const first = new Map<string, number>();
      return records(config.claims_to_headers).flatMap((mapping, i) => {
        const header = text(mapping.header);
        if (header === null) return [];
        const field = `claims_to_headers[${i + 1}].header`;
        const lower = header.toLowerCase();
        if (lower === tokenHeader) return [{ field, message: `"${header}" is token_header, which carries the token: map the claim to another header` }];
        const earlier = first.get(lower);
        if (earlier !== undefined) return [{ field, message: `maps header "${header}" again (claims_to_headers[${earlier}] maps it already): map each header once` }];
        first.set(lower, i + 1);
        return [];
      });
    },
  },
  {
    fields: ['issuer', 'jwks_uri', 'additional_issuers[].issuer', 'additional_issuers[].jwks_uri', 'key_set.proxy_url', 'dpop.external_base_url'],
    rule: 'every URL parses as a URL (for example, a port above 65535 does not)',
    problems: (config) => urlsOf(config).filter(([, url]) => !URL.canParse(url)).map(([field]) => ({ field, message: 'is not a valid URL: check its host and port' })),
  },
  {
    fields: ['rules[].introspection.mode', 'rules[].introspection.sample_percent'],
    rule: 'a rule whose `introspection.mode` is `sample` sets `introspection.sample_percent`',
    problems: (config) =>
      introspectionRecords(config)
        .filter(([field, record]) => field !== 'introspection' && record.mode === 'sample' && typeof record.sample_percent !== 'number')
        .map(([field]) => ({ field: `${field}.sample_percent`, message: 'must be set (1 to 100) with mode "sample": the share of requests to introspect' })),
  },
  {
    fields: ['rules[].introspection.mode', 'introspection.client_id', 'introspection.client_secret', 'introspection.private_key'],
    rule: 'where any policy (top level or rule) introspects, `introspection.client_id` is set, with `client_secret` (client_secret_basic) or `private_key` (private_key_jwt)',
    problems(config) {
      const client = isRecord(config.introspection) ? config.introspection : {};
      const used = introspectionRecords(config).find(([, record]) => INTROSPECTING.has(String(record.mode)));
      if (used === undefined) return [];
      if (text(client.client_id) === null) return [{ field: 'introspection.client_id', message: `must be set: ${used[0]}.mode introspects; name the Okta application allowed to introspect` }];
      const needed = client.client_auth_method === 'private_key_jwt' ? 'private_key' : 'client_secret';
      if (text(client[needed]) !== null) return [];
      return [{ field: `introspection.${needed}`, message: `must be set with client_auth_method ${String(client.client_auth_method ?? 'client_secret_basic')}` }];
    },
  },
];

/** Every broken startup rule of a config with defaults applied, in the order of STARTUP_CHECKS. */
export function startupProblems(config: Raw): ConfigProblem[] {
  return STARTUP_CHECKS.flatMap((check) => check.problems(config));
}
