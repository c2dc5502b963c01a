// The time source of the process-wide caches (key sets, verified tokens). A single mutable seam
// so tests can move time forward without sleeping; production code never replaces it.
export const clock = {
  /** Milliseconds since the epoch. */
  now: (): number => Date.now(),
};
