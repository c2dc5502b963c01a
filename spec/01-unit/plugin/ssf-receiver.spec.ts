// The SSF receiver's push handling (plugin/ssf/receiver.ts) through a recording PDK, against the dev
// issuer's transmitter over HTTP: what it answers a replayed SET at the edge of its acceptance window.
import { expect } from 'chai';
import { startDevIssuer, type DevIssuer } from '../../../dev/issuer';
import { normaliseConfig } from '../../../plugin/config/normalise';
import type { Pdk } from '../../../plugin/handler/pdk';
import { keySetFor } from '../../../plugin/keys';
import { clearRevocations } from '../../../plugin/revocation/revocation-list';
import { handleSetPush } from '../../../plugin/ssf/receiver';
import { clearSetJtis } from '../../../plugin/ssf/set-replay';

const AUTHORIZATION = 'Bearer a-stream-authorization-value';
const AUDIENCE = 'https://gateway.example/ssf';

/** A PDK for one push: the SET as body, the answer recorded. */
function pushOf(jws: string): { kong: Pdk; answer: () => { status: number; body: Record<string, unknown> } } {
  let answer: { status: number; body: Record<string, unknown> } | undefined;
  const quiet = async () => undefined;
  const kong = {
    request: {
      getHeaders: async () => ({ authorization: [AUTHORIZATION], 'content-type': ['application/secevent+jwt'] }),
      getMethod: async () => 'POST',
      getRawBody: async () => jws,
    },
    response: { exit: async (status: number, body: Record<string, unknown> = {}) => void (answer = { status, body }) },
    log: { err: quiet, warn: quiet, notice: quiet, info: quiet, debug: quiet },
  } as unknown as Pdk;
  return { kong, answer: () => answer! };
}

/** Runs `fn` with the clock (Date.now and new Date()) moved `shiftMs` ahead. */
async function later<T>(shiftMs: number, fn: () => Promise<T>): Promise<T> {
  const RealDate = Date;
  class Shifted extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(RealDate.now() + shiftMs);
      else super(...(args as [number]));
    }
    static override now(): number {
      return RealDate.now() + shiftMs;
    }
  }
  globalThis.Date = Shifted as DateConstructor;
  try {
    return await fn();
  } finally {
    globalThis.Date = RealDate;
  }
}

describe('SSF receiver: pushed SETs (dev transmitter over HTTP)', function () {
  this.timeout(20000);
  let issuer: DevIssuer;

  before(async () => {
    issuer = await startDevIssuer();
  });
  beforeEach(() => {
    clearSetJtis();
    clearRevocations();
  });
  after(async () => issuer?.close());

  it('refuses a replay of a SET for as long as the SET itself is accepted (an iat up to leeway_seconds ahead included)', async () => {
    const config = normaliseConfig({
      issuer: issuer.issuer, audiences: ['api://default'], leeway_seconds: 30,
      ssf_receiver: { transmitter_issuer: issuer.ssf.issuer, audiences: [AUDIENCE], authorization: AUTHORIZATION, max_set_age_seconds: 60 },
    });
    const receiver = config.ssfReceiver!;
    const keys = keySetFor(receiver.keys);
    const now = Math.floor(Date.now() / 1000);
    // The transmitter's clock is 30 s ahead: within the leeway, so the SET is accepted now...
    const jws = await issuer.ssf.sign({ aud: AUDIENCE, eventTimestamp: now, claims: { iat: now + 30, jti: 'set-replayed-late' } });
    const first = pushOf(jws);
    await handleSetPush(first.kong, config, receiver, keys);
    expect(first.answer().status, JSON.stringify(first.answer().body)).to.equal(202);
    // ...and still 110 s later (its iat is then 80 s old: max_set_age_seconds 60 + leeway 30).
    const replay = pushOf(jws);
    await later(110_000, () => handleSetPush(replay.kong, config, receiver, keys));
    expect([replay.answer().status, replay.answer().body.description]).to.deep.equal([400, 'The SET was already received']);
  });
});
