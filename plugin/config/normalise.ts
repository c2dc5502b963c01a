// Turns the raw config Kong sends to StartInstance (validated by Kong against config/schema.ts,
// plus Kong's own keys such as __plugin_id, __seq__, __key__, route_id) into a typed PluginConfig.
// Runs once per plugin instance. Defaults come from the schema, so a config that did not pass
// through Kong (unit tests, the doctor) is read the same way. Every rule of the schema that matters
// here is checked again (defence in depth: kong-pdk's stock server carries no entity checks), and the
// rules Kong cannot check (startup-checks.ts) only here; a broken one is a ConfigError naming the field
// and the fix, which Kong logs when StartInstance fails.
import { configFields, GUARD_SHARED_KEY, RESERVED_HEADERS as RESERVED_HEADERS_LIST, SUPPORTED_ALGORITHMS } from './schema';
import { HTTPS_REQUIRED } from './entity-checks';
import { startupProblems } from './startup-checks';
import { compileGlob, type PathGlob } from '../authorize/path-glob';
import { signingKey } from '../introspection/client-auth';
import type { AccessPolicy, AccessRule, ClaimHeaderMapping, DpopSettings, IntrospectionPolicy, IntrospectionSettings, IssuerSettings, KeySetSettings, PluginConfig, RedisSettings, RevocationSettings, SsfReceiverSettings } from './types';

export class ConfigError extends Error {
  /** `message` starts with the field it is about; `field` names it when known (paths as `a[1].b`). */
  constructor(message: string, readonly field: string | null = null) {
    super(`okta-jwt config: ${message}`);
    this.name = 'ConfigError';
  }
}

type Raw = Record<string, unknown>;
type FieldList = Array<Record<string, Record<string, unknown>>>;

/** Headers the plugin must never write (the schema refuses them in claims_to_headers already). */
const RESERVED_HEADERS: ReadonlySet<string> = new Set(RESERVED_HEADERS_LIST);

export { GUARD_SHARED_KEY };

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The config with schema defaults for absent or null fields (what startupProblems reads). */
export function configWithDefaults(input: Raw): Raw {
  return withDefaults(configFields, input);
}

/** Fills schema defaults for absent or null fields, recursing into records. */
function withDefaults(fields: FieldList, raw: Raw): Raw {
  const out: Raw = {};
  for (const entry of fields) {
    const [name, spec] = Object.entries(entry)[0];
    const value = Object.hasOwn(raw, name) ? raw[name] : undefined;
    const elements = spec.elements as { type?: string; fields?: FieldList } | undefined;
    if (spec.type === 'record') {
      out[name] = withDefaults(spec.fields as FieldList, isObject(value) ? value : {});
    } else if (elements?.type === 'record' && Array.isArray(value)) {
      out[name] = value.map((item) => (isObject(item) ? withDefaults(elements.fields as FieldList, item) : item));
    } else if (value === undefined || value === null) {
      out[name] = spec.default ?? null;
    } else {
      out[name] = value;
    }
  }
  return out;
}

function isObject(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(raw: Raw, name: string): string {
  const v = raw[name];
  if (typeof v !== 'string' || v === '') throw new ConfigError(`${name} must be a non-empty string`);
  return v;
}

function optionalStr(raw: Raw, name: string): string | null {
  return raw[name] === null ? null : str(raw, name);
}

function int(raw: Raw, name: string): number {
  const v = raw[name];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new ConfigError(`${name} must be a non-negative integer`);
  return v;
}

function bool(raw: Raw, name: string): boolean {
  const v = raw[name];
  if (typeof v !== 'boolean') throw new ConfigError(`${name} must be a boolean`);
  return v;
}

function strings(raw: Raw, name: string): string[] {
  const v = raw[name];
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string' && s !== '')) {
    throw new ConfigError(`${name} must be a list of non-empty strings`);
  }
  return [...new Set(v as string[])];
}

