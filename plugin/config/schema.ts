// The plugin's config fields in Kong's schema format (kong-protocol.md §5.4). This is the single
// source of truth for field names, defaults and the checks Kong can express: per field here, across
// fields in config/entity-checks.ts (the config record's entity_checks). config/startup-checks.ts
// holds the few rules Kong's schema language cannot say; config/normalise.ts checks everything again.
// Patterns (`match`, `match_none`, …) are Lua patterns, evaluated by Kong.
import { entityChecksFor } from './entity-checks';

export const SUPPORTED_ALGORITHMS = [
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA',
] as const;

/** RFC 9110 token characters, as a Lua pattern: header names and the token header. */
const HEADER_NAME_PATTERN = "^[%w!#$%%&'*+%.^_`|~%-]+$";

/**
 * Headers the plugin must never write: they steer routing and the upstream host (Kong turns a set
 * Host into the upstream host), message framing and connection handling (nginx owns these), or carry
 * credentials and client identity. Listed here so Kong refuses them when the config is loaded.
 */
export const RESERVED_HEADERS = [
  'host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer',
  'proxy-authorization', 'authorization', 'cookie', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host',
  'x-forwarded-port', 'x-forwarded-path', 'x-forwarded-prefix', 'x-real-ip', 'via',
] as const;

const reservedMessage = (name: string) => `"${name}" is reserved (Kong, nginx or the upstream rely on it); map the claim to another header`;

/** Kong's match_none: one case-insensitive Lua pattern per reserved name (Lua patterns have no /i). */
const RESERVED_HEADER_NAMES = RESERVED_HEADERS.map((name) => ({
  pattern: `^${[...name].map((ch) => (ch === '-' ? '%-' : `[${ch.toUpperCase()}${ch}]`)).join('')}$`,
  err: reservedMessage(name),
}));

/** What Kong answers for a reserved header name (match_none above), for checks outside Kong (the doctor). */
export function reservedHeaderError(header: string): string | null {
  const lower = header.toLowerCase();
  return (RESERVED_HEADERS as readonly string[]).includes(lower) ? reservedMessage(lower) : null;
}

type Field = Record<string, Record<string, unknown>>;

const URL_PATTERN = '^https?://[^/%s]+';
/** What normalise.ts refuses in an issuer, key-set or base URL, as Kong's match_none. */
const URL_EXTRAS_REFUSED = [
  { pattern: '^[^/]*//[^/]*@', err: 'must not contain credentials (user:password@)' },
  { pattern: '[?#]', err: 'must not contain a query or fragment' },
];
/** A forward proxy is named by scheme, host and port (credentials allowed: proxies ask for them). */
const PROXY_URL = [{ pattern: '^https?://[^/%s?#]+/?$', err: 'must name only the proxy, http(s)://[user:password@]host:port, without a path or query' }];

/** The kong.ctx.shared key of the fail-closed guard's mark (docs/fail-closed-guard.md); no other use may take it. */
export const GUARD_SHARED_KEY = 'okta_jwt_guard';

const keySetFields: Field[] = [
  { min_ttl_seconds: { type: 'integer', default: 300, between: [0, 86400], description: 'Lower bound applied to the issuer\'s Cache-Control max-age for the key set.' } },
  { max_ttl_seconds: { type: 'integer', default: 3600, between: [60, 604800], description: 'Upper bound applied to the issuer\'s Cache-Control max-age for the key set.' } },
  { unknown_kid_cooldown_seconds: { type: 'integer', default: 30, between: [1, 3600], description: 'At most one key-set refetch per this many seconds when tokens carry an unknown kid.' } },
  { max_stale_seconds: { type: 'integer', default: 86400, between: [0, 604800], description: 'How long the last good key set keeps verifying tokens while the issuer is failing.' } },
  { connect_timeout_ms: { type: 'integer', default: 2000, between: [50, 60000], description: 'Connect timeout for discovery and key-set requests, in milliseconds.' } },
  { timeout_ms: { type: 'integer', default: 5000, between: [100, 120000], description: 'Total timeout for one discovery or key-set request, in milliseconds.' } },
  { max_body_bytes: { type: 'integer', default: 262144, between: [1024, 10485760], description: 'Largest discovery or key-set response body accepted, in bytes.' } },
  { proxy_url: { type: 'string', required: false, match_all: PROXY_URL, referenceable: true, encrypted: true, description: 'Forward proxy (http://host:port) for discovery and key-set requests, for hosts whose environment cannot be changed. Wins over HTTPS_PROXY / HTTP_PROXY, and NO_PROXY does not apply to it. Unset: those environment variables decide.' } },
];

