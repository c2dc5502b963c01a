// Process-wide components (the key sets) have no request, hence no kong.log. They queue their
// warnings here; the next request's handler hands them to Kong's log in one PDK call. Bounded,
// so a failing issuer cannot grow memory; lines dropped while full are counted.
const MAX_QUEUED = 20;
let queued: string[] = [];
let dropped = 0;

export function queueWarning(message: string): void {
  process.stderr.write(`[okta-jwt] ${message}\n`);
  if (queued.length < MAX_QUEUED) queued.push(message);
  else dropped++;
}

export function hasQueuedWarnings(): boolean {
  return queued.length > 0;
}

/** All queued warnings as one line (or null), emptying the queue. */
export function takeQueuedWarnings(): string | null {
  if (queued.length === 0) return null;
  const text = queued.join('; ') + (dropped > 0 ? `; (${dropped} more warnings dropped)` : '');
  queued = [];
  dropped = 0;
  return text;
}
