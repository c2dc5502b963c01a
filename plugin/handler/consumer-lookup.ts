// Finds the Kong consumer a token maps to. kong.client.load_consumer is a PDK round trip (and a
// database read on Kong's side), so results — found or not — are cached process-wide for a short
// time. Consequence: a consumer created, renamed or deleted is seen within CONSUMER_TTL_SECONDS.
import NodeCache from 'node-cache';
import type { ConsumerRequest } from '../vocabulary/decision';
import type { KongConsumer } from '../forward/consumer-headers';
import type { Pdk } from './pdk';

export const CONSUMER_TTL_SECONDS = 60;
const MISSING_TTL_SECONDS = 10;
const MAX_CACHED_CONSUMERS = 10000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// Values are frozen and never mutated, so clones are not needed.
const cache = new NodeCache({ stdTTL: CONSUMER_TTL_SECONDS, checkperiod: 60, useClones: false, maxKeys: MAX_CACHED_CONSUMERS });

/** Keys carry a prefix so a value such as "__proto__" can never address node-cache's own store. */
function cacheKey(request: ConsumerRequest): string {
  return `consumer:${request.lookup}:${request.value}`;
}

function remember(key: string, consumer: KongConsumer | null): void {
  try {
    cache.set(key, consumer === null ? 'missing' : Object.freeze({ ...consumer }), consumer === null ? MISSING_TTL_SECONDS : CONSUMER_TTL_SECONDS);
  } catch {
    // ECACHEFULL: node-cache refuses new keys when full instead of evicting. Not caching is safe.
  }
}

/** Kong answers load_consumer(uuid, true) by id first: accept only a consumer that really matches the lookup. */
function matchesLookup(consumer: KongConsumer, request: ConsumerRequest): boolean {
  switch (request.lookup) {
    case 'id':
      return consumer.id === request.value;
    case 'username':
      return consumer.username === request.value;
    case 'any':
      return consumer.id === request.value || consumer.username === request.value;
  }
}

export async function lookUpConsumer(kong: Pdk, request: ConsumerRequest): Promise<KongConsumer | null> {
  const key = cacheKey(request);
  const cached = cache.get<KongConsumer | 'missing'>(key);
  if (cached !== undefined) return cached === 'missing' ? null : cached;

  // A non-UUID id without the by-username flag makes Kong raise a Lua error (500, no reply).
  if (request.lookup === 'id' && !UUID.test(request.value)) return null;
  const found = request.lookup === 'id' ? await kong.client.loadConsumer(request.value) : await kong.client.loadConsumer(request.value, true);
  const consumer = isConsumer(found) && matchesLookup(found, request) ? found : null;
  remember(key, consumer);
  return consumer;
}

function isConsumer(value: unknown): value is KongConsumer {
  return typeof value === 'object' && value !== null && typeof (value as KongConsumer).id === 'string';
}

/** For tests: forget every cached consumer. */
export function resetConsumerCache(): void {
  cache.flushAll();
}
