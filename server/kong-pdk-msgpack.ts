// The MessagePack encoder kong-pdk itself uses (its own @msgpack/msgpack), so replies to Kong and
// `--dump-plugin-info` are byte for byte what the stock kong-js-pluginserver writes.
import { createRequire } from 'node:module';

const kongPdkMsgpack = createRequire(require.resolve('kong-pdk/listener'))('@msgpack/msgpack') as {
  Encoder: new () => { encode(value: unknown): Uint8Array };
};

const encoder = new kongPdkMsgpack.Encoder();

export function encodeForKong(value: unknown): Uint8Array {
  return encoder.encode(value);
}