/** https everywhere; plain http only for a local development issuer (or when explicitly allowed). */
function checkUrl(name: string, value: string, allowInsecure: boolean): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${name} is not a valid URL`);
  }
  if (url.username || url.password) throw new ConfigError(`${name} must not contain credentials`);
  if (url.search || url.hash) throw new ConfigError(`${name} must not contain a query or fragment`);
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && (LOCAL_HOSTS.has(url.hostname) || allowInsecure)) return;
  throw new ConfigError(`${name} ${HTTPS_REQUIRED}`, name);
}

/** key_set.proxy_url: an http(s) proxy origin. Credentials are allowed (proxies ask for them) and never logged. */
function proxyUrl(value: string | null): string | null {
  if (value === null) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('key_set.proxy_url is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError('key_set.proxy_url must be an http:// or https:// proxy URL');
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) throw new ConfigError('key_set.proxy_url must name only the proxy (scheme, host and port), no path or query');
  return value;
}

/** One of the keys Kong adds to the config it sends (route_id, __plugin_id, …), when it is a plain id. */
function kongKey(input: Raw, name: string): string | null {
  const v = input[name];
  return typeof v === 'string' && /^[\w-]{1,64}$/.test(v) ? v : null;
}

function records(raw: Raw, name: string): Raw[] {
  const list = raw[name];
  if (!Array.isArray(list) || !list.every(isObject)) throw new ConfigError(`${name} must be a list of records`);
  return list;
}

function claimPath(claim: string, where: string): string[] {
  const path = claim.split('.');
  if (path.some((segment) => segment === '')) throw new ConfigError(`${where} "${claim}" has an empty path segment`);
  return path;
}

function oneOf<T extends string>(raw: Raw, name: string, allowed: readonly T[]): T {
  const v = str(raw, name);
  if (!(allowed as readonly string[]).includes(v)) throw new ConfigError(`${name} must be one of ${allowed.join(', ')}`);
  return v as T;
}

function claimMappings(raw: Raw): ClaimHeaderMapping[] {
  return records(raw, 'claims_to_headers').map((item, i) => {
    const where = `claims_to_headers[${i + 1}]`;
    const claim = str(item, 'claim');
    const header = str(item, 'header');
    const lower = header.toLowerCase();
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(header)) throw new ConfigError(`${where}.header is not a valid header name`);
    if (RESERVED_HEADERS.has(lower)) throw new ConfigError(`${where}.header "${header}" is reserved and cannot be mapped`);
    return { claim, path: claimPath(claim, `${where}.claim`), header };
  });
}

/** A rule's introspection record ('inherit' takes the top-level one), or the top-level record itself. */
function introspectionPolicy(record: Raw, where: string, inherited: IntrospectionPolicy | null): IntrospectionPolicy {
  const mode = oneOf(record, 'mode', ['inherit', 'off', 'always', 'sample'] as const);
  if (mode === 'inherit') {
    if (inherited === null) throw new ConfigError(`${where}introspection.mode "inherit" is only for rules`);
    return inherited;
  }
  const percent = record.sample_percent;
  if (mode === 'sample' && (typeof percent !== 'number' || !Number.isInteger(percent) || percent < 1 || percent > 100)) {
    throw new ConfigError(`${where}introspection.sample_percent must be set (1 to 100) with mode "sample"`, `${where}introspection.sample_percent`);
  }
  const methods = record.methods === null || record.methods === undefined ? null : new Set(strings(record, 'methods').map((m) => m.toUpperCase()));
  return { mode, samplePercent: mode === 'sample' ? (percent as number) : 100, methods };
}

function accessPolicy(raw: Raw, where: string, introspection: IntrospectionPolicy): AccessPolicy {
  const authentication = isObject(raw.authentication) ? raw.authentication : {};
  const maxAge = authentication.max_age_seconds;
  return {
    scopesRequired: strings(raw, 'scopes_required'),
    scopesMatch: oneOf(raw, 'scopes_match', ['all', 'any'] as const),
    claimsRequired: records(raw, 'claims_required').map((rule, i) => {
      const claim = str(rule, 'claim');
      return {
        claim,
        path: claimPath(claim, `${where}claims_required[${i + 1}].claim`),
        values: strings(rule, 'values'),
        match: oneOf(rule, 'match', ['any', 'all'] as const),
      };
    }),
    claimsMatch: oneOf(raw, 'claims_match', ['all', 'any'] as const),
    authentication: {
      amrValues: strings(authentication, 'amr_values'),
      acrValues: strings(authentication, 'acr_values'),
      maxAgeSeconds: maxAge === null || maxAge === undefined ? null : int(authentication, 'max_age_seconds'),
    },
    introspection,
  };
}

function pathPattern(source: string): PathGlob {
  if (!source.startsWith('/')) throw new ConfigError(`rule path "${source}" must start with /`);
  return compileGlob(source);
}

function accessRules(raw: Raw, introspection: IntrospectionPolicy): AccessRule[] {
  return records(raw, 'rules').map((rule, i) => {
    const where = `rules[${i + 1}].`;
    const methods = rule.methods === null || rule.methods === undefined ? null : new Set(strings(rule, 'methods').map((m) => m.toUpperCase()));
    const paths = rule.paths === null || rule.paths === undefined ? null : strings(rule, 'paths').map(pathPattern);
    const own = isObject(rule.introspection) ? rule.introspection : { mode: 'inherit' };
    return { methods, paths, policy: accessPolicy(rule, where, introspectionPolicy(own, where, introspection)) };
  });
}

/**
 * The introspection client, when some policy introspects (null otherwise: the request path then
 * never looks at it). Its credentials must be complete then.
 */
function introspectionSettings(record: Raw, keySet: Raw, policies: AccessPolicy[]): IntrospectionSettings | null {
  if (policies.every((policy) => policy.introspection.mode === 'off')) return null;
  const clientId = optionalStr(record, 'client_id');
  if (clientId === null) throw new ConfigError('introspection.client_id must be set where a policy introspects (mode always or sample)', 'introspection.client_id');
  const method = oneOf(record, 'client_auth_method', ['client_secret_basic', 'private_key_jwt'] as const);
  let auth: IntrospectionSettings['auth'];
  if (method === 'client_secret_basic') {
    const secret = optionalStr(record, 'client_secret');
    if (secret === null) throw new ConfigError('introspection.client_secret must be set with client_auth_method client_secret_basic', 'introspection.client_secret');
    auth = { method, secret };
  } else {
    const privateKey = optionalStr(record, 'private_key');
    if (privateKey === null) throw new ConfigError('introspection.private_key must be set with client_auth_method private_key_jwt', 'introspection.private_key');
    try {
      auth = { method, signing: signingKey(privateKey, optionalStr(record, 'private_key_id')) };
    } catch (err) {
      throw new ConfigError((err as Error).message, 'introspection.private_key');
    }
  }
  return {
    clientId,
    auth,
    needsMethod: policies.some((policy) => policy.introspection.mode !== 'off' && policy.introspection.methods !== null),
    cacheTtlSeconds: int(record, 'cache_ttl_seconds'),
    timeoutMs: int(record, 'timeout_ms'),
    connectTimeoutMs: int(keySet, 'connect_timeout_ms'),
    maxBodyBytes: int(keySet, 'max_body_bytes'),
    proxyUrl: proxyUrl(optionalStr(keySet, 'proxy_url')),
    unavailable: oneOf(record, 'unavailable', ['refuse', 'grace'] as const),
    graceSeconds: int(record, 'grace_seconds'),
  };
}

/** The issuer must be an Okta custom authorization server: the org AS issues tokens for Okta's own APIs. */
function issuerSettings(issuer: string, jwksUri: string | null, audiences: string[], allowInsecure: boolean, keys: Omit<KeySetSettings, 'issuer' | 'jwksUri'>, where: string): IssuerSettings {
  checkUrl(`${where}issuer`, issuer, allowInsecure);
  if (!/^[^/]+\/\/[^/]+\/oauth2\/[^/]+$/.test(issuer)) {
    throw new ConfigError(
      `${where}issuer "${issuer}" is not an Okta custom authorization server (https://<org>/oauth2/<id>). ` +
        'Tokens of the org authorization server are meant for Okta\'s own APIs; create a custom authorization server (e.g. "default") for your API.',
    );
  }
  if (jwksUri !== null) checkUrl(`${where}jwks_uri`, jwksUri, allowInsecure);
  if (audiences.length === 0) throw new ConfigError(`${where}audiences must name at least one audience`);
  return { issuer, audiences, keys: { ...keys, issuer, jwksUri } };
}

