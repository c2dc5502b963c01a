// The MessagePack codec kong-pdk itself uses (its own @msgpack/msgpack copy), so what this package
// writes to and reads from the socket is encoded exactly as kong-pdk's listener does.
import { createRequire } from 'node:module';

export const kongPdkMsgpack = createRequire(require.resolve('kong-pdk/listener'))('@msgpack/msgpack') as {
  encode(value: unknown): Uint8Array;
  decode(data: Uint8Array): unknown;
};
