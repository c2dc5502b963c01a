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

/**
 * Runs `operation` on the shared connection for these settings with one deadline for the whole of it
 * (waiting for the connection and the commands share `timeout`); any failure is StoreUnavailable.
 */
export async function withRedis<T>(settings: RedisSettings, operation: (redis: Redis) => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${settings.timeoutMs} ms`)), settings.timeoutMs);
  });
  try {
    const redis = redisConnection(settings);
    return await Promise.race([whenReady(redis, settings.timeoutMs).then(() => operation(redis)), deadline]);
  } catch (err) {
    throw new StoreUnavailable(err);
  } finally {
    clearTimeout(timer);
  }
}

const ttl = (ms: number) => Math.max(1, Math.ceil(ms));

const stores = new WeakMap<RedisSettings, SharedStore>();

/** redisStore for the settings of one plugin instance, made once per instance (no allocation per request). */
export function sharedStoreFor(settings: RedisSettings): SharedStore {
  let store = stores.get(settings);
  if (store === undefined) stores.set(settings, (store = redisStore(settings)));
  return store;
}

/** The store on the Redis these settings name (one shared connection per distinct setting). */
export function redisStore(settings: RedisSettings): SharedStore {
  const prefix = settings.keyPrefix;
  return {
    claimOnce: (key, ttlMs) => withRedis(settings, async (redis) => (await redis.set(prefix + key, '1', 'PX', ttl(ttlMs), 'NX')) === 'OK'),
    get: (key) => withRedis(settings, (redis) => redis.get(prefix + key)),
    put: (key, value, ttlMs) => withRedis(settings, async (redis) => void (await redis.set(prefix + key, value, 'PX', ttl(ttlMs)))),
  };
}
