// The key set of one jwks_uri (or one issuer, when the jwks_uri is discovered), shared by every
// plugin instance that uses it. States, by the age of the last good fetch:
//   fresh   (younger than its TTL: Cache-Control max-age clamped to [minTtl, maxTtl]) — used as is;
//   stale   (up to maxStaleSeconds past the TTL) — still used, refreshed in the background;
//   expired (or nothing fetched yet) — callers wait for a fetch, or get keys_unavailable.
// At most one fetch is in flight; every caller that needs it awaits the same one. After a failed
// fetch the next one waits an exponentially growing, jittered interval.
// Unknown kids: a token whose kid is not in the set triggers a refetch at most once per
// unknownKidCooldownSeconds (counted from the last fetch attempt of any kind). A kid counts as
// unknown, and is refused without a fetch, only once a fetch that started after the kid was first
// seen came back without it; inside the cooldown the token is refused but nothing is concluded, so
// the first request after the cooldown refetches. A key Okta starts signing with right after a
// fetch therefore costs at most one cooldown of refusals, never a TTL.
import { createLocalJWKSet, type CryptoKey, type LocalJWKSet } from 'jose';
import type { KeySetSettings } from '../config/types';
import { clock } from '../cache/clock';
import { discoverEndpoints } from './discovery';
import { httpGetJson, type HttpLimits } from './http-get-json';
import { KeySetError } from './key-set-error';
import { metricsSink } from '../metrics/sink';
import { usableKeys, type UsableKeys } from './usable-keys';

export interface KeyLog {
  warn(msg: string): void;
  info?(msg: string): void;
}

/** Keys accepted from one set; more are ignored. */
export const MAX_KEYS_PER_SET = 100;
/** Kids outside the key set remembered with when they were first seen (longer kids are not remembered). */
export const MAX_REMEMBERED_UNKNOWN_KIDS = 1024;
const MAX_REMEMBERED_KID_LENGTH = 256;
/** Retry interval after the n-th consecutive failure: random in [½, 1] × min(cap, base × 2^(n−1)). */
export const BACKOFF_BASE_MS = 1_000;
export const BACKOFF_CAP_MS = 60_000;
/** Even with minTtlSeconds 0 and max-age=0, a set stays fresh this long (no back-to-back refetches). */
const MIN_TTL_FLOOR_MS = 1_000;
/** At most one warning per key set per interval; the others are counted. */
const WARN_INTERVAL_MS = 60_000;

interface Loaded {
  /** Which fetch produced it (see fetchesStarted). */
  fetchNumber: number;
  resolve: LocalJWKSet;
  kids: ReadonlySet<string>;
  fetchedAt: number;
  freshUntil: number;
  usableUntil: number;
}

interface Fetched {
  usable: UsableKeys;
  maxAgeSeconds: number | undefined;
}

/** One fetch of the JWK Set document, with the Cache-Control max-age it came with. */
export type FetchJwks = (deadline: AbortSignal) => Promise<{ json: unknown; maxAgeSeconds: number | undefined }>;

/** Skip reasons that point at a misconfigured or compromised issuer: always worth a warning. */
const ALARMING_SKIPS = new Set(['private key material', 'symmetric key']);

export class RemoteKeySet {
  private loaded: Loaded | undefined;
  private discovered: { jwksUri: URL; freshUntil: number } | undefined;
  private inflight: Promise<void> | undefined;
  /** Fetches started so far: only fetch n+1 or later can vouch for a kid first seen when this was n. */
  private fetchesStarted = 0;
  private lastAttemptAt = -Infinity;
  private failures = 0;
  private nextAttemptAt = -Infinity;
  private lastFailure = 'no fetch attempted yet';
  /** Kids outside the key set → fetchesStarted when first seen (insertion order: oldest first). */
  private readonly firstSeen = new Map<string, number>();
  private warnedAt = -Infinity;
  private suppressedWarnings = 0;

  /** fetchJwks: the document source; by default discovery (unless jwksUri is set) and an HTTP GET. */
  constructor(
    private settings: KeySetSettings,
    private log: KeyLog,
    private readonly fetchJwks: FetchJwks = (deadline) => this.fetchOverHttp(deadline),
  ) {}

  /** Later instances sharing this set bring the current timeouts and logger. */
  update(settings: KeySetSettings, log: KeyLog | undefined): void {
    this.settings = settings;
    if (log !== undefined) this.log = log;
  }

