// Checks that a piece of work costs time linear in its input size, in a way a busy machine cannot fail:
// the same total input is processed as one input of size 16n and as sixteen inputs of size n. Linear
// code costs about the same for both; quadratic code costs about 16 times more for the large input,
// cubic about 256 times. Cost is this process's CPU time (other processes' load does not count, as it
// would in wall-clock time), the best of several interleaved rounds (noise only ever adds), each round
// repeated until it lasts long enough to be measured precisely.
import { expect } from 'chai';

const GROWTH = 16;
/** The large input may cost this many times the small ones (linear: about 1; quadratic: about 16). */
const SLACK = 4;
const ROUNDS = 7;
/** After three rounds, stop once this much CPU time is spent (a super-linear case is slow to measure). */
const BUDGET_MS = 2000;
/** CPU time a measured batch should last at least, so timer resolution and call overhead do not matter. */
const MIN_BATCH_MS = 10;

function cpuMs(work: () => void, times: number): number {
  const start = process.cpuUsage();
  for (let i = 0; i < times; i++) work();
  const spent = process.cpuUsage(start);
  return (spent.user + spent.system) / 1000;
}

/**
 * Fails when `workAt(16n)` costs more than SLACK times sixteen runs of `workAt(n)`. `workAt(size)`
 * builds its input once and returns the work to time.
 */
export function expectLinearGrowth(name: string, workAt: (size: number) => () => void, n: number): void {
  const small = workAt(n);
  const large = workAt(GROWTH * n);
  let repeats = 1;
  while (cpuMs(large, repeats) < MIN_BATCH_MS && repeats < 1 << 16) repeats *= 2;
  let bestSmall = Infinity;
  let bestLarge = Infinity;
  const budgetEnd = process.cpuUsage().user / 1000 + BUDGET_MS;
  for (let round = 0; round < ROUNDS && (round < 3 || process.cpuUsage().user / 1000 < budgetEnd); round++) {
    bestSmall = Math.min(bestSmall, cpuMs(small, GROWTH * repeats));
    bestLarge = Math.min(bestLarge, cpuMs(large, repeats));
  }
  const ratio = bestLarge / bestSmall;
  expect(ratio, `${name}: ${repeats} × n=${GROWTH * n} took ${bestLarge.toFixed(2)} ms of CPU, ` +
    `${GROWTH * repeats} × n=${n} took ${bestSmall.toFixed(2)} ms (linear: ratio about 1, quadratic about ${GROWTH})`).to.be.below(SLACK);
}