const tokenCacheFields: Field[] = [
  { max_entries: { type: 'integer', default: 10000, between: [0, 1000000], description: 'Verified tokens this plugin keeps in the process-wide cache, its own bound (plugins with the same settings share one part; a small one never evicts another plugin\'s entries); 0 disables the cache.' } },
  { max_ttl_seconds: { type: 'integer', default: 300, between: [1, 86400], description: 'Longest time a verified token is trusted without re-verification; never beyond its exp.' } },
];

/** No space, quote, backslash or control character: such values are quoted into WWW-Authenticate (RFC 6750 §3). */
const CHALLENGE_TOKEN = '^[^%s%c"\\\\]+$';
const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'];
/** A dot path into the claims: no control characters, no empty segment. */
const CLAIM_PATH_PATTERN = '^[^.%c][^%c]*$';
const CLAIM_PATH_SEGMENTS = [
  { pattern: '%.%.', err: 'has an empty path segment: write claim paths as a.b.c' },
  { pattern: '%.$', err: 'has an empty path segment: write claim paths as a.b.c' },
];
const CLAIM_PATH = { type: 'string', required: true, match: CLAIM_PATH_PATTERN, match_none: CLAIM_PATH_SEGMENTS, description: 'Dot path into the claims, e.g. sub, groups or profile.email.' };
/** Okta custom authorization servers live under /oauth2/<id>; the org authorization server (no /oauth2/) issues tokens APIs must not accept. */
const OKTA_CUSTOM_AS_ISSUER = [{
  pattern: '^https?://[^/%s]+/oauth2/[^/%s]+$',
  err: 'must be an Okta custom authorization server, https://<org>/oauth2/<id> (e.g. https://dev-123.okta.com/oauth2/default): the org authorization server issues tokens for Okta\'s own APIs',
}];
const ISSUER_DESCRIPTION = 'Okta custom authorization server issuer, e.g. https://dev-123.okta.com/oauth2/default (the org authorization server is refused). Must equal the token iss exactly.';

/** The access policy fields, used at the top level (the default) and in each rule. */
function policyFields(): Field[] {
  return [
    { scopes_required: { type: 'set', required: true, default: [], elements: { type: 'string', match: CHALLENGE_TOKEN }, description: 'Scopes the token must carry (Okta scp array or space-separated scope string).' } },
    { scopes_match: { type: 'string', required: true, default: 'all', one_of: ['all', 'any'], description: 'all: every required scope must be present; any: at least one.' } },
    {
      claims_required: {
        type: 'array',
        required: true,
        default: [],
        description: 'Required claim values, e.g. groups contains Admins, or cid is one of a list.',
        elements: {
          type: 'record',
          fields: [
            { claim: CLAIM_PATH },
            { values: { type: 'array', required: true, len_min: 1, elements: { type: 'string' }, description: 'Accepted values; the claim (a string or an array) must hold them.' } },
            { match: { type: 'string', required: true, default: 'any', one_of: ['any', 'all'], description: 'any: one of the values suffices; all: every value must be present.' } },
          ],
        },
      },
    },
    { claims_match: { type: 'string', required: true, default: 'all', one_of: ['all', 'any'], description: 'all: every claims_required entry must hold; any: one suffices.' } },
    {
      authentication: {
        type: 'record',
        required: true,
        description: 'Step-up requirements (RFC 9470): MFA via amr, assurance level via acr, recent login via auth_time.',
        fields: [
          { amr_values: { type: 'set', required: true, default: [], elements: { type: 'string', match: CHALLENGE_TOKEN }, description: 'The amr claim must contain one of these, e.g. mfa, otp, hwk.' } },
          { acr_values: { type: 'set', required: true, default: [], elements: { type: 'string', match: CHALLENGE_TOKEN }, description: 'The acr claim must be one of these, e.g. urn:okta:loa:2fa:any.' } },
          { max_age_seconds: { type: 'integer', required: false, between: [0, 31536000], description: 'The login (auth_time) must be at most this many seconds old.' } },
        ],
      },
    },
  ];
}

