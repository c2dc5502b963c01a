// Differential test of the signature fast path (issue 16): verifyAccessToken with jose's own
// jwtVerify (WebCrypto) and with fastJwtVerify (node:crypto.verify) must give the same verdict —
// the same reason code, or the same thrown error — on every token: the security catalogue's token
// classes (structure, algorithms, keys, claims) for every supported algorithm, and the fuzz
// suite's generators (mutations of valid tokens, hostile claim values and header members).
// A correctness test: nothing here is timed.
import { generateKeyPairSync, sign as nodeSign, webcrypto, type KeyObject } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { jwtVerify, type JWK } from 'jose';
import { normaliseConfig } from '../../../plugin/config/normalise';
import { SUPPORTED_ALGORITHMS } from '../../../plugin/config/schema';
import { fastJwtVerify, type JwtCheck } from '../../../plugin/verify/fast-jwt-verify';
import { verifyAccessToken, type KeySets } from '../../../plugin/verify/verify-token';
import { newSigner, oktaClaims, staticKeySet, TEST_AUDIENCE, TEST_ISSUER, type TestSigner } from '../../support/test-keys';
import { fuzzRuns, fuzzSeed, hostileJson, HOSTILE_KEYS, mutate, mutation, toJson } from '../fuzz/fuzz-support';
import { b64url } from '../support/raw-issuer';

const SUBTLE_PARAMS: Record<string, (alg: string) => webcrypto.AlgorithmIdentifier | webcrypto.RsaPssParams | webcrypto.EcdsaParams> = {
  RS: () => 'RSASSA-PKCS1-v1_5',
  PS: (alg) => ({ name: 'RSA-PSS', saltLength: Number(alg.slice(2)) >> 3 }),
  ES: (alg) => ({ name: 'ECDSA', hash: `SHA-${alg.slice(2)}` }),
  Ed: () => 'Ed25519',
};

/** Signs exactly this header and payload text with the signer's key (WebCrypto: independent of both paths). */
async function signText(signer: TestSigner, headerJson: string | Uint8Array, payloadJson: string | Uint8Array, params = SUBTLE_PARAMS[signer.alg.slice(0, 2)](signer.alg)): Promise<string> {
  const input = `${b64url(headerJson)}.${b64url(payloadJson)}`;
  const signature = await webcrypto.subtle.sign(params, signer.privateKey as webcrypto.CryptoKey, Buffer.from(input));
  return `${input}.${b64url(new Uint8Array(signature))}`;
}

type Verdict = string;

async function verdict(token: string, check: JwtCheck, keySets: KeySets, config: ReturnType<typeof normaliseConfig>): Promise<Verdict> {
  try {
    const v = await verifyAccessToken(token, config, keySets, false, check);
    return v.ok ? `accept ${JSON.stringify(v.claims)}` : `refuse ${v.reason}`;
  } catch (err) {
    return `throw ${(err as Error).name}: ${(err as Error).message}`;
  }
}

/** An RSA key under 2048 bits (jose refuses it at verification time), signed with node:crypto. */
function weakRsa(): { jwk: JWK; privateKey: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  return { privateKey, jwk: { ...(publicKey.export({ format: 'jwk' }) as JWK), kid: 'weak', alg: 'RS256' } };
}

function derFromP1363(signature: Buffer): Buffer {
  const half = signature.length / 2;
  const int = (b: Buffer) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    const v = b.subarray(i);
    return Buffer.concat([Buffer.from([0x02, v.length + (v[0]! & 0x80 ? 1 : 0)]), v[0]! & 0x80 ? Buffer.from([0]) : Buffer.alloc(0), v]);
  };
  const body = Buffer.concat([int(signature.subarray(0, half)), int(signature.subarray(half))]);
  return Buffer.concat([Buffer.from(body.length < 128 ? [0x30, body.length] : [0x30, 0x81, body.length]), body]);
}

