// What a verified SET means for tokens: the CAEP events okta-jwt acts on (session-revoked,
// credential-change) become revocations of their subject; every other event is acknowledged and
// ignored (SSF 1.0: a receiver ignores events it does not understand).
//
// Subjects, as Okta and the SSF/CAEP drafts carry them: in the event's `subject` (Okta, CAEP
// drafts) or the SET's `sub_id` (SSF 1.0), either a simple subject ({format, ...}) or a complex one
// whose `user` member is simple. Okta access tokens name the user twice: `uid` (the Okta user id)
// and `sub` (the login, by default the email address). So:
//   iss_sub {iss, sub}  iss the transmitter (the Okta org): sub is the user id → uid;
//                       iss one of the token issuers: sub is the token's sub → sub
//   email {email}       → sub (case-insensitive)
//   account {uri}       acct:<login> → sub (case-insensitive)
//   opaque {id}         → uid and sub
// Any other format names no token claim okta-jwt can match: the event is acknowledged and ignored.
import type { SsfReceiverSettings } from '../config/types';
import { subjectKey, type Revocation } from '../revocation/revocation-list';
import type { Claims } from '../util/claims';

export const SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
export const CREDENTIAL_CHANGE = 'https://schemas.openid.net/secevent/caep/event-type/credential-change';
const REVOKING_EVENTS: ReadonlySet<string> = new Set([SESSION_REVOKED, CREDENTIAL_CHANGE]);

/** More events than this in one SET is not a SET okta-jwt accepts (transmitters send one). */
const MAX_EVENTS = 16;
const MAX_IDENTIFIER_LENGTH = 512;

export type EventsReading =
  | { ok: true; revocations: Revocation[]; ignored: number }
  | { ok: false; description: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function identifier(v: unknown): string | null {
  return typeof v === 'string' && v !== '' && v.length <= MAX_IDENTIFIER_LENGTH ? v : null;
}

/** The revocation keys a subject names; [] when okta-jwt cannot match its format to token claims; null when malformed. */
function subjectKeys(subject: unknown, receiver: SsfReceiverSettings): string[] | null {
  if (!isObject(subject)) return null;
  const simple = Object.hasOwn(subject, 'format') ? subject : subject.user;
  if (!isObject(simple) || typeof simple.format !== 'string') return Object.hasOwn(subject, 'format') ? null : [];
  switch (simple.format) {
    case 'iss_sub': {
      const [iss, sub] = [identifier(simple.iss), identifier(simple.sub)];
      if (iss === null || sub === null) return null;
      if (iss === receiver.transmitterIssuer) return [subjectKey('uid', sub)];
      return receiver.tokenIssuers.includes(iss) ? [subjectKey('sub', sub)] : [];
    }
    case 'email': {
      const email = identifier(simple.email);
      return email === null ? null : [subjectKey('sub', email)];
    }
    case 'account': {
      const uri = identifier(simple.uri);
      return uri === null || !uri.startsWith('acct:') ? null : [subjectKey('sub', uri.slice('acct:'.length))];
    }
    case 'opaque': {
      const id = identifier(simple.id);
      return id === null ? null : [subjectKey('uid', id), subjectKey('sub', id)];
    }
    default:
      return [];
  }
}

/**
 * The revocations a verified SET carries. The event time is the event's event_timestamp (else the
 * SET's iat), never later than now; a revocation lasts until no token issued before it can still
 * be accepted (receiver.retentionSeconds).
 */
export function revocationsOf(set: Claims, receiver: SsfReceiverSettings, nowSeconds: number): EventsReading {
  const events = set.events;
  if (!isObject(events) || Object.keys(events).length === 0) return { ok: false, description: 'The SET has no events' };
  const types = Object.keys(events);
  if (types.length > MAX_EVENTS) return { ok: false, description: 'The SET has too many events' };
  const revocations: Revocation[] = [];
  let ignored = 0;
  for (const type of types) {
    const event = events[type];
    if (!isObject(event)) return { ok: false, description: 'An event of the SET is not an object' };
    if (!REVOKING_EVENTS.has(type)) {
      ignored += 1;
      continue;
    }
    const keys = subjectKeys(Object.hasOwn(event, 'subject') ? event.subject : set.sub_id, receiver);
    if (keys === null) return { ok: false, description: 'The event subject is malformed' };
    const timestamp = Object.hasOwn(event, 'event_timestamp') ? event.event_timestamp : set.iat;
    if (typeof timestamp !== 'number' || !Number.isFinite(timestamp) || timestamp < 0) return { ok: false, description: 'The event_timestamp is not a time' };
    if (keys.length === 0) {
      ignored += 1;
      continue;
    }
    const revokedAt = Math.floor(Math.min(timestamp, nowSeconds));
    const expiresAt = revokedAt + receiver.retentionSeconds;
    if (expiresAt <= nowSeconds) continue;
    for (const issuer of receiver.tokenIssuers) for (const subject of keys) revocations.push({ issuer, subject, revokedAt, expiresAt });
  }
  return { ok: true, revocations, ignored };
}
