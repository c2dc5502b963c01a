// What the introspection endpoint last said about a token, process-wide and bounded (the least
// recently used goes first), keyed by a SHA-256 of the issuer, the client and the exact token
// string: the token itself is never kept. An answer is reused for cache_ttl_seconds (the reader's
// setting: plugins with different settings share answers) and never past the token's exp; an
// "active" answer is kept longer only to serve introspection.unavailable "grace".
import { hash } from 'node:crypto';
import { BoundedLru } from '../cache/bounded-lru';
import { clock } from '../cache/clock';

export interface IntrospectionAnswer {
  active: boolean;
  /** When the endpoint gave it, epoch ms. */
  checkedAtMs: number;
  /** The token's exp, epoch ms: the answer is dead from then on. */
  expiresAtMs: number;
}

/** Answers kept; each is about 200 bytes. */
export const MAX_ANSWERS = 50_000;

const answers = new BoundedLru<string, IntrospectionAnswer>(MAX_ANSWERS);
/** Until when some stored "inactive" answer may still be alive (epoch ms): before any, no lookup is needed. */
let inactiveUntilMs = 0;

export function answerKey(issuer: string, clientId: string, token: string): string {
  return hash('sha256', `${issuer}\n${clientId}\n${token}`, 'base64url');
}

export function storedAnswer(key: string): IntrospectionAnswer | undefined {
  const answer = answers.get(key);
  if (answer !== undefined && !(clock.now() < answer.expiresAtMs)) {
    answers.delete(key);
    return undefined;
  }
  return answer;
}

export function storeAnswer(key: string, answer: IntrospectionAnswer): void {
  if (!(clock.now() < answer.expiresAtMs)) return;
  answers.set(key, Object.freeze(answer));
  if (!answer.active) inactiveUntilMs = Math.max(inactiveUntilMs, answer.expiresAtMs);
}

/** False while no "inactive" answer can be stored: the common path then skips hashing the token. */
export function mayHoldInactive(): boolean {
  return clock.now() < inactiveUntilMs;
}

/** Fresh enough to reuse under a cache_ttl_seconds of `ttlSeconds`. */
export function isFresh(answer: IntrospectionAnswer, ttlSeconds: number): boolean {
  const now = clock.now();
  return now < answer.expiresAtMs && now - answer.checkedAtMs < ttlSeconds * 1000;
}

/** How long a shared store should keep an answer: as long as any reader may use it. */
export function keepForMs(answer: IntrospectionAnswer, ttlSeconds: number, graceSeconds: number): number {
  return Math.min(answer.expiresAtMs - clock.now(), Math.max(ttlSeconds, graceSeconds) * 1000);
}

/** Tests only. */
export function clearIntrospectionAnswers(): void {
  answers.clear();
  inactiveUntilMs = 0;
}
