// State shared by every Kong node through Redis, behind the few operations okta-jwt needs. Every
// key carries the configured prefix. Every operation either completes within the configured timeout
// or rejects with StoreUnavailable; callers refuse the request then (503 with Retry-After), unless
// an operator opted into local state for that use.
import type { RedisSettings } from '../config/types';
import type { Redis } from 'ioredis';
import { redisConnection, whenReady } from './redis-connections';

export class StoreUnavailable extends Error {
  constructor(cause: unknown) {
    // The cause's class and message only: ioredis messages name the command, never its arguments.
    super(`Redis unavailable (${cause instanceof Error ? cause.message.slice(0, 200) : 'unknown error'})`);
    this.name = 'StoreUnavailable';
  }
}

/** Seconds a refused request is told to wait when Redis is unavailable. */
export const STORE_RETRY_AFTER_SECONDS = 5;

export interface SharedStore {
  /** Records `key` for `ttlMs` unless it is already recorded: true when this call recorded it (SET NX PX). */
  claimOnce(key: string, ttlMs: number): Promise<boolean>;
  get(key: string): Promise<string | null>;
  /** Stores `value` under `key` for `ttlMs`. */
  put(key: string, value: string, ttlMs: number): Promise<void>;
}

async function guarded<T>(settings: RedisSettings, operation: (redis: Redis) => Promise<T>): Promise<T> {
  try {
    const redis = redisConnection(settings);
    await whenReady(redis, settings.timeoutMs);
    return await operation(redis);
  } catch (err) {
    throw new StoreUnavailable(err);
  }
}

const ttl = (ms: number) => Math.max(1, Math.ceil(ms));

/** The store on the Redis these settings name (one shared connection per distinct setting). */
export function redisStore(settings: RedisSettings): SharedStore {
  const prefix = settings.keyPrefix;
  return {
    claimOnce: (key, ttlMs) => guarded(settings, async (redis) => (await redis.set(prefix + key, '1', 'PX', ttl(ttlMs), 'NX')) === 'OK'),
    get: (key) => guarded(settings, (redis) => redis.get(prefix + key)),
    put: (key, value, ttlMs) => guarded(settings, async (redis) => void (await redis.set(prefix + key, value, 'PX', ttl(ttlMs)))),
  };
}
