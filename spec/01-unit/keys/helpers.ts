// Shared set-up for the key-set specs: settings with short limits, a movable clock, a log that
// records, and polling for background work.
import { decodeProtectedHeader } from 'jose';
import type { KeySetSettings } from '../../../plugin/config/types';
import { clock } from '../../../plugin/cache/clock';
import type { KeyLog } from '../../../plugin/keys';

export function keySettings(over: Partial<KeySetSettings> & Pick<KeySetSettings, 'issuer'>): KeySetSettings {
  return {
    jwksUri: null,
    minTtlSeconds: 60,
    maxTtlSeconds: 3600,
    unknownKidCooldownSeconds: 30,
    maxStaleSeconds: 86400,
    connectTimeoutMs: 500,
    timeoutMs: 1000,
    maxBodyBytes: 262144,
    proxyUrl: null,
    ...over,
  };
}

/** Moves the caches' clock forward without sleeping (real time keeps running underneath). */
export const fakeTime = {
  offsetMs: 0,
  install(): void {
    this.offsetMs = 0;
    clock.now = () => Date.now() + this.offsetMs;
  },
  advance(seconds: number): void {
    this.offsetMs += seconds * 1000;
  },
  uninstall(): void {
    clock.now = () => Date.now();
  },
};

export function recordingLog(): KeyLog & { warnings: string[]; infos: string[] } {
  const warnings: string[] = [];
  const infos: string[] = [];
  return { warnings, infos, warn: (m) => warnings.push(m), info: (m) => infos.push(m) };
}

export function headerOf(token: string): { alg?: string; kid?: string } {
  return decodeProtectedHeader(token) as { alg?: string; kid?: string };
}

export async function eventually(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Resolves with the rejection reason; fails when the promise resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}
