// The normalised, typed configuration of one plugin instance. Built once per instance by
// config/normalise.ts from the raw config Kong sends; the request path only reads it.

export type ScopesMatch = 'all' | 'any';

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

export interface PluginConfig {
  issuer: string;
  audiences: string[];
  allowedAlgorithms: string[];
  leewaySeconds: number;
  maxTokenAgeSeconds: number;
  /** null: any client. */
  clientIds: ReadonlySet<string> | null;
  scopesRequired: string[];
  scopesMatch: ScopesMatch;
  claimsToHeaders: ClaimHeaderMapping[];
  /** Lower-cased request header that carries the token. */
  tokenHeader: string;
  hideCredentials: boolean;
  realm: string;
  runOnPreflight: boolean;
  maxTokenBytes: number;
  keys: KeySetSettings;
  tokenCache: TokenCacheSettings;
  /** A stable string identifying every setting that influences a verification decision. */
  identity: string;
}
