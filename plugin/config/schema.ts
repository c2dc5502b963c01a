// The plugin's config fields in Kong's schema format (kong-protocol.md §5.4). This is the single
// source of truth for field names, defaults and the checks Kong can express; config/normalise.ts
// adds the cross-field checks Kong's JS schemas cannot (no entity_checks from JavaScript).
// Patterns in `match` are Lua patterns, evaluated by Kong.

export const SUPPORTED_ALGORITHMS = [
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA',
] as const;

/** RFC 9110 token characters, as a Lua pattern: header names and the token header. */
const HEADER_NAME_PATTERN = "^[%w!#$%%&'*+%.^_`|~%-]+$";

type Field = Record<string, Record<string, unknown>>;

const keySetFields: Field[] = [
  { min_ttl_seconds: { type: 'integer', default: 300, between: [0, 86400], description: 'Lower bound applied to the issuer\'s Cache-Control max-age for the key set.' } },
  { max_ttl_seconds: { type: 'integer', default: 86400, between: [60, 604800], description: 'Upper bound applied to the issuer\'s Cache-Control max-age for the key set.' } },
  { unknown_kid_cooldown_seconds: { type: 'integer', default: 30, between: [1, 3600], description: 'At most one key-set refetch per this many seconds when tokens carry an unknown kid.' } },
  { max_stale_seconds: { type: 'integer', default: 86400, between: [0, 604800], description: 'How long the last good key set keeps verifying tokens while the issuer is failing.' } },
  { connect_timeout_ms: { type: 'integer', default: 2000, between: [50, 60000], description: 'Connect timeout for discovery and key-set requests, in milliseconds.' } },
  { timeout_ms: { type: 'integer', default: 5000, between: [100, 120000], description: 'Total timeout for one discovery or key-set request, in milliseconds.' } },
  { max_body_bytes: { type: 'integer', default: 262144, between: [1024, 10485760], description: 'Largest discovery or key-set response body accepted, in bytes.' } },
];

const tokenCacheFields: Field[] = [
  { max_entries: { type: 'integer', default: 10000, between: [0, 1000000], description: 'Verified tokens kept in the process-wide cache; 0 disables the cache.' } },
  { max_ttl_seconds: { type: 'integer', default: 300, between: [1, 86400], description: 'Longest time a verified token is trusted without re-verification; never beyond its exp.' } },
];

export const configFields: Field[] = [
  { issuer: { type: 'string', required: true, match: '^https?://[^/%s]+', description: 'Okta custom authorization server issuer, e.g. https://dev-123.okta.com/oauth2/default. Must equal the token iss exactly.' } },
  { jwks_uri: { type: 'string', required: false, match: '^https?://[^/%s]+', description: 'Key-set URL. When unset it is discovered from the issuer metadata; never taken from a token.' } },
  { allow_insecure_issuer: { type: 'boolean', required: true, default: false, description: 'Development only: allow a plain-http issuer on a host other than localhost.' } },
  { audiences: { type: 'array', required: true, len_min: 1, elements: { type: 'string' }, description: 'Accepted audiences; the token aud must contain one of them (e.g. api://default).' } },
  { allowed_algorithms: { type: 'set', required: true, default: ['RS256'], len_min: 1, elements: { type: 'string', one_of: [...SUPPORTED_ALGORITHMS] }, description: 'Signature algorithms accepted. none and HS* are never accepted.' } },
  { leeway_seconds: { type: 'integer', required: true, default: 30, between: [0, 300], description: 'Clock skew tolerated for exp, nbf and iat, in seconds.' } },
  { max_token_age_seconds: { type: 'integer', required: true, default: 86400, between: [60, 604800], description: 'Oldest iat accepted, and the longest lifetime (exp - iat) accepted, in seconds.' } },
  { client_ids: { type: 'set', required: false, elements: { type: 'string' }, description: 'When set, only tokens whose Okta cid claim is in this list are accepted.' } },
  { scopes_required: { type: 'set', required: true, default: [], elements: { type: 'string', match: '^[^%s%c"\\\\]+$' }, description: 'Scopes the token must carry (Okta scp array or space-separated scope string).' } },
  { scopes_match: { type: 'string', required: true, default: 'all', one_of: ['all', 'any'], description: 'all: every required scope must be present; any: at least one.' } },
  {
    claims_to_headers: {
      type: 'array',
      required: true,
      default: [],
      description: 'Claims copied to upstream request headers. Client-sent copies of these headers are always removed.',
      elements: {
        type: 'record',
        fields: [
          { claim: { type: 'string', required: true, match: '^[^.%c][^%c]*$', description: 'Dot path into the claims, e.g. sub or profile.email.' } },
          { header: { type: 'string', required: true, match: HEADER_NAME_PATTERN, description: 'Upstream request header name, e.g. X-User-Sub.' } },
        ],
      },
    },
  },
  { token_header: { type: 'string', required: true, default: 'authorization', match: HEADER_NAME_PATTERN, description: 'Request header carrying the token with the Bearer scheme.' } },
  { hide_credentials: { type: 'boolean', required: true, default: false, description: 'Remove the token header from the request sent upstream.' } },
  { realm: { type: 'string', required: true, default: 'okta-jwt', match: '^[%w%-%._ :/]+$', description: 'Realm announced in the WWW-Authenticate challenge.' } },
  { run_on_preflight: { type: 'boolean', required: true, default: true, description: 'When false, CORS preflight requests (OPTIONS with Origin and Access-Control-Request-Method) pass untouched.' } },
  { max_token_bytes: { type: 'integer', required: true, default: 8192, between: [256, 65536], description: 'Longest token accepted, checked before any parsing.' } },
  { key_set: { type: 'record', required: true, fields: keySetFields } },
  { token_cache: { type: 'record', required: true, fields: tokenCacheFields } },
];
