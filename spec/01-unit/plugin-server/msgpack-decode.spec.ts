import { expect } from 'chai';
import fc from 'fast-check';
import { decode, encode } from '@msgpack/msgpack';
import { decodeMessage } from '../../../server/msgpack-decode';
import { msgpackValue } from './msgpack-values';

/** Header names a client can send through nginx (`underscores_in_headers on`) that name Object.prototype members. */
const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'isPrototypeOf'];

/** Everything Kong's MessagePack encoder writes: no extension types, map keys strings or integers. */
const value = msgpackValue({ timestamps: false, extraKeys: PROTOTYPE_NAMES });

/** A header map as Kong sends it (names as keys, arrays of values), keys given as raw JSON so __proto__ is an own key. */
function headerMapBytes(names: string[]): Uint8Array {
  return encode(JSON.parse(`{${names.map((n, i) => `${JSON.stringify(n)}:["v${i}"]`).join(',')}}`));
}

/** Plain JSON view (null-prototype objects compared as data; byte strings, Buffer or not, as their bytes). */
const asJson = (v: unknown) =>
  JSON.parse(JSON.stringify(v, function (this: Record<string, unknown>, k: string, x: unknown) {
    const original = this[k]; // before toJSON (a Buffer would arrive as {type, data})
    return original instanceof Uint8Array ? { bin: [...original] } : x;
  }));

describe('plugin server: MessagePack decoding into plain data', () => {
  it('decodes every value Kong can send as @msgpack/msgpack does, with prototype-less maps', () => {
    fc.assert(
      fc.property(value, (v) => {
        const bytes = encode(v);
        const { value: got, problem } = decodeMessage(bytes);
        expect(problem).to.equal(undefined);
        expect(asJson(got)).to.deep.equal(asJson(v));
        const stack: unknown[] = [got];
        while (stack.length) {
          const x = stack.pop();
          if (x === null || typeof x !== 'object' || x instanceof Uint8Array) continue;
          if (!Array.isArray(x)) expect(Object.getPrototypeOf(x)).to.equal(null);
          stack.push(...Object.values(x));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps header names that name Object.prototype members as ordinary own entries, without touching any prototype', () => {
    const { value: map, problem } = decodeMessage(headerMapBytes([...PROTOTYPE_NAMES, 'x_user_sub', 'x-user-sub', '_', '__']));
    expect(problem).to.equal(undefined);
    const headers = map as Record<string, string[]>;
    expect(Object.getPrototypeOf(headers)).to.equal(null);
    expect(Object.keys(headers)).to.deep.equal([...PROTOTYPE_NAMES, 'x_user_sub', 'x-user-sub', '_', '__']);
    expect(headers['__proto__']).to.deep.equal(['v0']);
    expect(headers['toString']).to.deep.equal(['v3']);
    expect(Object.hasOwn(headers, 'x-other')).to.equal(false);
    expect(({} as Record<string, unknown>).v0).to.equal(undefined);
    expect(typeof Object.prototype.toString).to.equal('function');
  });

  it('decodes 1,000 headers and 8 KB header names', () => {
    const many = Array.from({ length: 1000 }, (_, i) => `x-h-${i}`);
    expect(Object.keys(decodeMessage(headerMapBytes(many)).value as object)).to.have.length(1000);
    const long = ['a'.repeat(8192), `_${'b'.repeat(8190)}_`, '__proto__'];
    expect(Object.keys(decodeMessage(headerMapBytes(long)).value as object)).to.deep.equal(long);
  });

  it('reads the encodings the default encoder never writes (float32, 64-bit integers, 32-bit lengths)', () => {
    const cases: Array<[number[], unknown]> = [
      [[0xca, 0x3f, 0x80, 0, 0], 1],
      [[0xcf, 0, 0, 0, 1, 0, 0, 0, 0], 2 ** 32],
      [[0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe], -2],
      [[0xd3, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0], -(2 ** 32)],
      [[0xd0, 0x80], -128],
      [[0xc6, 0, 0, 0, 2, 0xaa, 0xbb], { bin: [0xaa, 0xbb] }],
      [[0xdb, 0, 0, 0, 1, 0x61], 'a'],
      [[0xdd, 0, 0, 0, 2, 1, 2], [1, 2]],
      [[0xdf, 0, 0, 0, 1, 0xa1, 0x6b, 0xc0], { k: null }],
      [[0x81, 0x07, 0xa1, 0x78], { 7: 'x' }], // Kong writes Lua integer keys as integers
    ];
    for (const [bytes, expected] of cases) {
      const got = decodeMessage(Uint8Array.from(bytes));
      expect(got.problem).to.equal(undefined);
      expect(asJson(got.value), bytes.join(',')).to.deep.equal(expected);
      expect(asJson(got.value)).to.deep.equal(asJson(decode(Uint8Array.from(bytes))));
    }
    // Byte strings arrive as a Buffer, as kong-pdk's own decoder hands them to plugins (kong.request.get_raw_body).
    expect(decodeMessage(Uint8Array.from([0xc4, 1, 7])).value).to.be.instanceOf(Buffer);
  });

  it('leaves out what plain data cannot hold (a map key that is no string or number, an extension) and says so', () => {
    // {true: 1, "k": [fixext1, "x"], "EventId": 4}
    const bytes = Uint8Array.from([0x83, 0xc3, 0x01, 0xa1, 0x6b, 0x92, 0xd4, 0x07, 0x01, 0xa1, 0x78, 0xa7, ...Buffer.from('EventId'), 0x04]);
    const { value: got, problem } = decodeMessage(bytes);
    expect(problem).to.equal('cannot decode a map key of type boolean');
    expect(asJson(got)).to.deep.equal({ k: [null, 'x'], EventId: 4 });
    expect(decodeMessage(Uint8Array.from([0x91, 0xd4, 0x07, 0x01])).problem).to.equal('cannot decode extension type 7');
    expect(decodeMessage(Uint8Array.from([0x81, 0x90, 0x01])).problem).to.equal('cannot decode a map key of type object');
  });
});
