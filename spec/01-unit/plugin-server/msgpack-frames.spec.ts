import { expect } from 'chai';
import fc from 'fast-check';
import { encode } from '@msgpack/msgpack';
import { FrameSplitter, MsgpackFormatError, objectEnd } from '../../../server/msgpack-frames';
import { msgpackValue } from './msgpack-values';

const value = msgpackValue({ timestamps: true });

/** Encodings the default encoder never produces, written by hand. */
const HAND_MADE: Record<string, number[]> = {
  float32: [0xca, 0x3f, 0x80, 0, 0],
  uint64: [0xcf, 0, 0, 0, 1, 0, 0, 0, 0],
  int64: [0xd3, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0],
  fixext1: [0xd4, 7, 1],
  fixext2: [0xd5, 7, 1, 2],
  fixext16: [0xd8, 7, ...new Array(16).fill(9)],
  ext16: [0xc8, 0, 3, 7, 1, 2, 3],
  ext32: [0xc9, 0, 0, 0, 2, 7, 1, 2],
  bin32: [0xc6, 0, 0, 0, 2, 0xaa, 0xbb],
  str32: [0xdb, 0, 0, 0, 1, 0x61],
  array32: [0xdd, 0, 0, 0, 2, 1, 2],
  map32: [0xdf, 0, 0, 0, 1, 0xa1, 0x6b, 0xc0],
};

function chunksOf(bytes: Uint8Array, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    out.push(Buffer.from(bytes.subarray(from, p)));
    from = p;
  }
  return out;
}

describe('plugin server: MessagePack frame splitting', () => {
  it('finds where every encoded value ends, whatever follows it', () => {
    fc.assert(
      fc.property(value, fc.uint8Array({ maxLength: 8 }), (v, trailer) => {
        const bytes = encode(v);
        const withTrailer = Buffer.concat([bytes, trailer]);
        expect(objectEnd(withTrailer, 0)).to.equal(bytes.length);
      }),
    );
  });

  it('finds the end of the encodings the default encoder never emits', () => {
    for (const [name, bytes] of Object.entries(HAND_MADE)) {
      expect(objectEnd(Uint8Array.from([...bytes, 0xc0]), 0), name).to.equal(bytes.length);
    }
  });

  it('reports every proper prefix of a value as incomplete', () => {
    fc.assert(
      fc.property(value, (v) => {
        const bytes = encode(v);
        for (let n = 0; n < bytes.length; n++) expect(objectEnd(bytes.subarray(0, n), 0)).to.equal(-1);
      }),
      { numRuns: 50 },
    );
  });

  it('returns each message exactly once however the stream is cut into reads', () => {
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 12 }), (values, cuts) => {
        const encoded = values.map((v) => Buffer.from(encode([0, 1, 'plugin.Step', [v]])));
        const splitter = new FrameSplitter();
        const frames = chunksOf(Buffer.concat(encoded), cuts).flatMap((c) => splitter.push(c));
        expect(frames.map((f) => f.toString('hex'))).to.deep.equal(encoded.map((e) => e.toString('hex')));
        expect(splitter.buffered).to.equal(0);
      }),
    );
  });

  it('keeps a message larger than one 64 KiB socket read until its last byte arrives', () => {
    const headers: Record<string, string[]> = {};
    for (let i = 0; i < 3000; i++) headers[`x-h-${i}`] = [`value-${i}-${'v'.repeat(20)}`];
    const bytes = Buffer.from(encode([0, 9, 'plugin.StepMultiMap', [{ EventId: 1, Data: headers }]]));
    expect(bytes.length).to.be.greaterThan(65536);
    const splitter = new FrameSplitter();
    expect(splitter.push(bytes.subarray(0, 65536))).to.deep.equal([]);
    expect(splitter.buffered).to.equal(65536);
    const frames = splitter.push(bytes.subarray(65536));
    expect(frames).to.have.length(1);
    expect(frames[0]!.equals(bytes)).to.equal(true);
  });

  it('rejects a stream holding a byte that is not a MessagePack type', () => {
    expect(() => new FrameSplitter().push(Buffer.from([0x94, 0x00, 0x01, 0xc1]))).to.throw(MsgpackFormatError, /0xc1/);
  });
});
