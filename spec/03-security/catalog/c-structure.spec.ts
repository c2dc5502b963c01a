// Catalogue group C: structure and encoding of the compact JWS (cases 19–31).
import { expect } from 'chai';
import { securitySuite } from '../support/security-gateway';
import { b64url } from '../support/raw-issuer';
import { join, parts } from '../support/tokens';
import { startCore } from '../support/core';
import type { Deny } from '../../../plugin/vocabulary/decision';

describe('security catalogue C: structure and encoding of the compact JWS', function () {
  const { test } = securitySuite();

  test('#19 wrong segment count (h.p, h.p.s.x, h.p.s.) → 401 invalid_token', async (sec) => {
    const { header: h, payload: p, signature: s } = parts(await sec.valid());
    for (const token of [`${h}.${p}`, `${h}.${p}.${s}.${s}`, `${h}.${p}.${s}.`, h]) await sec.bearerRefused('401i', token);
  });

  test('#20 JWE shape (5 segments) → 401 invalid_token, nothing decrypted', async (sec) => {
    const header = b64url(JSON.stringify({ alg: 'RSA-OAEP', enc: 'A256GCM', kid: 'k' }));
    const { payload: p, signature: s } = parts(await sec.valid());
    await sec.bearerRefused('401i', `${header}.${s}.${b64url('iv-iv-iv-iv')}.${p}.${b64url('tag-tag-tag-tag')}`);
  });

  test('#21 JSON serialization and a compact token with JSON glued to it → 401 invalid_token', async (sec) => {
    const token = await sec.valid();
    const { header, payload, signature } = parts(token);
    await sec.bearerRefused('401i', JSON.stringify({ payload, protected: header, signature }));
    await sec.bearerRefused('401i', JSON.stringify({ payload, signatures: [{ protected: header, signature }] }));
    await sec.bearerRefused('401i', `${token}${JSON.stringify({ protected: header, payload, signature })}`);
  });

  test('#22 empty segments (.., h..s, .p.s, h.p.) → 401 invalid_token', async (sec) => {
    const { header: h, payload: p, signature: s } = parts(await sec.valid());
    for (const token of ['..', `${h}..${s}`, `.${p}.${s}`, `${h}.${p}.`]) await sec.bearerRefused('401i', token);
  });

  test('#23 alphabet violations (+, /, = padding, %2E) → 401 invalid_token; a space inside → 400 invalid_request', async (sec) => {
    const token = await sec.valid();
    const { header: h, payload: p, signature: s } = parts(token);
    const standard = (seg: string) => Buffer.from(seg, 'base64url').toString('base64');
    for (const bad of [`${standard(h)}.${p}.${s}`, `${h}.${standard(p)}.${s}`, `${h}.${p}.${standard(s)}`, `${h}=.${p}.${s}`, `${h}%2E${p}%2E${s}`, `${h}.${p}+.${s}`, `${h}.${p}/.${s}`]) {
      await sec.bearerRefused('401i', bad);
    }
    await sec.bearerRefused('400r', `${h}.${p.slice(0, 10)} ${p.slice(10)}.${s}`);
  });

  test('#24 signature malleability (== appended, space or tab inserted, non-canonical last character) → refused, never a second spelling of a valid token', async (sec) => {
    const token = await sec.valid();
    const p = parts(token);
    // A 256-byte RSA signature is 342 characters (length % 4 == 2): its last character has 4 unused low bits.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(p.signature.at(-1)!);
    const nonCanonical = p.signature.slice(0, -1) + alphabet[last | 1];
    await sec.bearerRefused('401i', join({ ...p, signature: `${p.signature}==` }));
    await sec.bearerRefused('401i', join({ ...p, signature: nonCanonical }));
    await sec.bearerRefused('400r', join({ ...p, signature: `${p.signature.slice(0, 100)} ${p.signature.slice(100)}` }));
    await sec.bearerRefused('400r', join({ ...p, signature: `${p.signature.slice(0, 100)}\t${p.signature.slice(100)}` }));
    await sec.accepts([['Authorization', `Bearer ${token}`]]);
  });

  test('#25 header not a JSON object ([], null, 1, "x", truncated JSON) → 401 invalid_token', async (sec) => {
    const { payload: p, signature: s } = parts(await sec.valid());
    for (const header of ['[]', 'null', '1', '"x"', '{"alg":"RS256"', '{"alg":"RS256",}']) await sec.bearerRefused('401i', `${b64url(header)}.${p}.${s}`);
  });

  test('#26 payload not a JSON object (array, string, number), validly signed → 401 invalid_token', async (sec) => {
    const header = JSON.stringify({ alg: 'RS256', kid: sec.raw.key.kid });
    for (const payload of ['[]', '"x"', '1', 'null', `[${JSON.stringify(sec.raw.claims())}]`]) {
      await sec.bearerRefused('401i', sec.raw.signText(header, payload));
    }
  });

  test('#27 invalid UTF-8 (0xFF/0xFE, CESU surrogate, overlong) in a validly signed header or payload → 401 invalid_token; a leading BOM is harmless', async (sec) => {
    const header = JSON.stringify({ alg: 'RS256', kid: sec.raw.key.kid });
    const claims = JSON.stringify(sec.raw.claims());
    const withBytes = (json: string, bytes: number[]) => Buffer.concat([Buffer.from(json.slice(0, -1) + ',"x":"'), Buffer.from(bytes), Buffer.from('"}')]);
    for (const bytes of [[0xff, 0xfe], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xe2, 0x82]]) {
      await sec.bearerRefused('401i', sec.raw.signText(header, withBytes(claims, bytes)));
      await sec.bearerRefused('401i', sec.raw.signText(withBytes(header, bytes), claims));
    }
    await sec.accepts([['Authorization', `Bearer ${sec.raw.signText(header, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(claims)]))}`]]);
  });

  test('#28 duplicate member names: last wins in the header and the payload; with hide_credentials the upstream sees only the identity the plugin used', async (sec) => {
    const kid = sec.raw.key.kid;
    const claims = sec.raw.claims({ sub: 'u' });
    const payload = `{"sub":"admin",${JSON.stringify(claims).slice(1)}`; // "sub" twice: "admin" first, "u" last
    const token = sec.raw.signText(`{"alg":"none","kid":"${kid}","alg":"RS256"}`, payload);
    await sec.bearerRefused('401i', sec.raw.signText(`{"alg":"RS256","kid":"${kid}","alg":"none"}`, payload));
    await sec.configure({ plugin: { hide_credentials: true } });
    try {
      const echoed = await sec.accepts([['Authorization', `Bearer ${token}`]]);
      expect(echoed.headers['x-user-sub']).to.equal('u');
      expect(echoed.headers).to.not.have.property('authorization');
    } finally {
      await sec.configure();
    }
  });

  test('#29 deep nesting and very long strings → 401 invalid_token (the size cap, then the signature)', async (sec) => {
    const { payload: p, signature: s } = parts(await sec.valid());
    const deep = (depth: number) => b64url(`{"alg":"RS256","x":${'['.repeat(depth)}${']'.repeat(depth)}}`);
    await sec.bearerRefused('401i', `${deep(2000)}.${p}.${s}`); // under the 8 KiB cap: parsed, then the signature fails
    await sec.oversizedRefused(`${deep(100000)}.${p}.${s}`); // over the cap: refused before parsing
    await sec.bearerRefused('401i', `${parts(await sec.valid({ name: 'x'.repeat(5000) })).header}.${b64url(JSON.stringify({ sub: 'y'.repeat(5500) }))}.${s}`);
  });

  // JSON.stringify throws RangeError at a few thousand levels; the mapping refuses such a value.
  // Unit level: the HTTP front cannot carry such a token in one 8 KiB header line.
  it('#29 a validly signed token whose mapped claim nests 6,000 levels → 401 claim_unsafe, no exception (unit level)', async () => {
    const core = await startCore({ max_token_bytes: 65536 });
    const claims = JSON.stringify(core.validClaims()).slice(0, -1) + `,"groups":${'['.repeat(6000)}${']'.repeat(6000)}}`;
    const token = await core.signText(JSON.stringify({ alg: 'RS256', kid: core.signer.kid }), claims);
    const decision = await core.bearer(token);
    expect(decision.kind).to.equal('deny');
    expect((decision as Deny).reason).to.equal('claim_unsafe');
  });

  test('#30 huge signature (up to and past the cap) → 401 invalid_token', async (sec) => {
    const p = parts(await sec.valid());
    await sec.bearerRefused('401i', join({ ...p, signature: 'A'.repeat(7000) }));
    await sec.oversizedRefused(join({ ...p, signature: 'A'.repeat(22000) }));
  });

  test('#31 nested JWT (cty: JWT, the payload another compact JWT), validly signed → 401 invalid_token, never unwrapped', async (sec) => {
    const inner = await sec.valid();
    const header = JSON.stringify({ alg: 'RS256', kid: sec.raw.key.kid, cty: 'JWT' });
    await sec.bearerRefused('401i', sec.raw.signText(header, inner));
    await sec.bearerRefused('401i', sec.raw.signText(header, JSON.stringify(inner)));
  });
});