describe('differential: jose-only and the node:crypto signature path give the same verdict', function () {
  this.timeout(0);
  const algs = SUPPORTED_ALGORITHMS.filter((a) => a !== 'EdDSA');
  let signers: TestSigner[];
  let weak: ReturnType<typeof weakRsa>;
  let config: ReturnType<typeof normaliseConfig>;
  /** Keys published with their alg, and the same keys without one (jose imports them for the header's alg). */
  let withAlg: KeySets;
  let withoutAlg: KeySets;
  let outcomes: { accepted: number; refused: number };

  async function compare(token: string): Promise<void> {
    for (const keySets of [withAlg, withoutAlg]) {
      const viaJose = await verdict(token, jwtVerify as JwtCheck, keySets, config);
      const viaNode = await verdict(token, fastJwtVerify, keySets, config);
      expect(viaNode, `token ${token.slice(0, 60)}…`).to.equal(viaJose);
      if (viaJose.startsWith('accept')) outcomes.accepted++;
      else outcomes.refused++;
    }
  }

  before(async () => {
    signers = await Promise.all([...algs, 'EdDSA'].map((alg) => newSigner(alg)));
    weak = weakRsa();
    config = normaliseConfig({ issuer: TEST_ISSUER, audiences: [TEST_AUDIENCE], allowed_algorithms: [...SUPPORTED_ALGORITHMS], token_cache: { max_entries: 0 } });
    const jwks = [...signers.map((s) => s.publicJwk), weak.jwk];
    withAlg = new Map([[TEST_ISSUER, staticKeySet(jwks)]]);
    withoutAlg = new Map([[TEST_ISSUER, staticKeySet(jwks.map(({ alg: _alg, ...rest }) => rest))]]);
  });

  beforeEach(() => {
    outcomes = { accepted: 0, refused: 0 };
  });

  const headerOf = (s: TestSigner, extra: Record<string, unknown> = {}) => JSON.stringify({ alg: s.alg, kid: s.kid, ...extra });

  it('the catalogue token classes, for every supported algorithm', async () => {
    for (const s of signers) {
      const claims = JSON.stringify(oktaClaims());
      const valid = await signText(s, headerOf(s), claims);
      const [h, p, sig] = valid.split('.') as [string, string, string];
      const sigBytes = Buffer.from(sig, 'base64url');
      const flipped = (at: number) => b64url(Buffer.from(sigBytes.map((b, i) => (i === at ? b ^ 1 : b))));
      const corpus = [
        valid,
        `${h}.${p}.${flipped(0)}`,
        `${h}.${p}.${flipped(sigBytes.length - 1)}`,
        `${h}.${p}.${b64url(sigBytes.subarray(1))}`,
        `${h}.${p}.${b64url(Buffer.concat([sigBytes, Buffer.from([0])]))}`,
        `${h}.${p}.${b64url(Buffer.concat([Buffer.from([0]), sigBytes]))}`,
        `${h}.${p}.AA`,
        `${h}.${p}.${sig}=`,
        `${h}.${b64url(JSON.stringify(oktaClaims({ sub: 'mallory' })))}.${sig}`,
        `${b64url(headerOf(s, { typ: 'at+jwt' }))}.${p}.${sig}`,
      ];
      // RSA-PSS with another salt length: RFC 7518 requires the hash length (a verifier that auto-detects accepts these).
      if (s.alg.startsWith('PS')) for (const saltLength of [0, 20, 48, 64]) corpus.push(await signText(s, headerOf(s), claims, { name: 'RSA-PSS', saltLength }));
      if (s.alg.startsWith('ES')) corpus.push(`${h}.${p}.${b64url(derFromP1363(sigBytes))}`);
      // Another algorithm named in the header over the same key (with an alg-less JWK jose imports it for that alg).
      for (const other of algs) corpus.push(await signText(s, headerOf(s, { alg: other }), claims).catch(() => `${b64url(headerOf(s, { alg: other }))}.${p}.${sig}`));
      const headers: Array<Record<string, unknown>> = [
        { alg: 'none' }, { alg: 'HS256' }, { alg: undefined }, { alg: 7 }, { alg: s.alg.toLowerCase() }, { alg: '' },
        { kid: undefined }, { kid: 7 }, { kid: 'unknown' }, { kid: '' },
        { typ: 'JWT' }, { typ: 'at+jwt' }, { typ: 'application/at+jwt' }, { typ: 'id_token+jwt' }, { typ: 1 }, { typ: null },
        { crit: ['b64'], b64: true }, { crit: ['b64'], b64: false }, { crit: ['b64'] }, { crit: ['exp'], exp: 1 }, { crit: [] }, { crit: 'b64' }, { b64: false },
        { jwk: s.publicJwk }, { jku: 'https://evil.example/keys' }, { x5u: 'https://evil.example/x5' }, { x5c: ['AAAA'] }, { cty: 'JWT' }, { zip: 'DEF' },
      ];
      for (const extra of headers) corpus.push(await signText(s, headerOf(s, extra), claims));
      const now = Math.floor(Date.now() / 1000);
      const claimSets: Array<Record<string, unknown>> = [
        { exp: undefined }, { exp: String(now + 600) }, { exp: now - 3600 }, { exp: now + 10 * 86400 }, { exp: 1e400 }, { exp: now - 20 },
        { nbf: now + 3600 }, { nbf: now - 10 }, { nbf: 'soon' }, { iat: now + 3600 }, { iat: undefined }, { iat: now - 3 * 86400 }, { iat: now + 20 },
        { iss: 'https://evil.example/oauth2/default' }, { iss: [TEST_ISSUER] }, { iss: undefined },
        { aud: 'api://other' }, { aud: [TEST_AUDIENCE, 'x'] }, { aud: 7 }, { aud: undefined }, { aud: [] },
        { cnf: { jkt: 'x' } }, { nonce: 'n' }, { at_hash: 'h' }, { jti: 'ID.x' }, { sub: 7 }, { scp: 'orders:read' },
        { exp: null }, { iat: null }, { nbf: null }, { iat: String(now) }, { nbf: 1e400 }, { iat: -1e400 }, { iat: 1e400 }, { exp: -1e400 },
        { iss: null }, { iss: `${TEST_ISSUER}/` }, { aud: null }, { aud: [7, TEST_AUDIENCE] }, { aud: [[TEST_AUDIENCE]] }, { aud: { 0: TEST_AUDIENCE } }, { aud: `${TEST_AUDIENCE} x` },
      ];
      for (const overrides of claimSets) corpus.push(await signText(s, headerOf(s), JSON.stringify(oktaClaims(overrides))));
      // Byte-level encodings as well: a UTF-8 byte order mark (jose's decoder drops one), invalid UTF-8.
      const bom = (json: string) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json)]);
      const invalidUtf8 = (json: string) => Buffer.concat([Buffer.from(json.slice(0, -1)), Buffer.from([0xff, 0x7d])]);
      for (const payload of ['not json', '[1,2]', 'null', '"text"', '{"exp":1,"exp":9999999999}', `{"__proto__":{"scp":["orders:read"]},${claims.slice(1)}`, '\u00ff{}', bom(claims), bom(`\ufeff${claims}`), invalidUtf8(claims)]) {
        corpus.push(await signText(s, headerOf(s), payload));
      }
      for (const header of ['not json', '[]', `{"alg":"none","alg":"${s.alg}","kid":"${s.kid}"}`, `{"__proto__":{"alg":"none"},"alg":"${s.alg}","kid":"${s.kid}"}`, bom(headerOf(s)), invalidUtf8(headerOf(s))]) {
        corpus.push(await signText(s, header, claims));
      }
      for (const token of corpus) await compare(token);
    }
    // A key under 2048 bits: jose refuses it (an error, not a verdict); the fast path must leave it to jose.
    const weakInput = `${b64url(JSON.stringify({ alg: 'RS256', kid: 'weak' }))}.${b64url(JSON.stringify(oktaClaims()))}`;
    await compare(`${weakInput}.${b64url(nodeSign('sha256', Buffer.from(weakInput), weak.privateKey))}`);
    expect(outcomes.accepted, 'tokens accepted').to.be.greaterThan(20);
    expect(outcomes.refused, 'tokens refused').to.be.greaterThan(1000);
  });

  it(`fuzz: mutated tokens of every algorithm (${fuzzRuns(0.1)} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(signers.length - 1), fc.array(mutation, { minLength: 0, maxLength: 3 }), async (i, mutations) => {
        const s = signers[i]!;
        await compare(mutate(await signText(s, headerOf(s), JSON.stringify(oktaClaims())), mutations));
      }),
      { numRuns: fuzzRuns(0.1), seed: fuzzSeed() },
    );
    expect(outcomes.accepted).to.be.greaterThan(0);
    expect(outcomes.refused).to.be.greaterThan(0);
  });

  it(`fuzz: hostile claim values and header members in validly signed tokens (${fuzzRuns(0.1)} runs)`, async () => {
    const key = fc.oneof(fc.constantFrom(...HOSTILE_KEYS, 'exp', 'iat', 'nbf', 'iss', 'aud', 'cnf', 'alg', 'kid', 'typ', 'crit', 'b64'), fc.string({ maxLength: 6 }));
    await fc.assert(
      fc.asyncProperty(fc.nat(signers.length - 1), fc.boolean(), key, hostileJson, async (i, inHeader, name, value) => {
        const s = signers[i]!;
        const claims = JSON.stringify(oktaClaims());
        const header = headerOf(s);
        const extend = (json: string) => `{${JSON.stringify(name)}:${toJson(value)},${json.slice(1)}`;
        await compare(await signText(s, inHeader ? extend(header) : header, inHeader ? claims : extend(claims)));
      }),
      { numRuns: fuzzRuns(0.1), seed: fuzzSeed() },
    );
    expect(outcomes.refused).to.be.greaterThan(0);
  });

  it('the fast path checks RS, PS and ES signatures without WebCrypto (so this test compares two different paths)', async () => {
    const subtle = webcrypto.subtle as { verify: (...args: unknown[]) => Promise<boolean> };
    const original = subtle.verify;
    let calls = 0;
    subtle.verify = function (this: unknown, ...args: unknown[]) {
      calls++;
      return original.apply(this, args);
    };
    try {
      for (const s of signers.filter((x) => x.alg !== 'EdDSA')) {
        const token = await signText(s, headerOf(s), JSON.stringify(oktaClaims()));
        expect(await verdict(token, fastJwtVerify, withAlg, config)).to.match(/^accept/);
      }
      expect(calls, 'WebCrypto verifications on the fast path').to.equal(0);
      const s = signers[0]!;
      expect(await verdict(await signText(s, headerOf(s), JSON.stringify(oktaClaims())), jwtVerify as JwtCheck, withAlg, config)).to.match(/^accept/);
      expect(calls, 'WebCrypto verifications by jose').to.equal(1);
    } finally {
      subtle.verify = original;
    }
  });
});