  /** A jose key resolver (an arrow so it can be passed unbound to jwtVerify). */
  readonly getKey = async (protectedHeader: { alg?: string; kid?: string }): Promise<CryptoKey> => {
    const { alg, kid } = protectedHeader;
    if (kid !== undefined && typeof kid !== 'string') throw new KeySetError('key_not_found', 'the kid is not a string');
    const seenAt = this.fetchesStarted;
    let keys = this.usable(clock.now()) ?? (await this.loadCold());
    if (kid !== undefined && !keys.kids.has(kid)) {
      keys = await this.afterUnknownKid(kid, seenAt, keys);
      if (!keys.kids.has(kid)) throw new KeySetError('key_not_found', 'no key with this kid in the key set');
    }
    try {
      return await keys.resolve({ alg, kid });
    } catch (error) {
      // JWKSNoMatchingKey, JWKSMultipleMatchingKeys (e.g. no kid and several keys for this alg),
      // JOSENotSupported (alg unknown or symmetric).
      throw new KeySetError('key_not_found', `no single usable key for this token (${(error as Error).name})`);
    }
  };

  readonly stillTrusts = (kid: string | undefined): boolean => {
    if (typeof kid !== 'string') return false;
    const keys = this.usable(clock.now());
    return keys !== undefined && keys.kids.has(kid);
  };

  readonly warm = (): void => {
    const now = clock.now();
    if (this.usable(now) === undefined) this.startFetchIfAllowed(now);
  };

  /** The current keys unless expired; starts a background refresh when they are stale. */
  private usable(now: number): Loaded | undefined {
    const keys = this.loaded;
    if (keys === undefined || now >= keys.usableUntil) return undefined;
    if (now >= keys.freshUntil) this.startFetchIfAllowed(now);
    return keys;
  }

  private startFetchIfAllowed(now: number): void {
    if (this.inflight === undefined && now >= this.nextAttemptAt) void this.refresh();
  }

  private async loadCold(): Promise<Loaded> {
    this.startFetchIfAllowed(clock.now());
    if (this.inflight !== undefined) await this.inflight;
    const now = clock.now();
    const keys = this.usable(now);
    if (keys !== undefined) return keys;
    const retryAfterSeconds = Math.max(1, Math.ceil((this.nextAttemptAt - now) / 1000));
    throw new KeySetError('keys_unavailable', `no usable key set: ${this.lastFailure}`, retryAfterSeconds);
  }

  /**
   * `seenAt`: fetchesStarted when this request arrived. Refuses (by returning keys without the kid)
   * at once when a fetch that started after the kid was first seen came back without it; otherwise
   * refetches if the cooldown allows, or waits for the fetch in flight.
   */
  private async afterUnknownKid(kid: string, seenAt: number, keys: Loaded): Promise<Loaded> {
    const firstSeen = this.noteSeen(kid, seenAt);
    if (firstSeen < keys.fetchNumber) return keys;
    const now = clock.now();
    if (now - this.lastAttemptAt >= this.settings.unknownKidCooldownSeconds * 1000) this.startFetchIfAllowed(now);
    if (this.inflight !== undefined) {
      await this.inflight;
      keys = this.usable(clock.now()) ?? keys;
    }
    if (keys.kids.has(kid)) this.firstSeen.delete(kid);
    return keys;
  }

  /**
   * When the kid was first seen (as a fetch count). Bounded: the oldest entry makes room, and a kid
   * forgotten that way only counts as new again (one more refetch, still within the cooldown rule).
   */
  private noteSeen(kid: string, seenAt: number): number {
    const known = this.firstSeen.get(kid);
    if (known !== undefined && known <= seenAt) return known;
    if (kid.length > MAX_REMEMBERED_KID_LENGTH) return seenAt;
    if (known === undefined && this.firstSeen.size >= MAX_REMEMBERED_UNKNOWN_KIDS) this.firstSeen.delete(this.firstSeen.keys().next().value as string);
    this.firstSeen.set(kid, seenAt);
    return seenAt;
  }

