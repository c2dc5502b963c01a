// The revocation list and what CAEP events make of it (plugin/revocation/, plugin/ssf/caep-events.ts).
import { expect } from 'chai';
import type { SsfReceiverSettings } from '../../../plugin/config/types';
import { clearRevocations, isRevoked, recordRevocation, revocationCount, subjectKey } from '../../../plugin/revocation/revocation-list';
import { CREDENTIAL_CHANGE, revocationsOf, SESSION_REVOKED } from '../../../plugin/ssf/caep-events';

const ISSUER = 'https://dev-1.okta.com/oauth2/default';
const ORG = 'https://dev-1.okta.com';
const now = () => Math.floor(Date.now() / 1000);

const receiver = { transmitterIssuer: ORG, tokenIssuers: [ISSUER], retentionSeconds: 86430 } as SsfReceiverSettings;

describe('revocation list', () => {
  beforeEach(() => clearRevocations());
  after(() => clearRevocations());

  const claims = (iat: number, extra: Record<string, unknown> = {}) => ({ iss: ISSUER, iat, sub: 'Alice@Example.com', uid: '00u1', ...extra });
  const revoke = (subject: string, revokedAt: number, expiresAt = revokedAt + 3600, max = 100) => recordRevocation({ issuer: ISSUER, subject, revokedAt, expiresAt }, max);

  it('refuses tokens issued at or before the event, by uid or by case-folded sub; later ones and other issuers pass', () => {
    const t = now() - 100;
    revoke(subjectKey('uid', '00u1'), t);
    expect(isRevoked(claims(t - 1))).to.equal(true);
    expect(isRevoked(claims(t))).to.equal(true);
    expect(isRevoked(claims(t + 1))).to.equal(false);
    expect(isRevoked(claims(t - 1, { iss: 'https://other.okta.com/oauth2/default' }))).to.equal(false);
    clearRevocations();
    revoke(subjectKey('sub', 'alice@example.com'), t);
    expect(isRevoked(claims(t - 1))).to.equal(true);
    expect(isRevoked(claims(t - 1, { sub: 'bob@example.com' }))).to.equal(false);
  });

  it('merges revocations of one subject (the later event wins, whatever the order) and ignores expired ones', () => {
    const t = now() - 100;
    revoke(subjectKey('uid', '00u1'), t);
    expect(revoke(subjectKey('uid', '00u1'), t - 50)).to.equal('known');
    expect(revoke(subjectKey('uid', '00u1'), t + 10)).to.equal('recorded');
    expect(isRevoked(claims(t + 5))).to.equal(true);
    expect(revoke(subjectKey('uid', '00u2'), t - 7200, now() - 1)).to.equal('expired');
    expect(revocationCount()).to.equal(1);
  });

  it('never evicts a live revocation: a full list refuses new subjects and keeps the old', () => {
    const t = now() - 10;
    for (let i = 0; i < 100; i++) expect(revoke(subjectKey('uid', `00u${i}`), t)).to.equal('recorded');
    expect(revoke(subjectKey('uid', 'one-more'), t)).to.equal('full');
    expect(isRevoked(claims(t - 1, { uid: '00u0' }))).to.equal(true);
    expect(revoke(subjectKey('uid', '00u0'), t + 1), 'a known subject is still updated').to.equal('recorded');
  });
});

describe('CAEP events to revocations', () => {
  const set = (event: Record<string, unknown>, type = SESSION_REVOKED, extra: Record<string, unknown> = {}) => ({ iss: ORG, iat: now(), jti: 'j', events: { [type]: event }, ...extra });
  const subjects = (reading: ReturnType<typeof revocationsOf>) => (reading.ok ? reading.revocations.map((r) => r.subject) : reading.description);

  it('maps Okta\'s subject formats to token claims: iss_sub of the org → uid, of the token issuer → sub, email → sub, opaque → both', () => {
    const at = now() - 60;
    const of = (subject: unknown) => subjects(revocationsOf(set({ subject: { user: subject }, event_timestamp: at }), receiver, now()));
    expect(of({ format: 'iss_sub', iss: ORG, sub: '00uABC' })).to.deep.equal(['uid:00uABC']);
    expect(of({ format: 'iss_sub', iss: ISSUER, sub: 'Alice@Example.com' })).to.deep.equal(['sub:alice@example.com']);
    expect(of({ format: 'iss_sub', iss: 'https://elsewhere.example', sub: 'x' })).to.deep.equal([]);
    expect(of({ format: 'email', email: 'Alice@Example.com' })).to.deep.equal(['sub:alice@example.com']);
    expect(of({ format: 'account', uri: 'acct:alice@example.com' })).to.deep.equal(['sub:alice@example.com']);
    expect(of({ format: 'opaque', id: '00uABC' })).to.deep.equal(['uid:00uABC', 'sub:00uabc']);
    expect(of({ format: 'phone_number', phone_number: '+1' })).to.deep.equal([]);
    expect(of({ format: 'email' })).to.equal('The event subject is malformed');
  });

  it('reads a simple subject in the event or in the SET\'s sub_id (SSF 1.0); the event time is event_timestamp, never after now', () => {
    const reading = revocationsOf(set({ event_timestamp: now() + 3600, credential_type: 'password', change_type: 'update' }, CREDENTIAL_CHANGE, { sub_id: { format: 'email', email: 'a@b.c' } }), receiver, now());
    expect(reading.ok).to.equal(true);
    if (!reading.ok) return;
    expect(reading.revocations).to.have.length(1);
    expect(reading.revocations[0]!.revokedAt).to.be.at.most(now());
    expect(reading.revocations[0]!.expiresAt).to.equal(reading.revocations[0]!.revokedAt + receiver.retentionSeconds);
  });

  it('acknowledges events it does not act on, refuses malformed ones, and drops revocations that already expired', () => {
    const other = revocationsOf(set({ subject: { format: 'email', email: 'a@b.c' } }, 'https://schemas.openid.net/secevent/ssf/event-type/verification'), receiver, now());
    expect(other).to.deep.equal({ ok: true, revocations: [], ignored: 1 });
    expect(revocationsOf({ iss: ORG, events: [] }, receiver, now()).ok).to.equal(false);
    expect(revocationsOf(set({ subject: { format: 'email', email: 'a@b.c' }, event_timestamp: 'yesterday' }), receiver, now()).ok).to.equal(false);
    const old = revocationsOf(set({ subject: { format: 'email', email: 'a@b.c' }, event_timestamp: now() - 200000 }), receiver, now());
    expect(old).to.deep.equal({ ok: true, revocations: [], ignored: 0 });
  });
});