/** DPoP (RFC 9449) proof checks; off keeps today's behaviour (every key-bound token refused). */
const dpopFields: Field[] = [
  { mode: { type: 'string', required: true, default: 'off', one_of: ['off', 'allowed', 'required'], description: 'off: DPoP-bound tokens are refused (a DPoP header is ignored); allowed: Bearer tokens and DPoP-bound tokens with a proof; required: only DPoP-bound tokens with a proof.' } },
  { algorithms: { type: 'set', required: true, default: ['ES256', 'RS256', 'PS256'], len_min: 1, elements: { type: 'string', one_of: [...SUPPORTED_ALGORITHMS] }, description: 'Signature algorithms accepted for DPoP proofs (asymmetric only), announced in the challenge\'s algs.' } },
  { proof_lifetime_seconds: { type: 'integer', required: true, default: 60, between: [1, 3600], description: 'Oldest proof accepted: its iat may be at most this many seconds in the past (plus clock_skew_seconds).' } },
  { clock_skew_seconds: { type: 'integer', required: true, default: 5, between: [0, 300], description: 'How far a proof\'s iat may lie in the future, and extra slack for its age.' } },
  { external_base_url: { type: 'string', required: false, match: URL_PATTERN, match_none: URL_EXTRAS_REFUSED, description: 'Scheme, host, port (and path prefix) clients use to reach Kong, e.g. https://api.example.com; the proof\'s htu is compared against it plus the request path. Unset: taken from Kong (kong.request.get_forwarded_scheme/host/port, which honour X-Forwarded-* only from Kong\'s trusted_ips).' } },
  { require_nonce: { type: 'boolean', required: true, default: false, description: 'Require a server nonce in every proof (RFC 9449 §9): a proof without a valid one is refused with use_dpop_nonce and a fresh nonce in the DPoP-Nonce header.' } },
  { nonce_secret: { type: 'string', required: false, len_min: 32, referenceable: true, encrypted: true, description: 'Secret for the stateless nonces, the same on every Kong node so that any node accepts another\'s nonce. Unset: random per plugin-server process (nonces then hold on one node only).' } },
  { nonce_lifetime_seconds: { type: 'integer', required: true, default: 300, between: [10, 3600], description: 'A nonce is valid in the window it was issued in and the next one, so for this long to twice this long.' } },
  { replay_cache_max_entries: { type: 'integer', required: true, default: 100000, between: [1000, 10000000], description: 'Proofs this plugin remembers until they expire, per plugin-server process (replay protection per Kong node; a proof used on any route is refused on every other). An unexpired proof is never forgotten: with this many live, further proofs on this plugin are refused with 503 and Retry-After until the oldest expires. Size it above the plugin\'s peak DPoP requests per second times the widest proof_lifetime_seconds + clock_skew_seconds configured on any plugin.' } },
  { redis_unavailable: { type: 'string', required: true, default: 'refuse', one_of: ['refuse', 'local'], description: 'With redis.host set, proofs are remembered in Redis (once across every node; no per-plugin quota there), and this is what a DPoP request gets while Redis is unreachable or slower than redis.timeout. refuse: 503 with Retry-After. local: the proof is checked against this node\'s replay cache only (a proof may then be accepted once per node), logged at most once a minute.' } },
];

/**
 * Shared state across Kong nodes (the DPoP replay cache, revocations, introspection results), with
 * the field names of Kong's rate-limiting `redis` record. Unset host: state stays in this process.
 */