  /** Never rejects: the outcome is recorded in the state. */
  private refresh(): Promise<void> {
    this.lastAttemptAt = clock.now();
    const fetchNumber = ++this.fetchesStarted;
    const attempt = this.fetchKeys().then(
      (fetched) => this.onFetched(fetched, fetchNumber),
      (error: unknown) => this.onFailure(error),
    );
    this.inflight = attempt.finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async fetchKeys(): Promise<Fetched> {
    // One deadline for the whole refresh, discovery included: no caller waits longer than timeoutMs.
    const { json, maxAgeSeconds } = await this.fetchJwks(AbortSignal.timeout(this.settings.timeoutMs));
    return { usable: await usableKeys(json, MAX_KEYS_PER_SET), maxAgeSeconds };
  }

  private async fetchOverHttp(deadline: AbortSignal): Promise<{ json: unknown; maxAgeSeconds: number | undefined }> {
    const { connectTimeoutMs, maxBodyBytes, proxyUrl } = this.settings;
    const limits: HttpLimits = { connectTimeoutMs, maxBodyBytes, proxyUrl };
    return httpGetJson(await this.jwksUri(limits, deadline), limits, deadline);
  }

  private async jwksUri(limits: HttpLimits, deadline: AbortSignal): Promise<URL> {
    const { jwksUri, issuer } = this.settings;
    if (jwksUri !== null) return new URL(jwksUri);
    const known = this.discovered;
    if (known !== undefined && clock.now() < known.freshUntil) return known.jwksUri;
    try {
      const found = await discoverEndpoints(issuer, limits, deadline, this.settings.metadata);
      this.discovered = { jwksUri: found.jwksUri, freshUntil: clock.now() + this.ttlMs(found.maxAgeSeconds) };
      return found.jwksUri;
    } catch (error) {
      if (known === undefined) throw error;
      this.warn(`${this.source()}: ${(error as Error).message}; using the jwks_uri discovered before`);
      return known.jwksUri;
    }
  }

  private onFetched({ usable, maxAgeSeconds }: Fetched, fetchNumber: number): void {
    const now = clock.now();
    const ttlMs = this.ttlMs(maxAgeSeconds);
    this.loaded = {
      fetchNumber,
      resolve: createLocalJWKSet(usable.jwks),
      kids: usable.kids,
      fetchedAt: now,
      freshUntil: now + ttlMs,
      usableUntil: now + ttlMs + this.settings.maxStaleSeconds * 1000,
    };
    this.failures = 0;
    this.nextAttemptAt = -Infinity;
    metricsSink()?.keySetFetch(this.settings.jwksUri ?? this.settings.issuer, 'success');
    const skipped = Object.entries(usable.skipped);
    if (skipped.length === 0) return;
    const summary = `${this.source()}: ignored keys: ${skipped.map(([why, n]) => `${n} × ${why}`).join(', ')}`;
    if (skipped.some(([why]) => ALARMING_SKIPS.has(why))) this.warn(summary);
    else this.log.info?.(summary);
  }

  private onFailure(error: unknown): void {
    const now = clock.now();
    this.failures += 1;
    metricsSink()?.keySetFetch(this.settings.jwksUri ?? this.settings.issuer, 'failure');
    const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (this.failures - 1));
    this.nextAttemptAt = now + ceiling / 2 + (Math.random() * ceiling) / 2;
    this.lastFailure = error instanceof Error ? error.message : 'unexpected failure';
    const retryIn = Math.ceil((this.nextAttemptAt - now) / 1000);
    const keys = this.loaded;
    if (keys !== undefined && now < keys.usableUntil) {
      const age = Math.round((now - keys.fetchedAt) / 1000);
      const left = Math.round((keys.usableUntil - now) / 1000);
      this.warn(
        `${this.source()}: refresh failed (${this.lastFailure}); still verifying with the keys fetched ${age} s ago, ` +
          `for at most ${left} s more; next attempt in ${retryIn} s`,
      );
    } else {
      this.warn(`${this.source()}: fetch failed (${this.lastFailure}); no usable keys, tokens are refused; next attempt in ${retryIn} s`);
    }
  }

  private ttlMs(maxAgeSeconds: number | undefined): number {
    const { minTtlSeconds, maxTtlSeconds } = this.settings;
    const seconds = Math.min(maxTtlSeconds, Math.max(minTtlSeconds, maxAgeSeconds ?? minTtlSeconds));
    return Math.max(MIN_TTL_FLOOR_MS, seconds * 1000);
  }

  private source(): string {
    const { jwksUri, issuer } = this.settings;
    if (jwksUri !== null) return `key set ${jwksUri}`;
    return this.settings.metadata === 'ssf_transmitter' ? `key set of SSF transmitter ${issuer}` : `key set of issuer ${issuer}`;
  }

  private warn(message: string): void {
    const now = clock.now();
    if (now - this.warnedAt < WARN_INTERVAL_MS) {
      this.suppressedWarnings += 1;
      return;
    }
    const suppressed = this.suppressedWarnings > 0 ? ` (${this.suppressedWarnings} similar warnings suppressed)` : '';
    this.warnedAt = now;
    this.suppressedWarnings = 0;
    this.log.warn(message + suppressed);
  }
}
