// Values for the MessagePack property tests: everything @msgpack/msgpack encodes, optionally with
// the timestamp extension (Kong never sends one) and extra map keys.
import fc from 'fast-check';

export function msgpackValue(options: { timestamps: boolean; extraKeys?: string[] }): fc.Arbitrary<unknown> {
  const key = options.extraKeys ? fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom(...options.extraKeys)) : fc.string({ maxLength: 10 });
  return fc.letrec((tie) => ({
    any: fc.oneof(
      { depthSize: 'small' },
      fc.constant(null),
      fc.boolean(),
      fc.integer(),
      fc.maxSafeInteger(),
      fc.double({ noNaN: true }),
      fc.string({ unit: 'grapheme', maxLength: 300 }),
      fc.uint8Array({ maxLength: 300 }),
      ...(options.timestamps ? [fc.date({ noInvalidDate: true })] : []), // ext type -1 (timestamp)
      fc.array(tie('any'), { maxLength: 20 }),
      fc.dictionary(key, tie('any'), { maxKeys: 20 }),
    ),
  })).any;
}
