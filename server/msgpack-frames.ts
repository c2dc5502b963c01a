// Cuts a MessagePack byte stream into whole messages. kong-pdk's listener decodes every socket read
// on its own and only waits for more bytes when the decoder happens to say "Insufficient data": a
// message split at any other byte, or two messages in one read, throw and kill the process. Finding
// message boundaries first lets the stock handler always decode exactly one complete message.

export class MsgpackFormatError extends Error {}

/** Offset just after the msgpack object starting at `at`, or -1 when `buf` ends inside it. */
export function objectEnd(buf: Uint8Array, at: number): number {
  if (at >= buf.length) return -1;
  const b = buf[at]!;
  if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) return at + 1; // fixint, nil, bool
  if (b <= 0x8f) return elementsEnd(buf, at + 1, (b & 0x0f) * 2); // fixmap
  if (b <= 0x9f) return elementsEnd(buf, at + 1, b & 0x0f); // fixarray
  if (b <= 0xbf) return within(buf, at + 1 + (b & 0x1f)); // fixstr
  switch (b) {
    case 0xc4: case 0xd9: return sized(buf, at, 1, 0); // bin8, str8
    case 0xc5: case 0xda: return sized(buf, at, 2, 0); // bin16, str16
    case 0xc6: case 0xdb: return sized(buf, at, 4, 0); // bin32, str32
    case 0xc7: return sized(buf, at, 1, 1); // ext8 (length, type, data)
    case 0xc8: return sized(buf, at, 2, 1);
    case 0xc9: return sized(buf, at, 4, 1);
    case 0xcc: case 0xd0: return within(buf, at + 2); // uint8, int8
    case 0xcd: case 0xd1: case 0xd4: return within(buf, at + 3); // 16-bit ints, fixext1
    case 0xd5: return within(buf, at + 4); // fixext2
    case 0xca: case 0xce: case 0xd2: return within(buf, at + 5); // float32, 32-bit ints
    case 0xd6: return within(buf, at + 6); // fixext4
    case 0xcb: case 0xcf: case 0xd3: return within(buf, at + 9); // float64, 64-bit ints
    case 0xd7: return within(buf, at + 10); // fixext8
    case 0xd8: return within(buf, at + 18); // fixext16
    case 0xdc: return counted(buf, at, 2, 1); // array16
    case 0xdd: return counted(buf, at, 4, 1); // array32
    case 0xde: return counted(buf, at, 2, 2); // map16
    case 0xdf: return counted(buf, at, 4, 2); // map32
    default: throw new MsgpackFormatError(`invalid MessagePack type byte 0x${b.toString(16)} at offset ${at}`);
  }
}

function within(buf: Uint8Array, end: number): number {
  return end > buf.length ? -1 : end;
}

function readUint(buf: Uint8Array, at: number, bytes: number): number {
  let v = 0;
  for (let i = 0; i < bytes; i++) v = v * 256 + buf[at + i]!;
  return v;
}

/** A length-prefixed payload: marker, `lenBytes` of length, `extraBytes` (ext type), payload. */
function sized(buf: Uint8Array, at: number, lenBytes: number, extraBytes: number): number {
  const payload = at + 1 + lenBytes + extraBytes;
  if (payload > buf.length) return -1;
  return within(buf, payload + readUint(buf, at + 1, lenBytes));
}

function counted(buf: Uint8Array, at: number, lenBytes: number, perEntry: number): number {
  if (at + 1 + lenBytes > buf.length) return -1;
  return elementsEnd(buf, at + 1 + lenBytes, readUint(buf, at + 1, lenBytes) * perEntry);
}

function elementsEnd(buf: Uint8Array, pos: number, count: number): number {
  for (let i = 0; i < count; i++) {
    pos = objectEnd(buf, pos);
    if (pos < 0) return -1;
  }
  return within(buf, pos);
}

/** Accumulates socket reads and hands back each complete top-level message exactly once. */
const NOTHING = Buffer.alloc(0);

export class FrameSplitter {
  private pending: Buffer = NOTHING;

  /** Bytes received that do not yet form a complete message. */
  get buffered(): number {
    return this.pending.length;
  }

  /** Throws MsgpackFormatError when the stream is not MessagePack (the stream cannot be resynchronised). */
  push(chunk: Buffer): Buffer[] {
    const buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const frames: Buffer[] = [];
    let start = 0;
    for (;;) {
      const end = objectEnd(buf, start);
      if (end < 0) break;
      frames.push(buf.subarray(start, end));
      start = end;
    }
    // Copy a partial tail so it does not pin the whole read buffer.
    this.pending = start === buf.length ? NOTHING : Buffer.from(buf.subarray(start));
    return frames;
  }
}
