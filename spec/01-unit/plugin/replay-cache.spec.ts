// The DPoP replay cache on its own: process-wide lookups, a quota per plugin that never evicts an
// unexpired proof, expiry with the widest proof window, and what a widening window may have forgotten.
import { expect } from 'chai';
import { clock } from '../../../plugin/cache/clock';
import { MinHeap } from '../../../plugin/cache/min-heap';
import { clearReplayCache, recordProof, type ProofOwner } from '../../../plugin/dpop/replay-cache';

describe('DPoP replay cache', () => {
  const realNow = clock.now;
  let nowMs = 1_700_000_000_000;
  const nowSeconds = () => nowMs / 1000;
  const owner = (name: string, maxEntries = 1000, windowSeconds = 65): ProofOwner => ({ owner: name, maxEntries, windowSeconds });

  beforeEach(() => {
    clearReplayCache();
    clock.now = () => nowMs;
  });
  afterEach(() => {
    clock.now = realNow;
    clearReplayCache();
  });

  it('accepts a proof once, on any plugin of the process', () => {
    expect(recordProof('k\n1', nowSeconds(), owner('a'))).to.deep.equal({ kind: 'first_use' });
    expect(recordProof('k\n1', nowSeconds(), owner('a'))).to.deep.equal({ kind: 'replayed' });
    expect(recordProof('k\n1', nowSeconds(), owner('b'))).to.deep.equal({ kind: 'replayed' });
  });

  // checkProof reads the clock before authorization, recordProof after it: a proof that was fresh
  // when checked must still find its first use when recorded at (or just past) the end of its window.
  it('never accepts a proof twice at the end of its window, even when recorded after it was checked', () => {
    const iat = nowSeconds();
    expect(recordProof('k\nedge', iat, owner('a')).kind).to.equal('first_use');
    nowMs += 65_000; // checkProof accepts iat >= now - 65: still fresh at this instant
    expect(recordProof('k\nedge', iat, owner('a')).kind, 'at the window\'s last instant').to.not.equal('first_use');
    nowMs += 3; // checked at the last instant, recorded 3 ms later
    expect(recordProof('k\nedge', iat, owner('a')).kind, 'recorded just past the window').to.not.equal('first_use');
    expect(recordProof('k\nedge', iat, owner('b')).kind, 'on another plugin').to.not.equal('first_use');
  });

  it('refuses new proofs when a plugin\'s quota holds only unexpired ones, until the oldest expires', () => {
    for (let i = 0; i < 1000; i++) expect(recordProof(`k\n${i}`, nowSeconds() - 5, owner('small')).kind).to.equal('first_use');
    // Held through the last instant of the window (60 s from now), free the second after.
    expect(recordProof('k\nnew', nowSeconds(), owner('small'))).to.deep.equal({ kind: 'full', retryAfterSeconds: 61 });
    expect(recordProof('k\n0', nowSeconds(), owner('big', 100_000)), 'nothing was evicted').to.deep.equal({ kind: 'replayed' });
    expect(recordProof('k\nother', nowSeconds(), owner('big', 100_000)).kind, 'other plugins are unaffected').to.equal('first_use');
    nowMs += 60_000;
    expect(recordProof('k\nnew', nowSeconds(), owner('small')).kind, 'at the last instant').to.equal('full');
    nowMs += 1_000;
    expect(recordProof('k\nnew', nowSeconds(), owner('small')).kind).to.equal('first_use');
  });

  it('orders expiry by the proof\'s iat, not by arrival', () => {
    recordProof('k\nlate', nowSeconds(), owner('a', 1000));
    for (let i = 0; i < 999; i++) recordProof(`k\n${i}`, nowSeconds() - 60, owner('a', 1000));
    nowMs += 10_000;
    expect(recordProof('k\nnext', nowSeconds(), owner('a', 1000)).kind, 'the early-iat proofs expired').to.equal('first_use');
    expect(recordProof('k\nlate', nowSeconds(), owner('a', 1000)).kind, 'the later one is still remembered').to.equal('replayed');
  });

  it('remembers every proof for the widest window of any plugin, so a longer-window plugin cannot replay it', () => {
    recordProof('k\nwide', nowSeconds(), owner('long', 1000, 3605));
    recordProof('k\n1', nowSeconds(), owner('short'));
    nowMs += 600_000;
    expect(recordProof('k\n1', nowSeconds() - 600, owner('long', 1000, 3605)).kind).to.equal('replayed');
  });

  it('after the widest window grows, refuses proofs older than the previous window as possibly forgotten', () => {
    recordProof('k\n1', nowSeconds(), owner('short'));
    nowMs += 100_000; // k\n1 expired under the 65 s window and may be dropped
    recordProof('k\n2', nowSeconds(), owner('short'));
    expect(recordProof('k\n1', nowSeconds() - 100, owner('long', 1000, 3605))).to.deep.equal({ kind: 'too_old' });
    expect(recordProof('k\n3', nowSeconds() - 30, owner('long', 1000, 3605)).kind, 'a proof within the old window').to.equal('first_use');
  });

  it('a min-heap pops in score order whatever the insertion order', () => {
    const heap = new MinHeap<number>((n) => n);
    const values = Array.from({ length: 200 }, (_, i) => (i * 7919) % 211);
    for (const v of values) heap.push(v);
    const popped: number[] = [];
    while (heap.size > 0) popped.push(heap.pop()!);
    expect(popped).to.deep.equal([...values].sort((a, b) => a - b));
  });
});