const redisFields: Field[] = [
  { host: { type: 'string', required: false, match: '^[%w%.%-:%[%]]+$', description: 'Redis host name or IP address. Unset: no Redis; the state of this plugin stays in each plugin-server process (one Kong node).' } },
  { port: { type: 'integer', required: true, default: 6379, between: [1, 65535], description: 'Redis port.' } },
  { username: { type: 'string', required: false, referenceable: true, description: 'Redis ACL user name (Redis 6 and later); unset: the default user.' } },
  { password: { type: 'string', required: false, referenceable: true, encrypted: true, description: 'Redis password (AUTH).' } },
  { database: { type: 'integer', required: true, default: 0, between: [0, 1000], description: 'Redis logical database number.' } },
  { ssl: { type: 'boolean', required: true, default: false, description: 'Connect to Redis over TLS.' } },
  { ssl_verify: { type: 'boolean', required: true, default: true, description: 'With ssl: verify the Redis server certificate against the system trust store and server_name (or host).' } },
  { server_name: { type: 'string', required: false, match: '^[%w%.%-]+$', description: 'With ssl: the TLS server name (SNI) to send and verify; unset: host.' } },
  { timeout: { type: 'integer', required: true, default: 200, between: [10, 10000], description: 'Longest wait for Redis, in milliseconds: connecting, and each command. A request needing Redis gets 503 with Retry-After when it is exceeded (never a pass).' } },
  { key_prefix: { type: 'string', required: true, default: 'okta-jwt:', match: '^[%w_.:-]+$', len_max: 64, description: 'Prefix of every key okta-jwt writes, so several Kong clusters can share one Redis.' } },
];

/**
 * Turns this plugin instance into a Shared Signals (SSF) receiver: its route accepts Security Event
 * Tokens pushed by the transmitter (RFC 8935) instead of proxying. Unset transmitter_issuer: an
 * ordinary token-verifying instance.
 */
const ssfReceiverFields: Field[] = [
  { transmitter_issuer: { type: 'string', required: false, match: URL_PATTERN, match_none: URL_EXTRAS_REFUSED, description: 'The SSF transmitter\'s issuer, e.g. https://dev-123.okta.com (the Okta org, not an authorization server). Its keys are found through {origin}/.well-known/ssf-configuration{path}. Set: this plugin instance is a receiver; its route answers pushed SETs and proxies nothing. Revocations apply to tokens of the issuers this instance names (issuer, additional_issuers).' } },
  { audiences: { type: 'array', required: true, default: [], elements: { type: 'string' }, description: 'Accepted SET aud values (the stream\'s aud, as the transmitter reports it in the stream configuration); a SET must name one of them.' } },
  { authorization: { type: 'string', required: false, len_min: 16, referenceable: true, encrypted: true, description: 'The exact Authorization header value the transmitter sends with each push (the stream\'s delivery authorization_header). Required for a receiver; compared in constant time.' } },
  { max_set_bytes: { type: 'integer', required: true, default: 8192, between: [1024, 65536], description: 'Largest SET accepted, in bytes. Kong also hands a plugin only a body that fits client_body_buffer_size (8k by default); a larger one is refused.' } },
  { max_set_age_seconds: { type: 'integer', required: true, default: 3600, between: [60, 86400], description: 'Oldest SET iat accepted; each SET jti is remembered this long, so a SET is applied once.' } },
  { max_entries: { type: 'integer', required: true, default: 100000, between: [100, 10000000], description: 'Revoked subjects remembered per issuer on each Kong node (with revocations.sync redis, also the bound of the shared list). A revocation is never forgotten before it expires: with this many live, further SETs are answered 503 (the transmitter retries).' } },
];

/** How a token-verifying instance learns revocations received on other Kong nodes. */
const revocationFields: Field[] = [
  { sync: { type: 'string', required: true, default: 'local', one_of: ['local', 'redis'], description: 'local: revocations received on this Kong node only; redis: every node shares them through the redis record (a node keeps a copy in memory, fed by Redis publish/subscribe).' } },
  { when_unsynced: { type: 'string', required: true, default: 'refuse', one_of: ['refuse', 'local'], description: 'With sync redis, while this node cannot confirm its copy is current (Redis unreachable): refuse answers 503 with Retry-After; local goes on with the revocations this node holds (logged once a minute).' } },
];

