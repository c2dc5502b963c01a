// Decodes one complete MessagePack message (cut out by FrameSplitter) into plain data. Every map
// becomes an object without a prototype, so any key Kong sends (a client's header named __proto__,
// constructor, toString…) is an ordinary own property: nothing is refused, nothing reaches a
// prototype. kong-pdk's decoder throws on __proto__, and its server then drops the request (Kong
// proxies it). A value that still cannot be represented (a map key that is neither a string nor a
// number, an extension type: Kong sends neither) does not throw: it is left out and reported in
// `problem`, so the caller still knows which RPC, and which event, it has to answer.

export interface Decoded {
  value: unknown;
  /** The first part that could not be decoded (and was left out), if any. */
  problem?: string;
}

/** `frame` must hold exactly one complete message (objectEnd found its end). */
export function decodeMessage(frame: Uint8Array): Decoded {
  const reader = new Reader(Buffer.isBuffer(frame) ? frame : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength));
  const value = reader.read();
  return reader.problem === undefined ? { value } : { value, problem: reader.problem };
}

/** Stands for a value that was left out. */
const SKIPPED = Symbol('skipped');

class Reader {
  private pos = 0;
  problem?: string;

  constructor(private readonly buf: Buffer) {}

  read(): unknown {
    const b = this.buf[this.pos++]!;
    if (b <= 0x7f) return b;
    if (b >= 0xe0) return b - 0x100;
    if (b <= 0x8f) return this.map(b & 0x0f);
    if (b <= 0x9f) return this.array(b & 0x0f);
    if (b <= 0xbf) return this.str(b & 0x1f);
    switch (b) {
      case 0xc0: return null;
      case 0xc2: return false;
      case 0xc3: return true;
      case 0xc4: return this.bin(this.uint(1));
      case 0xc5: return this.bin(this.uint(2));
      case 0xc6: return this.bin(this.uint(4));
      case 0xc7: return this.ext(this.uint(1));
      case 0xc8: return this.ext(this.uint(2));
      case 0xc9: return this.ext(this.uint(4));
      case 0xca: return this.fixed(4, (at) => this.buf.readFloatBE(at));
      case 0xcb: return this.fixed(8, (at) => this.buf.readDoubleBE(at));
      case 0xcc: return this.uint(1);
      case 0xcd: return this.uint(2);
      case 0xce: return this.uint(4);
      case 0xcf: return this.uint(8); // as kong-pdk's decoder: a Number, exact up to 2^53
      case 0xd0: return this.fixed(1, (at) => this.buf.readInt8(at));
      case 0xd1: return this.fixed(2, (at) => this.buf.readInt16BE(at));
      case 0xd2: return this.fixed(4, (at) => this.buf.readInt32BE(at));
      case 0xd3: return this.fixed(8, (at) => this.buf.readInt32BE(at) * 2 ** 32 + this.buf.readUInt32BE(at + 4));
      case 0xd4: return this.ext(1);
      case 0xd5: return this.ext(2);
      case 0xd6: return this.ext(4);
      case 0xd7: return this.ext(8);
      case 0xd8: return this.ext(16);
      case 0xd9: return this.str(this.uint(1));
      case 0xda: return this.str(this.uint(2));
      case 0xdb: return this.str(this.uint(4));
      case 0xdc: return this.array(this.uint(2));
      case 0xdd: return this.array(this.uint(4));
      case 0xde: return this.map(this.uint(2));
      case 0xdf: return this.map(this.uint(4));
      default: throw new Error(`invalid MessagePack type byte 0x${b.toString(16)}`); // objectEnd refused it already
    }
  }

  private fixed<T>(bytes: number, get: (at: number) => T): T {
    const v = get(this.pos);
    this.pos += bytes;
    return v;
  }

  private uint(bytes: number): number {
    let v = 0;
    for (let i = 0; i < bytes; i++) v = v * 256 + this.buf[this.pos++]!;
    return v;
  }

  private str(length: number): string {
    const at = this.pos;
    this.pos += length;
    return this.buf.toString('utf8', at, this.pos);
  }

  /** A Buffer, as kong-pdk's decoder hands over (a copy: it must not pin the socket's read buffer). */
  private bin(length: number): Buffer {
    return this.fixed(length, (at) => Buffer.from(this.buf.subarray(at, at + length)));
  }

  private ext(length: number): typeof SKIPPED {
    const type = this.buf.readInt8(this.pos);
    this.pos += 1 + length;
    return this.leaveOut(`extension type ${type}`);
  }

  private array(count: number): unknown[] {
    const out: unknown[] = [];
    for (let i = 0; i < count; i++) {
      const v = this.read();
      out.push(v === SKIPPED ? undefined : v);
    }
    return out;
  }

  private map(count: number): Record<string, unknown> {
    // Dictionary mode (V8 keeps prototype-less objects so): slower to walk than an object with a
    // shape, but a map with a frozen empty prototype costs a new shape for every new set of header
    // names, which a client chooses: random names made a 60-header map twice as slow to decode.
    const out: Record<string, unknown> = Object.create(null);
    for (let i = 0; i < count; i++) {
      const key = this.read();
      const v = this.read();
      if (typeof key !== 'string' && typeof key !== 'number') {
        if (key !== SKIPPED) this.leaveOut(`a map key of type ${key === null ? 'nil' : typeof key}`);
        continue;
      }
      if (v !== SKIPPED) out[key] = v;
    }
    return out;
  }

  private leaveOut(what: string): typeof SKIPPED {
    this.problem ??= `cannot decode ${what}`;
    return SKIPPED;
  }
}
