// Warnings about a lasting condition (Redis down, the introspection endpoint failing) that every
// request would otherwise repeat: at most one per topic per interval reaches the deferred log
// (deferred-log.ts), with the count of those held back. Topics are fixed strings, so the map stays small.
import { clock } from '../cache/clock';
import { queueWarning } from './deferred-log';

export const WARNING_INTERVAL_MS = 60_000;

const topics = new Map<string, { warnedAt: number; suppressed: number }>();

export function warnOncePerInterval(topic: string, message: string, intervalMs = WARNING_INTERVAL_MS): void {
  const now = clock.now();
  const state = topics.get(topic);
  if (state !== undefined && now - state.warnedAt < intervalMs) {
    state.suppressed += 1;
    return;
  }
  const suppressed = state !== undefined && state.suppressed > 0 ? ` (${state.suppressed} similar warnings suppressed)` : '';
  topics.set(topic, { warnedAt: now, suppressed: 0 });
  queueWarning(message + suppressed);
}