/** When a request is introspected (RFC 7662): never, always, or a share of requests; optionally only for some methods. */
function introspectionPolicyFields(modes: string[], defaultMode: string): Field[] {
  return [
    { mode: { type: 'string', required: true, default: defaultMode, one_of: modes, description: `${defaultMode === 'inherit' ? 'inherit: as the top-level introspection.mode (with its sample_percent and methods); ' : ''}off: never introspect; always: introspect every matching request; sample: introspect sample_percent of them.` } },
    { sample_percent: { type: 'integer', required: false, between: [1, 100], description: 'With mode sample: the share of requests introspected, in percent.' } },
    { methods: { type: 'set', required: false, elements: { type: 'string', one_of: HTTP_METHODS }, description: 'Introspect only requests with these methods (e.g. the writes: POST, PUT, PATCH, DELETE); unset: every method.' } },
  ];
}

/**
 * Token introspection (RFC 7662) at the authorization server's introspection_endpoint (from
 * discovery), for routes that must see a revocation before the token expires. The client fields
 * exist once, at the top level; rules only choose when to introspect.
 */
const introspectionFields: Field[] = [
  ...introspectionPolicyFields(['off', 'always', 'sample'], 'off'),
  { client_id: { type: 'string', required: false, match: '^[%w._~-]+$', description: 'Client id of the Okta application allowed to introspect (an API Services app of the same authorization server).' } },
  { client_auth_method: { type: 'string', required: true, default: 'client_secret_basic', one_of: ['client_secret_basic', 'private_key_jwt'], description: 'How okta-jwt authenticates to the introspection endpoint: client_secret_basic (client_id and client_secret in HTTP Basic) or private_key_jwt (a client assertion signed with private_key).' } },
  { client_secret: { type: 'string', required: false, referenceable: true, encrypted: true, description: 'With client_secret_basic: the client secret (use a vault reference).' } },
  { private_key: { type: 'string', required: false, referenceable: true, encrypted: true, description: 'With private_key_jwt: the client\'s private key, PKCS#8 PEM or a JWK (JSON), RSA (signs RS256) or EC P-256 (signs ES256) (use a vault reference).' } },
  { private_key_id: { type: 'string', required: false, match: '^[%w._~-]+$', description: 'With private_key_jwt: the kid of the key as registered with the Okta application, sent in the assertion header.' } },
  { cache_ttl_seconds: { type: 'integer', required: true, default: 30, between: [0, 3600], description: 'How long an introspection answer is reused for the same token (never past its exp); 0: introspect on every matching request. A revocation takes effect within this time.' } },
  { timeout_ms: { type: 'integer', required: true, default: 2000, between: [100, 60000], description: 'Longest wait for one introspection (and its discovery), in milliseconds; key_set.connect_timeout_ms, key_set.max_body_bytes and key_set.proxy_url apply as to key-set requests.' } },
  { unavailable: { type: 'string', required: true, default: 'refuse', one_of: ['refuse', 'grace'], description: 'When the introspection endpoint cannot answer. refuse: 503 with Retry-After. grace: accept a token whose last introspection, at most grace_seconds ago, said active.' } },
  { grace_seconds: { type: 'integer', required: true, default: 300, between: [1, 86400], description: 'With unavailable grace: how old the last active answer may be.' } },
];

