// Mocha root hooks (loaded by .mocharc's `require`) for every run:
//   before all  shuffles the spec files' top-level suites with the run's seed and prints it;
//   after all   closes what lived for the whole run (the shared gateways, run-lifecycle.ts).
import type { Context, Suite } from 'mocha';
import { endRun } from './run-lifecycle';
import { runSeed, shuffleInPlace } from './suite-order';

const seed = runSeed();
const rerun = `re-run this order with TEST_SEED=${seed}`;

export const mochaHooks = {
  beforeAll(this: Context): void {
    // Mocha reads a suite's children only after its before-all hooks ran, so reordering here takes effect.
    const root = this.test?.parent as Suite | undefined;
    if (root) shuffleInPlace(root.suites, seed);
    process.stdout.write(`spec files in shuffled order (${rerun})\n`);
  },
  async afterAll(): Promise<void> {
    try {
      await endRun();
    } finally {
      process.stdout.write(`(${rerun})\n`);
    }
  },
};
