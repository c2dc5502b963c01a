// Stateless DPoP server nonces (RFC 9449 §8–9): a nonce is a time window and an HMAC of it, so
// any plugin server holding the same secret accepts it without shared state. It is accepted in
// its own window and the next one. Without dpop.nonce_secret the secret is random per
// plugin-server process: nonces then hold only on the node (and process) that issued them.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { DpopSettings } from '../config/types';
import { clock } from '../cache/clock';

const PROCESS_SECRET = randomBytes(32);

function mac(secret: string | null, window: number): string {
  return createHmac('sha256', secret ?? PROCESS_SECRET).update(`okta-jwt dpop nonce ${window}`).digest('base64url');
}

function windowAt(settings: DpopSettings): number {
  return Math.floor(clock.now() / 1000 / settings.nonceLifetimeSeconds);
}

/** The nonce to hand out now (DPoP-Nonce header). */
export function currentNonce(settings: DpopSettings): string {
  const window = windowAt(settings);
  return `${window.toString(36)}.${mac(settings.nonceSecret, window)}`;
}

/** Whether a proof's nonce was issued by a server with this secret in this window or the one before. */
export function nonceAccepted(nonce: unknown, settings: DpopSettings): boolean {
  if (typeof nonce !== 'string' || nonce.length > 64) return false;
  const dot = nonce.indexOf('.');
  const window = /^[0-9a-z]{1,12}$/.test(nonce.slice(0, dot)) ? parseInt(nonce.slice(0, dot), 36) : NaN;
  const now = windowAt(settings);
  if (dot < 0 || !(window === now || window === now - 1)) return false;
  const expected = Buffer.from(mac(settings.nonceSecret, window));
  const given = Buffer.from(nonce.slice(dot + 1));
  return given.length === expected.length && timingSafeEqual(given, expected);
}
