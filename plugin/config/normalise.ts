// Turns the raw config Kong sends to StartInstance (validated by Kong against config/schema.ts,
// plus Kong's own keys such as __plugin_id, __seq__, __key__, route_id) into a typed PluginConfig.
// Runs once per plugin instance. Defaults come from the schema, so a config that did not pass
// through Kong (unit tests, the doctor) is read the same way. Cross-field rules Kong cannot
// express from a JS schema are enforced here and reported as ConfigError.
import { configFields, SUPPORTED_ALGORITHMS } from './schema';
import type { ClaimHeaderMapping, PluginConfig } from './types';

export class ConfigError extends Error {
  constructor(message: string) {
    super(`okta-jwt config: ${message}`);
    this.name = 'ConfigError';
  }
}

type Raw = Record<string, unknown>;
type FieldList = Array<Record<string, Record<string, unknown>>>;

/** Headers the plugin must never write: they steer proxying, framing or credentials. */
const RESERVED_HEADERS = new Set([
  'host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer',
  'proxy-authorization', 'authorization', 'cookie', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host',
  'x-forwarded-port', 'x-forwarded-path', 'x-forwarded-prefix', 'x-real-ip', 'via',
]);

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Fills schema defaults for absent or null fields, recursing into records. */
function withDefaults(fields: FieldList, raw: Raw): Raw {
  const out: Raw = {};
  for (const entry of fields) {
    const [name, spec] = Object.entries(entry)[0];
    const value = Object.hasOwn(raw, name) ? raw[name] : undefined;
    if (spec.type === 'record') {
      out[name] = withDefaults(spec.fields as FieldList, isObject(value) ? value : {});
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
  throw new ConfigError(`${name} must use https (plain http is accepted only for localhost or 127.0.0.1)`);
}

function claimMappings(raw: Raw, tokenHeader: string): ClaimHeaderMapping[] {
  const list = raw.claims_to_headers;
  if (!Array.isArray(list)) throw new ConfigError('claims_to_headers must be a list');
  const seen = new Set<string>();
  return list.map((item: unknown, i: number) => {
    if (!isObject(item)) throw new ConfigError(`claims_to_headers[${i + 1}] must be a {claim, header} record`);
    const claim = str(item, 'claim');
    const header = str(item, 'header');
    const path = claim.split('.');
    if (path.some((segment) => segment === '')) throw new ConfigError(`claims_to_headers[${i + 1}].claim "${claim}" has an empty path segment`);
    const lower = header.toLowerCase();
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(header)) throw new ConfigError(`claims_to_headers[${i + 1}].header is not a valid header name`);
    if (RESERVED_HEADERS.has(lower) || lower === tokenHeader) throw new ConfigError(`claims_to_headers[${i + 1}].header "${header}" is reserved and cannot be mapped`);
    if (seen.has(lower)) throw new ConfigError(`claims_to_headers maps header "${header}" twice`);
    seen.add(lower);
    return { claim, path, header };
  });
}

export function normaliseConfig(input: unknown): PluginConfig {
  if (!isObject(input)) throw new ConfigError('config must be an object');
  const raw = withDefaults(configFields, input);
  const keySet = raw.key_set as Raw;
  const tokenCache = raw.token_cache as Raw;

  const allowInsecure = bool(raw, 'allow_insecure_issuer');
  const issuer = str(raw, 'issuer');
  checkUrl('issuer', issuer, allowInsecure);
  const jwksUri = optionalStr(raw, 'jwks_uri');
  if (jwksUri !== null) checkUrl('jwks_uri', jwksUri, allowInsecure);

  const audiences = strings(raw, 'audiences');
  if (audiences.length === 0) throw new ConfigError('audiences must name at least one audience');

  const allowedAlgorithms = strings(raw, 'allowed_algorithms');
  const supported: readonly string[] = SUPPORTED_ALGORITHMS;
  const unsupported = allowedAlgorithms.filter((alg) => !supported.includes(alg));
  if (unsupported.length > 0) throw new ConfigError(`allowed_algorithms contains unsupported ${unsupported.join(', ')} (none and HS* are never accepted)`);
  if (allowedAlgorithms.length === 0) throw new ConfigError('allowed_algorithms must name at least one algorithm');

  const scopesMatch = str(raw, 'scopes_match');
  if (scopesMatch !== 'all' && scopesMatch !== 'any') throw new ConfigError('scopes_match must be "all" or "any"');

  const tokenHeader = str(raw, 'token_header').toLowerCase();
  const minTtl = int(keySet, 'min_ttl_seconds');
  const maxTtl = int(keySet, 'max_ttl_seconds');
  if (minTtl > maxTtl) throw new ConfigError('key_set.min_ttl_seconds must not exceed key_set.max_ttl_seconds');
  const connectTimeoutMs = int(keySet, 'connect_timeout_ms');
  const timeoutMs = int(keySet, 'timeout_ms');
  if (connectTimeoutMs > timeoutMs) throw new ConfigError('key_set.connect_timeout_ms must not exceed key_set.timeout_ms');

  const clientIds = raw.client_ids === null ? null : new Set(strings(raw, 'client_ids'));
  const config: Omit<PluginConfig, 'identity'> = {
    issuer,
    audiences,
    allowedAlgorithms,
    leewaySeconds: int(raw, 'leeway_seconds'),
    maxTokenAgeSeconds: int(raw, 'max_token_age_seconds'),
    clientIds,
    scopesRequired: strings(raw, 'scopes_required'),
    scopesMatch,
    claimsToHeaders: claimMappings(raw, tokenHeader),
    tokenHeader,
    hideCredentials: bool(raw, 'hide_credentials'),
    realm: str(raw, 'realm'),
    runOnPreflight: bool(raw, 'run_on_preflight'),
    maxTokenBytes: int(raw, 'max_token_bytes'),
    keys: {
      issuer,
      jwksUri,
      minTtlSeconds: minTtl,
      maxTtlSeconds: maxTtl,
      unknownKidCooldownSeconds: int(keySet, 'unknown_kid_cooldown_seconds'),
      maxStaleSeconds: int(keySet, 'max_stale_seconds'),
      connectTimeoutMs,
      timeoutMs,
      maxBodyBytes: int(keySet, 'max_body_bytes'),
    },
    tokenCache: {
      maxEntries: int(tokenCache, 'max_entries'),
      maxTtlSeconds: int(tokenCache, 'max_ttl_seconds'),
    },
  };
  return { ...config, identity: configIdentity(config) };
}

/**
 * Everything that can change whether a token is accepted, serialised in a fixed order. Two
 * instances with equal identities may share verified-token cache entries.
 */
function configIdentity(c: Omit<PluginConfig, 'identity'>): string {
  return JSON.stringify([
    c.issuer, c.keys.jwksUri, [...c.audiences].sort(), [...c.allowedAlgorithms].sort(), c.leewaySeconds,
    c.maxTokenAgeSeconds, c.clientIds === null ? null : [...c.clientIds].sort(), c.maxTokenBytes,
  ]);
}