export const configFields: Field[] = [
  { issuer: { type: 'string', required: true, match_none: URL_EXTRAS_REFUSED, match_all: OKTA_CUSTOM_AS_ISSUER, description: ISSUER_DESCRIPTION } },
  { jwks_uri: { type: 'string', required: false, match: URL_PATTERN, match_none: URL_EXTRAS_REFUSED, description: 'Key-set URL. When unset it is discovered from the issuer metadata; never taken from a token.' } },
  { audiences: { type: 'array', required: true, len_min: 1, elements: { type: 'string' }, description: 'Accepted audiences; the token aud must contain one of them (e.g. api://default).' } },
  {
    additional_issuers: {
      type: 'array',
      required: true,
      default: [],
      description: 'More trusted issuers (another Okta org, or a custom domain alias), each with its own key set and audiences.',
      elements: {
        type: 'record',
        fields: [
          { issuer: { type: 'string', required: true, match_none: URL_EXTRAS_REFUSED, match_all: OKTA_CUSTOM_AS_ISSUER, description: ISSUER_DESCRIPTION } },
          { jwks_uri: { type: 'string', required: false, match: URL_PATTERN, match_none: URL_EXTRAS_REFUSED, description: 'Key-set URL of this issuer; discovered when unset.' } },
          { audiences: { type: 'array', required: true, len_min: 1, elements: { type: 'string' }, description: 'Audiences accepted from this issuer.' } },
        ],
      },
    },
  },
  { allow_insecure_issuer: { type: 'boolean', required: true, default: false, description: 'Development only: allow a plain-http issuer on a host other than localhost.' } },
  { allowed_algorithms: { type: 'set', required: true, default: ['RS256'], len_min: 1, elements: { type: 'string', one_of: [...SUPPORTED_ALGORITHMS] }, description: 'Signature algorithms accepted. none and HS* are never accepted.' } },
  { leeway_seconds: { type: 'integer', required: true, default: 30, between: [0, 300], description: 'Clock skew tolerated for exp, nbf, iat and auth_time, in seconds.' } },
  { max_token_age_seconds: { type: 'integer', required: true, default: 86400, between: [60, 604800], description: 'Oldest iat accepted, and the longest lifetime (exp - iat) accepted, in seconds.' } },
  { client_ids: { type: 'set', required: false, elements: { type: 'string' }, description: 'When set, only tokens whose Okta cid claim is in this list are accepted.' } },
  ...policyFields(),
  {
    rules: {
      type: 'array',
      required: true,
      default: [],
      description: 'Policies per method and path, tried in order; the first match wins, and the top-level policy applies when none matches.',
      elements: {
        type: 'record',
        fields: [
          { methods: { type: 'set', required: false, elements: { type: 'string', one_of: HTTP_METHODS }, description: 'Methods this rule applies to; unset: any method.' } },
          { paths: { type: 'array', required: false, len_min: 1, elements: { type: 'string', match: '^/' }, description: 'Path patterns (Kong-normalised path): * matches within a segment, a trailing * matches the rest.' } },
          ...policyFields(),
          { introspection: { type: 'record', required: true, fields: introspectionPolicyFields(['inherit', 'off', 'always', 'sample'], 'inherit'), description: 'When requests this rule matches are introspected; the client settings are the top-level introspection ones.' } },
        ],
      },
    },
  },
  { unmatched_requests: { type: 'string', required: true, default: 'default_policy', one_of: ['default_policy', 'deny'], description: 'What happens to a request no rule matches: default_policy judges it by the top-level policy; deny refuses it (403), and refuses a path upstreams may read differently (;, %2F, a backslash) with 400. deny is recommended whenever rules are used.' } },
  { method_override: { type: 'string', required: true, default: 'refuse', one_of: ['pass', 'strip', 'refuse'], description: 'Where rules name methods: what happens to a request carrying X-HTTP-Method-Override, X-HTTP-Method or X-Method-Override (any spelling), or a POST with a _method query parameter, which many upstream frameworks obey while the rules judge the request-line method. refuse: 400 invalid_request; strip: removed before the request goes upstream; pass: left as sent. Ignored when no rule names methods.' } },
  {
    claims_to_headers: {
      type: 'array',
      required: true,
      default: [],
      description: 'Claims copied to upstream request headers. Client-sent copies of these headers, in any spelling (letter case, _ for -), are always removed.',
      elements: {
        type: 'record',
        fields: [
          { claim: CLAIM_PATH },
          { header: { type: 'string', required: true, match: HEADER_NAME_PATTERN, match_none: RESERVED_HEADER_NAMES, description: 'Upstream request header name, e.g. X-User-Sub.' } },
        ],
      },
    },
  },
  { token_header: { type: 'string', required: true, default: 'authorization', match: HEADER_NAME_PATTERN, description: 'Request header carrying the token with the Bearer scheme.' } },
  { token_query_param: { type: 'string', required: false, match: '^[%w_.~-]+$', description: 'Also accept the token from this query parameter (off by default: URLs end up in logs).' } },
  { token_cookie: { type: 'string', required: false, match: HEADER_NAME_PATTERN, description: 'Also accept the token from this cookie (off by default).' } },
  { hide_credentials: { type: 'boolean', required: true, default: false, description: 'Remove the token from the request sent upstream, and every spelling of token_header, token_query_param and token_cookie that upstreams read as that name (X_Api_Token; access.token, access[token, ACCESS_TOKEN; okta.at, OKTA_AT), so no unverified second token gets through. Removed, not refused: browsers send every cookie of the domain. PDK calls only if such a spelling is sent: set_raw_query for the query, clear_header per header spelling; a Cookie rewrite joins set_headers.' } },
  { realm: { type: 'string', required: true, default: 'okta-jwt', match: '^[%w%-%._ :/]+$', description: 'Realm announced in the WWW-Authenticate challenge.' } },
  { run_on_preflight: { type: 'boolean', required: true, default: true, description: 'When false, CORS preflight requests (OPTIONS with Origin and Access-Control-Request-Method) pass untouched.' } },
  { max_token_bytes: { type: 'integer', required: true, default: 8192, between: [256, 65536], description: 'Longest token accepted, checked before any parsing.' } },
  { consumer_claim: { type: 'string', required: false, match: CLAIM_PATH_PATTERN, match_none: CLAIM_PATH_SEGMENTS, description: 'Claim naming the Kong consumer to authenticate (e.g. sub, or cid for machine clients).' } },
  { consumer_lookup: { type: 'string', required: true, default: 'username', one_of: ['username', 'id'], description: 'Whether the consumer_claim value is a consumer username or a consumer id.' } },
  { consumer_required: { type: 'boolean', required: true, default: false, description: 'Refuse (403) a valid token whose consumer does not exist.' } },
  { anonymous: { type: 'string', required: false, description: 'Consumer id or username to authenticate when the token is missing or invalid, instead of refusing.' } },
  { shared_claims_key: { type: 'string', required: false, match: '^[%w_.:-]+$', match_none: [{ pattern: `^${GUARD_SHARED_KEY}$`, err: `"${GUARD_SHARED_KEY}" is the fail-closed guard's key: choose another name` }], description: 'Share the verified claims with later plugins under this kong.ctx.shared key.' } },
  { fail_closed_guard: { type: 'boolean', required: true, default: false, description: 'For the fail-closed guard (docs/fail-closed-guard.md): on every request okta-jwt lets through, set kong.ctx.shared.okta_jwt_guard to a mark carrying the upstream headers, in place of set_headers (still one PDK call). Needs the guard\'s post-function, which refuses requests without the mark and sets the headers.' } },
  { refusal_log_level: { type: 'string', required: true, default: 'info', one_of: ['none', 'debug', 'info', 'notice', 'warn', 'err'], description: 'Kong log level of the one line logged per refusal (reason code, route, client; never the token). none: no line (saves one PDK call).' } },
  { serialize_refusals: { type: 'boolean', required: true, default: true, description: 'Put the refusal reason in Kong\'s log serializer (okta_jwt.reason) for http-log/file-log pipelines (one PDK call per refusal).' } },
  { dry_run: { type: 'boolean', required: true, default: false, description: 'Decide and log, but let every request through. For rollout only.' } },
  { key_set: { type: 'record', required: true, fields: keySetFields } },
  { dpop: { type: 'record', required: true, fields: dpopFields } },
  { token_cache: { type: 'record', required: true, fields: tokenCacheFields } },
  { redis: { type: 'record', required: true, fields: redisFields } },
  { revocations: { type: 'record', required: true, fields: revocationFields } },
  { ssf_receiver: { type: 'record', required: true, fields: ssfReceiverFields } },
  { introspection: { type: 'record', required: true, fields: introspectionFields } },
];

/** The config record's entity checks (entity-checks.ts), for the plugin info and the Lua schema. */
export const configEntityChecks = entityChecksFor(configFields);
