// Kong's MessagePack encoding of Lua values: like @msgpack/msgpack, except that a JS `Map` is written
// as a msgpack map with its keys as given – Kong sends Lua tables with integer keys (e.g. a sparse
// array stored in kong.ctx.shared) as maps with integer keys (batch2 37: `82 01 a1 78 03 a1 7a`).
import { Encoder } from '@msgpack/msgpack';

interface EncoderInternals {
  writeU8(v: number): void;
  writeU16(v: number): void;
  writeU32(v: number): void;
  doEncode(v: unknown, depth: number): void;
}

class KongEncoder extends Encoder {
  constructor() {
    super();
    const self = this as unknown as EncoderInternals & { encodeMap(o: object, depth: number): void };
    const plain = self.encodeMap.bind(this);
    self.encodeMap = (object: object, depth: number) => {
      if (!(object instanceof Map)) return plain(object, depth);
      const size = object.size;
      if (size < 16) self.writeU8(0x80 + size);
      else if (size < 0x10000) {
        self.writeU8(0xde);
        self.writeU16(size);
      } else {
        self.writeU8(0xdf);
        self.writeU32(size);
      }
      for (const [k, v] of object) {
        self.doEncode(k, depth + 1);
        self.doEncode(v, depth + 1);
      }
    };
  }
}

const encoder = new KongEncoder();

export function encodeKong(value: unknown): Uint8Array {
  return encoder.encode(value);
}
