// The MessagePack codec kong-pdk itself uses (its own @msgpack/msgpack copy), so what this package
// writes to the socket is encoded exactly as kong-pdk's listener does. Calls from Kong are decoded by
// msgpack-decode.ts instead (kong-pdk's decoder refuses a header named __proto__).
import { createRequire } from 'node:module';

export const kongPdkMsgpack = createRequire(require.resolve('kong-pdk/listener'))('@msgpack/msgpack') as {
  encode(value: unknown): Uint8Array;
  decode(data: Uint8Array): unknown;
  /** Reusable: encode() returns a copy of its buffer. The module's encode() builds a new one (and a 2 KiB buffer) per call. */
  Encoder: new () => { encode(value: unknown): Uint8Array };
};
