// A model-based test of one key set (plugin/keys/remote-key-set.ts) on a fake clock, against a
// scripted issuer in the same process: random sequences of key publications and retirements,
// issuer outages (down, slow, too slow, garbage), warm-ups by new plugin instances, time passing,
// and bursts of concurrent kid lookups (published, retired and bogus kids). After every step:
//   - a kid the issuer has published for longer than the cooldown plus one fetch is accepted
//     whenever the issuer has been reachable long enough for the back-off to end;
//   - a retired kid is refused once a fetch that started after its retirement succeeded;
//     a bogus kid is never accepted;
//   - a fetch while the set is fresh (only unknown kids cause those) comes at least a cooldown after
//     the previous fetch; after failures every fetch waits at least the shortest back-off;
//   - never more than one fetch in flight.
import fc from 'fast-check';
import { expect } from 'chai';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { clock } from '../../../plugin/cache/clock';
import type { KeySetSettings } from '../../../plugin/config/types';
import { BACKOFF_BASE_MS, BACKOFF_CAP_MS, RemoteKeySet } from '../../../plugin/keys/remote-key-set';
import { fuzzRuns, fuzzSeed } from './fuzz-support';

const ALG = 'ES256';
const T0 = 1_750_000_000_000;

interface FetchRecord {
  start: number;
  end?: number;
  ok?: boolean;
}

type IssuerMode = 'up' | 'down' | 'garbage';

/** The issuer as the key set sees it through its fetch seam; the fake clock moves while it answers. */
class ScriptedIssuer {
  readonly published = new Map<string, number>(); // kid → published at (ms)
  readonly retired = new Map<string, number>(); // kid → fetches started before its retirement
  readonly fetches: FetchRecord[] = [];
  readonly violations: string[] = [];
  mode: IssuerMode = 'up';
  delayMs = 0;
  /** Since when fetches succeed (undefined: they fail now). */
  reachableSince: number | undefined = -Infinity;
  private inFlight = 0;
  private keyCount = 0;

  constructor(
    readonly settings: KeySetSettings,
    private readonly maxAgeSeconds: number | undefined,
    private readonly keyPool: JWK[],
    readonly now: { ms: number },
  ) {
    this.publish();
  }

  publish(): void {
    this.published.set(`k${this.keyCount++}`, this.now.ms);
  }

  retire(kid: string): void {
    this.published.delete(kid);
    this.retired.set(kid, this.fetches.length);
  }

  setMode(mode: IssuerMode, delayMs: number): void {
    const reachable = mode === 'up' && delayMs <= this.settings.timeoutMs;
    if (!reachable) this.reachableSince = undefined;
    else this.reachableSince ??= this.now.ms;
    this.mode = mode;
    this.delayMs = delayMs;
  }

  get idle(): boolean {
    return this.inFlight === 0;
  }

  get newestKid(): string | undefined {
    return [...this.published.keys()].at(-1);
  }

  /** Reachable for at least `ms`, and any back-off of earlier failures is over. */
  reachableFor(ms: number): boolean {
    if (this.reachableSince === undefined || this.now.ms - this.reachableSince <= ms) return false;
    const failures = this.trailingFailures();
    const last = this.fetches.at(-1);
    return failures === 0 || this.now.ms - last!.end! >= Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (failures - 1));
  }

  private trailingFailures(): number {
    let failures = 0;
    for (let i = this.fetches.length - 1; i >= 0 && this.fetches[i]!.ok === false; i--) failures++;
    return failures;
  }

  /** The key set's FetchJwks. Answers with the document as it stood when the request arrived. */
  readonly fetch = async (): Promise<{ json: unknown; maxAgeSeconds: number | undefined }> => {
    const record: FetchRecord = { start: this.now.ms };
    checked.fetches++;
    this.checkAllowed(record.start);
    this.fetches.push(record);
    if (++this.inFlight > 1) this.violations.push(`${this.inFlight} fetches in flight`);
    const { mode, delayMs } = this;
    const keys = [...this.published.keys()].map((kid, i) => ({ ...this.keyPool[i % this.keyPool.length], kid, alg: ALG, use: 'sig' }));
    await tick(); // concurrent lookups run while the request is on its way
    this.now.ms += Math.min(delayMs, this.settings.timeoutMs);
    await tick();
    this.inFlight--;
    record.end = this.now.ms;
    record.ok = mode === 'up' && delayMs <= this.settings.timeoutMs;
    if (mode === 'down') throw new Error('HTTP 503');
    if (!record.ok) throw new Error('the key set did not arrive in time');
    return { json: mode === 'garbage' ? { keys: 'garbage' } : { keys }, maxAgeSeconds: this.maxAgeSeconds };
  };

  /** True while the last good document is younger than its TTL (as the key set computes it). */
  private freshAt(now: number): boolean {
    const lastOk = this.fetches.findLast((f) => f.ok === true);
    if (lastOk === undefined) return false;
    const { minTtlSeconds, maxTtlSeconds } = this.settings;
    const ttl = Math.max(1000, 1000 * Math.min(maxTtlSeconds, Math.max(minTtlSeconds, this.maxAgeSeconds ?? minTtlSeconds)));
    return now < lastOk.end! + ttl;
  }

  private checkAllowed(start: number): void {
    const previous = this.fetches.at(-1);
    if (previous === undefined) return;
    const cooldownMs = this.settings.unknownKidCooldownSeconds * 1000;
    if (this.freshAt(start) && start - previous.start < cooldownMs) {
      this.violations.push(`a fetch ${start - previous.start} ms after the previous one, inside the cooldown, while the set is fresh`);
    }
    const failures = this.trailingFailures();
    const shortestBackoff = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (failures - 1)) / 2;
    if (failures > 0 && start - previous.end! < shortestBackoff) {
      this.violations.push(`a fetch ${start - previous.end!} ms after ${failures} failures (back-off at least ${shortestBackoff} ms)`);
    }
  }
}

