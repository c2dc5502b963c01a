// The normalised, typed configuration of one plugin instance. Built once per instance by
// config/normalise.ts from the raw config Kong sends; the request path only reads it.
import type { PathGlob } from '../authorize/path-glob';
import type { SigningKey } from '../introspection/client-auth';

export type ScopesMatch = 'all' | 'any';
export type RefusalLogLevel = 'none' | 'debug' | 'info' | 'notice' | 'warn' | 'err';

/** How the key set of one issuer is found, cached and refreshed (see plugin/keys/). */
export interface KeySetSettings {
  /** The configured issuer, exactly as the `iss` claim must read. */
  issuer: string;
  /** Explicit JWKS URL; null means: discover it from the issuer's metadata. */
  jwksUri: string | null;
  /** Bounds applied to the issuer's Cache-Control max-age. */
  minTtlSeconds: number;
  maxTtlSeconds: number;
  /** At most one refetch per this many seconds when tokens carry a kid we do not know. */
  unknownKidCooldownSeconds: number;
  /** How long the last good key set keeps verifying while the issuer fails. */
  maxStaleSeconds: number;
  connectTimeoutMs: number;
  timeoutMs: number;
  maxBodyBytes: number;
  /** Forward proxy for these requests (key_set.proxy_url); null: HTTPS_PROXY / HTTP_PROXY / NO_PROXY decide. */
  proxyUrl: string | null;
  /** Which metadata names the jwks_uri: an authorization server's (default) or an SSF transmitter's. */
  metadata?: 'authorization_server' | 'ssf_transmitter';
}

export interface ClaimHeaderMapping {
  /** The dot path as configured, e.g. "profile.email". */
  claim: string;
  /** The path split into segments, e.g. ["profile", "email"]. */
  path: string[];
  /** Upstream header name as configured (case kept). */
  header: string;
}

export interface TokenCacheSettings {
  /** 0 disables the verified-token cache. */
  maxEntries: number;
  /** Upper bound for an entry's life; never beyond the token's exp. */
  maxTtlSeconds: number;
}

/** A required value at a claim path: the claim (a string, or an array of them) must hold any/all of `values`. */
export interface ClaimRule {
  claim: string;
  path: string[];
  values: string[];
  match: 'any' | 'all';
}

/** Authentication strength (RFC 9470): the token must show MFA (amr), a level (acr) or a recent login (auth_time). */
export interface AuthenticationPolicy {
  /** Empty: not checked. Otherwise `amr` must contain one of these. */
  amrValues: string[];
  /** Empty: not checked. Otherwise `acr` must be one of these. */
  acrValues: string[];
  /** null: not checked. Otherwise auth_time must be at most this many seconds ago. */
  maxAgeSeconds: number | null;
}

/** When a request is introspected (RFC 7662): a rule's own setting, or the top-level one it inherits. */
export interface IntrospectionPolicy {
  mode: 'off' | 'always' | 'sample';
  /** With 'sample': percent of requests introspected. */
  samplePercent: number;
  /** null: every method. */
  methods: ReadonlySet<string> | null;
}

/** What a verified token must carry to be let through. */
export interface AccessPolicy {
  scopesRequired: string[];
  scopesMatch: ScopesMatch;
  claimsRequired: ClaimRule[];
  claimsMatch: 'all' | 'any';
  authentication: AuthenticationPolicy;
  introspection: IntrospectionPolicy;
}

/** Access policy for requests matching methods and paths (null: any); the first matching rule wins. */
export interface AccessRule {
  methods: ReadonlySet<string> | null;
  paths: PathGlob[] | null;
  policy: AccessPolicy;
}

/** One trusted issuer: its exact iss string, accepted audiences and key-set settings. */
export interface IssuerSettings {
  issuer: string;
  audiences: string[];
  keys: KeySetSettings;
}

/** Mapping a claim to a Kong consumer, so consumer-based plugins (acl, rate-limiting) apply. */
export interface ConsumerSettings {
  /** Claim path whose value names the consumer (e.g. sub, or cid for machine clients); null: no mapping. */
  claim: ClaimHeaderMapping['path'] | null;
  claimName: string | null;
  /** How the value is looked up: the consumer's username, or its id (a UUID). */
  lookup: 'username' | 'id';
  /** When true, a token whose consumer does not exist is refused (403). */
  required: boolean;
  /** Consumer (id or username) to authenticate when the token is missing or invalid; null: refuse instead. */
  anonymous: string | null;
}

/** Where a token may come from besides the header (all off by default: RFC 6750 §2.3, §5.3). */
export interface TokenSources {
  queryParam: string | null;
  cookie: string | null;
}

