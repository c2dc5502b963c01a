// The order in which a mocha run visits its spec files: shuffled by a seed, so no spec can lean on
// another having run (or not) before it in the same processes, and any order that fails can be run
// again exactly: TEST_SEED=<seed> npm test.
import crypto from 'node:crypto';

/** The run's seed: TEST_SEED when set (a non-negative integer), else a fresh random one. */
export function runSeed(env: NodeJS.ProcessEnv = process.env): number {
  const given = env.TEST_SEED;
  if (given === undefined || given === '') return crypto.randomInt(0, 2 ** 31);
  if (!/^\d{1,10}$/.test(given)) throw new Error(`TEST_SEED must be a non-negative integer, got ${JSON.stringify(given)}`);
  return Number(given);
}

/** mulberry32: a small, well-mixed 32-bit PRNG; the same seed always gives the same sequence. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Fisher-Yates in place with the seeded PRNG. */
export function shuffleInPlace<T>(items: T[], seed: number): T[] {
  const random = seededRandom(seed);
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
