// Revocations shared by every Kong node through Redis. The shared list is a hash (field "issuer\n
// subject", value "revokedAt expiresAt") with a sorted set of expiry times beside it; a receiver
// adds to it and PUBLISHes the addition in one script. Every node keeps a copy in memory
// (revocation-list.ts), so a request never waits for Redis: the copy is fed by SUBSCRIBE and
// reloaded in full (HSCAN) each time the subscription is (re)established, and it counts as current
// only while the subscriber answers its heartbeat. While it is not current a verifying instance
// refuses (503) or, where the operator opted in, goes on with what it holds (revocation-check.ts).
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RedisSettings } from '../config/types';
import { redisConnection, redisSubscriber, whenReady } from '../state/redis-connections';
import { withRedis } from '../state/shared-store';
import { recordRevocation, type Revocation } from './revocation-list';

/** How often the subscriber is asked to answer; the copy stays current for two of these without an answer. */
export const HEARTBEAT_MS = 1000;
/** A node's copy is bounded only by what receivers admit to Redis (their max_entries); this is a last resort. */
const MIRROR_MAX_ENTRIES = 10_000_000;
const RELOAD_BATCH = 1000;
/** Distinct Redis settings followed at once (as redis-connections.ts bounds connections). */
const MAX_MIRRORS = 16;

const keys = (prefix: string) => ({ list: `${prefix}revocations`, expiry: `${prefix}revocations:expiry`, channel: `${prefix}revocations` });
const field = (r: Revocation) => `${r.issuer}\n${r.subject}`;

function parseEntry(fieldName: string, value: string): Revocation | null {
  const cut = fieldName.indexOf('\n');
  const [revokedAt, expiresAt] = value.split(' ').map(Number);
  if (cut <= 0 || !Number.isFinite(revokedAt) || !Number.isFinite(expiresAt)) return null;
  return { issuer: fieldName.slice(0, cut), subject: fieldName.slice(cut + 1), revokedAt: revokedAt!, expiresAt: expiresAt! };
}

/**
 * KEYS: list, expiry, jti. ARGV: now, jti ttl ms, max entries, channel, message, then field,
 * revokedAt, expiresAt per revocation. Drops expired entries, claims the jti once, merges each
 * revocation (later times win) and publishes them. 'replayed' or 'full' change nothing else.
 */
const RECORD_SCRIPT = `
local now = tonumber(ARGV[1])
local dead = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 1000)
for i = 1, #dead do redis.call('HDEL', KEYS[1], dead[i]); redis.call('ZREM', KEYS[2], dead[i]) end
if redis.call('EXISTS', KEYS[3]) == 1 then return 'replayed' end
local count = (#ARGV - 5) / 3
local fresh = 0
for i = 0, count - 1 do
  if redis.call('HEXISTS', KEYS[1], ARGV[6 + i * 3]) == 0 then fresh = fresh + 1 end
end
if fresh > 0 and redis.call('HLEN', KEYS[1]) + fresh > tonumber(ARGV[3]) then return 'full' end
for i = 0, count - 1 do
  local f = ARGV[6 + i * 3]
  local revoked = tonumber(ARGV[7 + i * 3])
  local expires = tonumber(ARGV[8 + i * 3])
  local old = redis.call('HGET', KEYS[1], f)
  if old then
    local sp = string.find(old, ' ')
    revoked = math.max(revoked, tonumber(string.sub(old, 1, sp - 1)))
    expires = math.max(expires, tonumber(string.sub(old, sp + 1)))
  end
  redis.call('HSET', KEYS[1], f, string.format('%d %d', revoked, expires))
  redis.call('ZADD', KEYS[2], expires, f)
end
redis.call('SET', KEYS[3], '1', 'PX', tonumber(ARGV[2]))
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 'ok'
`;

export type SharedRecording = 'ok' | 'replayed' | 'full';

/**
 * Adds revocations to the shared list and tells every node, once per SET (`jti` of `issuer`,
 * remembered `jtiTtlMs`). Rejects with StoreUnavailable within the Redis timeout.
 */
export async function shareRevocations(settings: RedisSettings, issuer: string, jti: string, jtiTtlMs: number, revocations: readonly Revocation[], maxEntries: number): Promise<SharedRecording> {
  const { list, expiry, channel } = keys(settings.keyPrefix);
  const jtiKey = `${settings.keyPrefix}set-jti:${createHash('sha256').update(`${issuer}\n${jti}`).digest('base64url')}`;
  const message = JSON.stringify(revocations.map((r) => [r.issuer, r.subject, r.revokedAt, r.expiresAt]));
  const args = revocations.flatMap((r) => [field(r), String(Math.floor(r.revokedAt)), String(Math.ceil(r.expiresAt))]);
  const answer = await withRedis(settings, (redis) =>
    redis.eval(RECORD_SCRIPT, 3, list, expiry, jtiKey, String(Math.floor(Date.now() / 1000)), String(Math.max(1, Math.ceil(jtiTtlMs))), String(maxEntries), channel, message, ...args));
  return answer === 'replayed' || answer === 'full' ? answer : 'ok';
}

