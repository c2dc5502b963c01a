// What lives for a whole mocha run (the shared gateways of spec/support/gateway.ts) registers its
// teardown here; the root hooks (root-hooks.ts) run it once, after the last spec file.
type Teardown = () => Promise<void>;

const teardowns: Teardown[] = [];

export function atRunEnd(teardown: Teardown): void {
  teardowns.push(teardown);
}

/** Runs every registered teardown, newest first, each once; one failing does not stop the others. */
export async function endRun(): Promise<void> {
  const failures: unknown[] = [];
  for (const teardown of teardowns.splice(0).reverse()) await teardown().catch((e: unknown) => failures.push(e));
  if (failures.length) throw failures[0];
}