/** How often each invariant was actually checked: a property that never checks one proves nothing. */
const checked = { mustAccept: 0, mustRefuse: 0, fetches: 0 };

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Real {
  issuer: ScriptedIssuer;
  keySet: RemoteKeySet;
}
interface Model {
  published: number;
  retired: number;
}

/** Waits until no fetch is in flight, background refreshes included. */
async function settle({ issuer, keySet }: Real): Promise<void> {
  const busy = () => !issuer.idle || (keySet as unknown as { inflight?: Promise<void> }).inflight !== undefined;
  for (let i = 0; busy() || i < 2; i++) await tick();
}

function expectNoViolations(real: Real): void {
  expect(real.issuer.violations, 'fetch rule violations').to.deep.equal([]);
}

class Publish implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>) => m.published < 5;
  async run(m: Model, r: Real): Promise<void> {
    m.published++;
    r.issuer.publish();
  }
  toString = () => 'publish';
}

class Retire implements fc.AsyncCommand<Model, Real> {
  constructor(readonly index: number) {}
  check = (m: Readonly<Model>) => m.published > 1;
  async run(m: Model, r: Real): Promise<void> {
    m.published--;
    m.retired++;
    const kids = [...r.issuer.published.keys()];
    r.issuer.retire(kids[this.index % kids.length]!);
  }
  toString = () => `retire(#${this.index})`;
}

class SetIssuer implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly mode: IssuerMode,
    readonly delay: 'none' | 'slow' | 'too slow',
  ) {}
  check = () => true;
  async run(_m: Model, r: Real): Promise<void> {
    const { timeoutMs } = r.issuer.settings;
    r.issuer.setMode(this.mode, { none: 0, slow: Math.floor(timeoutMs / 2), 'too slow': timeoutMs + 1 }[this.delay]);
  }
  toString = () => `issuer(${this.mode}, ${this.delay})`;
}

/** Time passes: `ms`, plus `cooldowns` × (the cooldown plus one fetch timeout) to hit its edges often. */
class Advance implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly ms: number,
    readonly cooldowns: number,
  ) {}
  check = () => true;
  async run(_m: Model, r: Real): Promise<void> {
    const { unknownKidCooldownSeconds, timeoutMs } = r.issuer.settings;
    r.issuer.now.ms += this.ms + Math.round(this.cooldowns * (unknownKidCooldownSeconds * 1000 + timeoutMs));
  }
  toString = () => `advance(${this.ms} ms + ${this.cooldowns} cooldowns)`;
}

/** A new plugin instance using this key set warms it. */
class Warm implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(_m: Model, r: Real): Promise<void> {
    r.keySet.warm();
    await settle(r);
    expectNoViolations(r);
  }
  toString = () => 'warm';
}

type KidChoice = { kind: 'newest' | 'published' | 'retired' | 'bogus'; index: number };

class Lookups implements fc.AsyncCommand<Model, Real> {
  constructor(readonly choices: KidChoice[]) {}
  check = () => true;

  async run(_m: Model, r: Real): Promise<void> {
    const { issuer, keySet } = r;
    const cooldownMs = issuer.settings.unknownKidCooldownSeconds * 1000;
    const lookups = this.choices.map((choice) => {
      const kid = this.kid(choice, issuer);
      const now = issuer.now.ms;
      const publishedAt = issuer.published.get(kid);
      const retiredBefore = issuer.retired.get(kid);
      const oneCooldownAndFetch = cooldownMs + issuer.settings.timeoutMs;
      const mustAccept = publishedAt !== undefined && now - publishedAt > oneCooldownAndFetch && issuer.reachableFor(oneCooldownAndFetch);
      const mustRefuse =
        (publishedAt === undefined && retiredBefore === undefined) ||
        (retiredBefore !== undefined && issuer.fetches.slice(retiredBefore).some((f) => f.ok === true));
      const outcome = keySet.getKey({ alg: ALG, kid }).then(
        () => 'accepted',
        (error: Error) => `refused (${error.message})`,
      );
      return { kid, mustAccept, mustRefuse, outcome };
    });
    for (const { kid, mustAccept, mustRefuse, outcome } of lookups) {
      const result = await outcome;
      checked.mustAccept += Number(mustAccept);
      checked.mustRefuse += Number(mustRefuse);
      if (mustAccept) expect(result, `${kid}, published long enough ago, issuer reachable`).to.equal('accepted');
      if (mustRefuse) expect(result, `${kid}, never published or retired and refreshed since`).to.not.equal('accepted');
    }
    await settle(r);
    expectNoViolations(r);
  }