/** The dpop record; external_base_url must be a plain http(s) origin with an optional path prefix. */
function dpopSettings(dpop: Raw): DpopSettings {
  const algorithms = strings(dpop, 'algorithms');
  const unsupported = algorithms.filter((alg) => !(SUPPORTED_ALGORITHMS as readonly string[]).includes(alg));
  if (unsupported.length > 0 || algorithms.length === 0) throw new ConfigError('dpop.algorithms must name asymmetric algorithms (none and HS* are never accepted)');
  const base = optionalStr(dpop, 'external_base_url');
  let externalBaseUrl: string | null = null;
  if (base !== null) {
    const url = URL.canParse(base) ? new URL(base) : null;
    if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:')) throw new ConfigError('dpop.external_base_url must be an http(s) URL');
    if (url.username || url.password || url.search || url.hash || base.includes('?') || base.includes('#')) {
      throw new ConfigError('dpop.external_base_url must not contain credentials, a query or a fragment');
    }
    externalBaseUrl = `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
  }
  return {
    mode: oneOf(dpop, 'mode', ['off', 'allowed', 'required'] as const),
    algorithms,
    proofLifetimeSeconds: int(dpop, 'proof_lifetime_seconds'),
    clockSkewSeconds: int(dpop, 'clock_skew_seconds'),
    externalBaseUrl,
    replayCacheMaxEntries: int(dpop, 'replay_cache_max_entries'),
    redisUnavailable: oneOf(dpop, 'redis_unavailable', ['refuse', 'local'] as const),
    requireNonce: bool(dpop, 'require_nonce'),
    nonceSecret: optionalStr(dpop, 'nonce_secret'),
    nonceLifetimeSeconds: int(dpop, 'nonce_lifetime_seconds'),
  };
}

/** The redis record; null when no host is set. */
function redisSettings(redis: Raw): RedisSettings | null {
  const host = optionalStr(redis, 'host');
  if (host === null) return null;
  return {
    host,
    port: int(redis, 'port'),
    username: optionalStr(redis, 'username'),
    password: optionalStr(redis, 'password'),
    database: int(redis, 'database'),
    ssl: bool(redis, 'ssl'),
    sslVerify: bool(redis, 'ssl_verify'),
    serverName: optionalStr(redis, 'server_name'),
    timeoutMs: int(redis, 'timeout'),
    keyPrefix: str(redis, 'key_prefix'),
  };
}

function revocationSettings(raw: Raw, redis: RedisSettings | null): RevocationSettings {
  const sync = oneOf(raw, 'sync', ['local', 'redis'] as const);
  if (sync === 'redis' && redis === null) throw new ConfigError('revocations.sync "redis" needs redis.host: set the redis record, or use sync "local"', 'redis.host');
  return { sync, whenUnsynced: oneOf(raw, 'when_unsynced', ['refuse', 'local'] as const) };
}

/** The ssf_receiver record; null when no transmitter is named. */
function ssfReceiverSettings(raw: Raw, config: Pick<PluginConfig, 'issuers' | 'maxTokenAgeSeconds' | 'leewaySeconds'>, allowInsecure: boolean, keyPolicy: Omit<KeySetSettings, 'issuer' | 'jwksUri'>): SsfReceiverSettings | null {
  const transmitterIssuer = optionalStr(raw, 'transmitter_issuer');
  if (transmitterIssuer === null) return null;
  checkUrl('ssf_receiver.transmitter_issuer', transmitterIssuer, allowInsecure);
  const authorization = optionalStr(raw, 'authorization');
  if (authorization === null) throw new ConfigError('ssf_receiver.authorization is required for a receiver: set it to the Authorization value of the stream', 'ssf_receiver.authorization');
  const audiences = strings(raw, 'audiences');
  if (audiences.length === 0) throw new ConfigError('ssf_receiver.audiences must name the aud of the stream', 'ssf_receiver.audiences');
  return {
    transmitterIssuer,
    audiences,
    authorization,
    maxSetBytes: int(raw, 'max_set_bytes'),
    maxSetAgeSeconds: int(raw, 'max_set_age_seconds'),
    maxEntries: int(raw, 'max_entries'),
    keys: { ...keyPolicy, issuer: transmitterIssuer, jwksUri: null, metadata: 'ssf_transmitter' },
    tokenIssuers: config.issuers.map((i) => i.issuer),
    retentionSeconds: config.maxTokenAgeSeconds + config.leewaySeconds,
  };
}

/** method_override matters only where a rule names methods: elsewhere the method changes no decision. */
function methodOverride(raw: Raw, rules: AccessRule[]): PluginConfig['methodOverride'] {
  const mode = oneOf(raw, 'method_override', ['pass', 'strip', 'refuse'] as const);
  return rules.some((rule) => rule.methods !== null) ? mode : 'pass';
}

export function normaliseConfig(input: unknown): PluginConfig {
  if (!isObject(input)) throw new ConfigError('config must be an object');
  const raw = withDefaults(configFields, input);
  const keySet = raw.key_set as Raw;
  const tokenCache = raw.token_cache as Raw;

  const allowInsecure = bool(raw, 'allow_insecure_issuer');
  const minTtl = int(keySet, 'min_ttl_seconds');
  const maxTtl = int(keySet, 'max_ttl_seconds');
  const connectTimeoutMs = int(keySet, 'connect_timeout_ms');
  const timeoutMs = int(keySet, 'timeout_ms');
  const keyPolicy = {
    minTtlSeconds: minTtl,
    maxTtlSeconds: maxTtl,
    unknownKidCooldownSeconds: int(keySet, 'unknown_kid_cooldown_seconds'),
    maxStaleSeconds: int(keySet, 'max_stale_seconds'),
    connectTimeoutMs,
    timeoutMs,
    maxBodyBytes: int(keySet, 'max_body_bytes'),
    proxyUrl: proxyUrl(optionalStr(keySet, 'proxy_url')),
  };

  const issuers = [
    issuerSettings(str(raw, 'issuer'), optionalStr(raw, 'jwks_uri'), strings(raw, 'audiences'), allowInsecure, keyPolicy, ''),
    ...records(raw, 'additional_issuers').map((extra, i) =>
      issuerSettings(str(extra, 'issuer'), optionalStr(extra, 'jwks_uri'), strings(extra, 'audiences'), allowInsecure, keyPolicy, `additional_issuers[${i + 1}].`),
    ),
  ];

  const allowedAlgorithms = strings(raw, 'allowed_algorithms');
  const supported: readonly string[] = SUPPORTED_ALGORITHMS;
  const unsupported = allowedAlgorithms.filter((alg) => !supported.includes(alg));
  if (unsupported.length > 0) throw new ConfigError(`allowed_algorithms contains unsupported ${unsupported.join(', ')} (none and HS* are never accepted)`);
  if (allowedAlgorithms.length === 0) throw new ConfigError('allowed_algorithms must name at least one algorithm');

  const tokenHeader = str(raw, 'token_header').toLowerCase();
  const consumerClaim = optionalStr(raw, 'consumer_claim');
  const clientIds = raw.client_ids === null ? null : new Set(strings(raw, 'client_ids'));
  const introspection = raw.introspection as Raw;
  const defaultIntrospection = introspectionPolicy(introspection, '', null);
  const defaultPolicy = accessPolicy(raw, '', defaultIntrospection);
  const rules = accessRules(raw, defaultIntrospection);
  const config: Omit<PluginConfig, 'identity' | 'revocations' | 'ssfReceiver'> = {
    issuers,
    allowedAlgorithms,
    leewaySeconds: int(raw, 'leeway_seconds'),
    maxTokenAgeSeconds: int(raw, 'max_token_age_seconds'),
    clientIds,
    defaultPolicy,
    rules,
    unmatchedRequests: oneOf(raw, 'unmatched_requests', ['default_policy', 'deny'] as const),
    methodOverride: methodOverride(raw, rules),
    claimsToHeaders: claimMappings(raw),
    tokenHeader,
    tokenSources: { queryParam: optionalStr(raw, 'token_query_param'), cookie: optionalStr(raw, 'token_cookie') },
    hideCredentials: bool(raw, 'hide_credentials'),
    realm: str(raw, 'realm'),
    runOnPreflight: bool(raw, 'run_on_preflight'),
    maxTokenBytes: int(raw, 'max_token_bytes'),
    consumer: {
      claim: consumerClaim === null ? null : claimPath(consumerClaim, 'consumer_claim'),
      claimName: consumerClaim,
      lookup: oneOf(raw, 'consumer_lookup', ['username', 'id'] as const),
      required: bool(raw, 'consumer_required'),
      anonymous: optionalStr(raw, 'anonymous'),
    },
    sharedClaimsKey: optionalStr(raw, 'shared_claims_key'),
    failClosedGuard: bool(raw, 'fail_closed_guard'),
    refusalLog: {
      level: oneOf(raw, 'refusal_log_level', ['none', 'debug', 'info', 'notice', 'warn', 'err'] as const),
      serialize: bool(raw, 'serialize_refusals'),
    },
    scope: { routeId: kongKey(input, 'route_id'), serviceId: kongKey(input, 'service_id'), pluginId: kongKey(input, '__plugin_id') },
    dryRun: bool(raw, 'dry_run'),
    tokenCache: {
      maxEntries: int(tokenCache, 'max_entries'),
      maxTtlSeconds: int(tokenCache, 'max_ttl_seconds'),
    },
    dpop: dpopSettings(raw.dpop as Raw),
    redis: redisSettings(raw.redis as Raw),
    introspection: introspectionSettings(introspection, keySet, [defaultPolicy, ...rules.map((rule) => rule.policy)]),
  };
  const revocations = revocationSettings(raw.revocations as Raw, config.redis);
  const ssfReceiver = ssfReceiverSettings(raw.ssf_receiver as Raw, config, allowInsecure, keyPolicy);
  if (config.consumer.required && config.consumer.claim === null) throw new ConfigError('consumer_required needs consumer_claim: set it to the claim naming the consumer (e.g. sub)', 'consumer_claim');
  if (config.sharedClaimsKey === GUARD_SHARED_KEY) throw new ConfigError(`shared_claims_key "${GUARD_SHARED_KEY}" is the fail-closed guard's key: choose another name`, 'shared_claims_key');
  if (config.unmatchedRequests === 'deny' && config.rules.length === 0) throw new ConfigError('unmatched_requests "deny" refuses every request when there are no rules: add rules, or use "default_policy"', 'rules');
  const problem = startupProblems(raw)[0];
  if (problem !== undefined) throw new ConfigError(`${problem.field} ${problem.message}`, problem.field);
  return { ...config, revocations, ssfReceiver, identity: configIdentity(config) };
}

/**
 * Everything that can change whether a token verifies (and how long a verification may be reused),
 * serialised in a fixed order. Two instances with equal identities share verified-token cache entries.
 */
function configIdentity(c: Omit<PluginConfig, 'identity' | 'revocations' | 'ssfReceiver'>): string {
  return JSON.stringify([
    c.issuers.map((i) => [i.issuer, i.keys.jwksUri, [...i.audiences].sort()]),
    [...c.allowedAlgorithms].sort(),
    c.leewaySeconds,
    c.maxTokenAgeSeconds,
    c.maxTokenBytes,
    c.tokenCache.maxTtlSeconds,
  ]);
}
