// One Redis connection per distinct connection setting, shared by every plugin instance of this
// plugin-server process that names it (config reloads start new instances; the connection stays).
// ioredis (a maintained client with TLS, ACL auth, reconnects and per-command timeouts) is set up
// to fail fast rather than wait: no offline queue, no replay of commands after a reconnect, and a
// command timeout. A request needing Redis then gets an error within `timeout`, and the caller
// refuses it (fail closed); nothing here ever lets a request through.
import { Redis } from 'ioredis';
import type { RedisSettings } from '../config/types';

/** Distinct settings kept connected; the least recently used beyond this is closed (a later use reconnects). */
const MAX_CONNECTIONS = 16;
/** Reconnect backoff ceiling while Redis is down, milliseconds. */
const MAX_RECONNECT_DELAY_MS = 1000;

const connections = new Map<string, Redis>();

/** Everything that makes two connections different (the key prefix does not). */
function connectionKey(s: RedisSettings): string {
  return JSON.stringify([s.host, s.port, s.username, s.password, s.database, s.ssl, s.sslVerify, s.serverName, s.timeoutMs]);
}

function connect(s: RedisSettings): Redis {
  const redis = new Redis({
    host: s.host,
    port: s.port,
    username: s.username ?? undefined,
    password: s.password ?? undefined,
    db: s.database,
    tls: s.ssl ? { rejectUnauthorized: s.sslVerify, servername: s.serverName ?? s.host } : undefined,
    connectTimeout: s.timeoutMs,
    commandTimeout: s.timeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResubscribe: true,
    retryStrategy: (times) => Math.min(times * 50, MAX_RECONNECT_DELAY_MS),
    // A changed password or ACL must not loop reconnects with the wrong one; a restart of the instance reconnects.
    reconnectOnError: () => false,
  });
  // Without a listener ioredis prints every connection error to stderr; callers see each failure on their command.
  redis.on('error', () => undefined);
  return redis;
}

/** The shared connection for these settings (created on first use, connecting in the background). */
export function redisConnection(settings: RedisSettings): Redis {
  const key = connectionKey(settings);
  let redis = connections.get(key);
  if (redis !== undefined) {
    connections.delete(key);
  } else {
    redis = connect(settings);
    if (connections.size >= MAX_CONNECTIONS) {
      const [oldestKey, oldest] = connections.entries().next().value!;
      connections.delete(oldestKey);
      oldest.disconnect();
    }
  }
  connections.set(key, redis);
  return redis;
}

/** A second connection for SUBSCRIBE (a subscribed connection can run no other command); not pooled. */
export function redisSubscriber(settings: RedisSettings): Redis {
  return connect(settings);
}

/**
 * Resolves once `redis` can take commands. A connection still being made (first use) is waited for,
 * at most `timeoutMs`; one that is down (reconnecting after a failure) rejects at once.
 */
export function whenReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  if (redis.status !== 'wait' && redis.status !== 'connecting' && redis.status !== 'connect') {
    return Promise.reject(new Error(`connection ${redis.status}`));
  }
  return new Promise((resolve, reject) => {
    const settle = (err: Error | null) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onReady = () => settle(null);
    const onClose = () => settle(new Error('connection closed'));
    const timer = setTimeout(() => settle(new Error('connect timed out')), timeoutMs);
    redis.once('ready', onReady);
    redis.once('close', onClose);
  });
}

/** Closes every shared connection (tests, and the plugin server's shutdown). */
export function closeRedisConnections(): void {
  for (const redis of connections.values()) redis.disconnect();
  connections.clear();
}