/** DPoP (RFC 9449): proof-of-possession for tokens bound to a client key (cnf.jkt). */
export interface DpopSettings {
  /** off: bound tokens refused, DPoP headers ignored; allowed: Bearer or DPoP; required: DPoP only. */
  mode: 'off' | 'allowed' | 'required';
  algorithms: string[];
  proofLifetimeSeconds: number;
  clockSkewSeconds: number;
  /** Normalised scheme://authority[/prefix] clients address (no trailing slash); null: ask Kong. */
  externalBaseUrl: string | null;
  replayCacheMaxEntries: number;
  /** With Redis configured: 'local' falls back to this node's replay cache while Redis fails; 'refuse' answers 503. */
  redisUnavailable: 'refuse' | 'local';
  /** Server nonces (RFC 9449 §9): required in every proof; HMAC secret (null: random per process). */
  requireNonce: boolean;
  nonceSecret: string | null;
  nonceLifetimeSeconds: number;
}

/** Where state shared by Kong nodes lives (state/redis-connections.ts); null in PluginConfig: in-process only. */
export interface RedisSettings {
  host: string;
  port: number;
  username: string | null;
  password: string | null;
  database: number;
  ssl: boolean;
  sslVerify: boolean;
  serverName: string | null;
  timeoutMs: number;
  keyPrefix: string;
}

/** How revocations received on other Kong nodes reach this instance (plugin/revocation/). */
export interface RevocationSettings {
  /** 'redis': every node shares revocations through `redis`; 'local': this node's only. */
  sync: 'local' | 'redis';
  /** With sync 'redis', while this node's copy cannot be confirmed current: refuse (503) or use what it holds. */
  whenUnsynced: 'refuse' | 'local';
}

/** This instance is a Shared Signals receiver (plugin/ssf/): its route takes pushed SETs. */
export interface SsfReceiverSettings {
  /** The transmitter's issuer, exactly as the SET iss must read. */
  transmitterIssuer: string;
  audiences: string[];
  /** The exact Authorization header value the transmitter sends. */
  authorization: string;
  maxSetBytes: number;
  maxSetAgeSeconds: number;
  maxEntries: number;
  /** The transmitter's key set (found through its SSF configuration metadata). */
  keys: KeySetSettings;
  /** Token issuers whose tokens the received revocations apply to. */
  tokenIssuers: string[];
  /** How long a revocation must be remembered: the longest a token issued before it stays acceptable. */
  retentionSeconds: number;
}

/** How okta-jwt calls the introspection endpoint (plugin/introspection/); null in PluginConfig when no policy introspects. */
export interface IntrospectionSettings {
  clientId: string;
  /** client_secret_basic: the secret; private_key_jwt: the parsed signing key. */
  auth: { method: 'client_secret_basic'; secret: string } | { method: 'private_key_jwt'; signing: SigningKey };
  /** Some introspecting policy names methods: the handler must read the request method. */
  needsMethod: boolean;
  cacheTtlSeconds: number;
  timeoutMs: number;
  connectTimeoutMs: number;
  maxBodyBytes: number;
  proxyUrl: string | null;
  unavailable: 'refuse' | 'grace';
  graceSeconds: number;
}

export interface PluginConfig {
  /** Trusted issuers; the token's iss picks one (the first is the primary `issuer` field). */
  issuers: IssuerSettings[];
  allowedAlgorithms: string[];
  leewaySeconds: number;
  maxTokenAgeSeconds: number;
  /** null: any client. */
  clientIds: ReadonlySet<string> | null;
  /** Applies when no rule matches (with unmatchedRequests 'default_policy'). */
  defaultPolicy: AccessPolicy;
  rules: AccessRule[];
  /** 'deny': a request no rule matches, or whose path is ambiguous, is refused instead of judged by defaultPolicy. */
  unmatchedRequests: 'default_policy' | 'deny';
  /** Method override headers and POST `_method` parameters where rules distinguish methods ('pass' where none does). */
  methodOverride: 'pass' | 'strip' | 'refuse';
  claimsToHeaders: ClaimHeaderMapping[];
  /** Lower-cased request header that carries the token. */
  tokenHeader: string;
  tokenSources: TokenSources;
  hideCredentials: boolean;
  realm: string;
  runOnPreflight: boolean;
  maxTokenBytes: number;
  consumer: ConsumerSettings;
  /** kong.ctx.shared key under which the verified claims are shared with later plugins; null: not shared. */
  sharedClaimsKey: string | null;
  /** Mark every request let through in kong.ctx.shared for the Kong-side fail-closed guard (docs/fail-closed-guard.md). */
  failClosedGuard: boolean;
  /** How refusals are reported to Kong: a log line at this level (or none), and the serializer value. */
  refusalLog: { level: RefusalLogLevel; serialize: boolean };
  /** Where Kong applied this instance (from Kong's extra config keys), for log context. */
  scope: { routeId: string | null; serviceId: string | null; pluginId: string | null };
  /** Decide and log, but let every request through (rollout only). */
  dryRun: boolean;
  tokenCache: TokenCacheSettings;
  dpop: DpopSettings;
  /** null: no Redis configured (redis.host unset). */
  redis: RedisSettings | null;
  revocations: RevocationSettings;
  /** null: an ordinary token-verifying instance. */
  ssfReceiver: SsfReceiverSettings | null;
  /** null: no policy (top level or rule) introspects. */
  introspection: IntrospectionSettings | null;
  /** A stable string identifying every setting that influences a verification decision. */
  identity: string;
}