  private kid({ kind, index }: KidChoice, issuer: ScriptedIssuer): string {
    if (kind === 'newest') return issuer.newestKid ?? `bogus-${index}`;
    const pool = kind === 'published' ? [...issuer.published.keys()] : kind === 'retired' ? [...issuer.retired.keys()] : [];
    return pool.length > 0 ? pool[index % pool.length]! : `bogus-${index}`;
  }

  toString = () => `lookups(${this.choices.map((c) => `${c.kind}#${c.index}`).join(', ')})`;
}

const kidChoice: fc.Arbitrary<KidChoice> = fc.record({
  kind: fc.constantFrom('newest', 'published', 'retired', 'bogus'),
  index: fc.nat({ max: 2999 }),
});

const lookups = fc.array(kidChoice, { minLength: 1, maxLength: 5 }).map((choices) => new Lookups(choices));
const advance = fc
  .oneof(
    { weight: 4, arbitrary: fc.tuple(fc.integer({ min: 0, max: 2_000 }), fc.constantFrom(0, 0.5, 1, 1, 2)) },
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 4_000_000 }), fc.constant(0)) },
  )
  .map(([ms, cooldowns]) => new Advance(ms, cooldowns));

const commands = fc.commands(
  [
    fc.constant(new Publish()),
    fc.constant(new Publish()),
    fc.nat({ max: 9 }).map((i) => new Retire(i)),
    fc.tuple(fc.constantFrom<IssuerMode>('up', 'up', 'down', 'garbage'), fc.constantFrom('none', 'none', 'slow', 'too slow') as fc.Arbitrary<'none' | 'slow' | 'too slow'>)
      .map(([mode, delay]) => new SetIssuer(mode, delay)),
    advance,
    advance,
    fc.constant(new Warm()),
    lookups,
    lookups,
    lookups,
  ],
  { maxCommands: 60, size: 'medium' },
);

const keySetSettings: fc.Arbitrary<{ settings: KeySetSettings; maxAgeSeconds: number | undefined }> = fc
  .record({
    unknownKidCooldownSeconds: fc.integer({ min: 1, max: 60 }),
    minTtlSeconds: fc.integer({ min: 0, max: 600 }),
    maxTtlSeconds: fc.integer({ min: 60, max: 3600 }),
    maxStaleSeconds: fc.integer({ min: 0, max: 3600 }),
    timeoutMs: fc.integer({ min: 100, max: 5000 }),
    maxAgeSeconds: fc.option(fc.integer({ min: 0, max: 7200 }), { nil: undefined }),
  })
  .map(({ maxAgeSeconds, minTtlSeconds, maxTtlSeconds, ...rest }) => ({
    maxAgeSeconds,
    settings: {
      issuer: 'https://issuer.example/oauth2/default',
      jwksUri: 'https://issuer.example/oauth2/default/v1/keys',
      connectTimeoutMs: 100,
      maxBodyBytes: 262144,
      proxyUrl: null,
      minTtlSeconds: Math.min(minTtlSeconds, maxTtlSeconds),
      maxTtlSeconds,
      ...rest,
    },
  }));

describe('fuzz: the key set against a scripted issuer (model-based)', function () {
  this.timeout(0);
  const runs = fuzzRuns(0.02);
  const realNow = clock.now;
  let keyPool: JWK[];

  before(async () => {
    keyPool = await Promise.all(
      Array.from({ length: 3 }, async () => exportJWK((await generateKeyPair(ALG, { extractable: true })).publicKey)),
    );
  });
  after(() => {
    clock.now = realNow;
  });

  it(`publish, retire, outages, warm-ups, time and lookups keep the acceptance and fetch rules (${runs} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(keySetSettings, commands, async ({ settings, maxAgeSeconds }, cmds) => {
        const now = { ms: T0 };
        clock.now = () => now.ms;
        const issuer = new ScriptedIssuer(settings, maxAgeSeconds, keyPool, now);
        const keySet = new RemoteKeySet(settings, { warn: () => undefined }, issuer.fetch);
        await fc.asyncModelRun(() => ({ model: { published: 1, retired: 0 }, real: { issuer, keySet } }), cmds);
      }),
      { numRuns: runs, seed: fuzzSeed() },
    );
    for (const [what, count] of Object.entries(checked)) expect(count, `${what} checks`).to.be.greaterThan(runs);
  });
});