/** Applies one published message (a JSON list of [issuer, subject, revokedAt, expiresAt]); anything else is ignored. */
function applyMessage(message: string): void {
  let items: unknown;
  try {
    items = JSON.parse(message);
  } catch {
    return;
  }
  if (!Array.isArray(items)) return;
  for (const item of items) {
    if (!Array.isArray(item) || item.length !== 4) continue;
    const [issuer, subject, revokedAt, expiresAt] = item as unknown[];
    if (typeof issuer === 'string' && typeof subject === 'string' && typeof revokedAt === 'number' && typeof expiresAt === 'number') {
      recordRevocation({ issuer, subject, revokedAt, expiresAt }, MIRROR_MAX_ENTRIES);
    }
  }
}

/** This node's copy of one Redis's shared list. */
class RevocationMirror {
  private readonly subscriber: Redis;
  private readonly heartbeat: NodeJS.Timeout;
  /** The copy counts as current until this time (epoch ms); 0 while it is being (re)loaded or Redis is away. */
  private currentUntilMs = 0;
  /** Bumped on every loss of the subscription: a reload started before one must not confirm the copy. */
  private generation = 0;
  /** A reload in progress (a large list may take longer than a heartbeat): the heartbeat leaves it alone. */
  private reloading = false;
  closed = false;

  constructor(private readonly settings: RedisSettings) {
    const { channel } = keys(settings.keyPrefix);
    this.subscriber = redisSubscriber(settings);
    this.subscriber.on('message', (from: string, message: string) => {
      if (from === channel) applyMessage(message);
    });
    this.subscriber.on('ready', () => void this.resync());
    for (const lost of ['close', 'reconnecting', 'end']) this.subscriber.on(lost, () => this.lose());
    this.heartbeat = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  current(): boolean {
    return Date.now() < this.currentUntilMs;
  }

  private lose(): void {
    this.generation += 1;
    this.currentUntilMs = 0;
    this.reloading = false;
  }

  private confirm(): void {
    this.currentUntilMs = Date.now() + 2 * HEARTBEAT_MS + this.settings.timeoutMs;
  }

  /** Subscribes, then loads the whole list: whatever is published meanwhile is merged either way. */
  private async resync(): Promise<void> {
    const generation = ++this.generation;
    this.currentUntilMs = 0;
    this.reloading = true;
    try {
      await this.subscriber.subscribe(keys(this.settings.keyPrefix).channel);
      const redis = redisConnection(this.settings);
      await whenReady(redis, this.settings.timeoutMs);
      let cursor = '0';
      do {
        const [next, flat] = await redis.hscan(keys(this.settings.keyPrefix).list, cursor, 'COUNT', RELOAD_BATCH);
        for (let i = 0; i + 1 < flat.length; i += 2) {
          const revocation = parseEntry(flat[i]!, flat[i + 1]!);
          if (revocation !== null) recordRevocation(revocation, MIRROR_MAX_ENTRIES);
        }
        cursor = next;
      } while (cursor !== '0' && generation === this.generation);
      if (generation === this.generation) this.confirm();
    } catch {
      // Not current; the heartbeat tries again.
      if (generation === this.generation) this.currentUntilMs = 0;
    } finally {
      if (generation === this.generation) this.reloading = false;
    }
  }

  /** A subscriber that answers PING is still subscribed; one loaded but silent stops counting as current. */
  private async beat(): Promise<void> {
    if (this.subscriber.status !== 'ready' || this.reloading) return;
    const generation = this.generation;
    if (this.currentUntilMs === 0) return void this.resync();
    try {
      await this.subscriber.ping();
      if (generation === this.generation && this.currentUntilMs !== 0) this.confirm();
    } catch {
      this.lose();
    }
  }

  close(): void {
    this.closed = true;
    clearInterval(this.heartbeat);
    this.subscriber.disconnect();
  }
}

const mirrors = new Map<string, RevocationMirror>();
const bySettings = new WeakMap<RedisSettings, RevocationMirror>();

/** The copy of the list on this Redis (started on first use, then followed for the life of the process). */
export function revocationMirror(settings: RedisSettings): { current(): boolean } {
  let mirror = bySettings.get(settings);
  if (mirror !== undefined && !mirror.closed) return mirror;
  const key = JSON.stringify([settings.host, settings.port, settings.username, settings.password, settings.database, settings.ssl, settings.sslVerify, settings.serverName, settings.keyPrefix]);
  mirror = mirrors.get(key);
  if (mirror === undefined || mirror.closed) {
    if (mirrors.size >= MAX_MIRRORS) {
      const [oldestKey, oldest] = mirrors.entries().next().value!;
      mirrors.delete(oldestKey);
      oldest.close();
    }
    mirror = new RevocationMirror(settings);
    mirrors.set(key, mirror);
  }
  bySettings.set(settings, mirror);
  return mirror;
}

/** Tests and shutdown: stop following every Redis. */
export function closeRevocationMirrors(): void {
  for (const mirror of mirrors.values()) mirror.close();
  mirrors.clear();
}
