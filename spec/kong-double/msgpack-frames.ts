// Kong reads plugin-server replies with a streaming unpacker: a reply may arrive split across reads.
// `frameLength` finds where the first complete MessagePack object in a buffer ends (or that more bytes
// are needed), so the reader can cut exact frames out of a byte stream without decoding twice.

/** Length in bytes of the first complete msgpack object in `buf` starting at `start`, or -1 if incomplete. */
export function frameLength(buf: Uint8Array, start = 0): number {
  const end = skip(buf, start);
  return end < 0 ? -1 : end - start;
}

function uint(buf: Uint8Array, at: number, bytes: number): number {
  let v = 0;
  for (let i = 0; i < bytes; i++) v = v * 256 + buf[at + i]!;
  return v;
}

/** Returns the offset just after the object at `at`, or -1 if the buffer ends inside it. */
function skip(buf: Uint8Array, at: number): number {
  if (at >= buf.length) return -1;
  const b = buf[at]!;
  const sized = (headerBytes: number, lenBytes: number): number => {
    if (at + headerBytes > buf.length) return -1;
    const end = at + headerBytes + uint(buf, at + 1, lenBytes);
    return end > buf.length ? -1 : end;
  };
  const containers = (headerBytes: number, count: number): number => {
    let pos = at + headerBytes;
    if (pos > buf.length) return -1;
    for (let i = 0; i < count; i++) {
      pos = skip(buf, pos);
      if (pos < 0) return -1;
    }
    return pos;
  };
  const counted = (lenBytes: number, perEntry: number): number => {
    if (at + 1 + lenBytes > buf.length) return -1;
    return containers(1 + lenBytes, uint(buf, at + 1, lenBytes) * perEntry);
  };
  if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) return at + 1;
  if (b >= 0x80 && b <= 0x8f) return containers(1, (b & 0x0f) * 2);
  if (b >= 0x90 && b <= 0x9f) return containers(1, b & 0x0f);
  if (b >= 0xa0 && b <= 0xbf) {
    const end = at + 1 + (b & 0x1f);
    return end > buf.length ? -1 : end;
  }
  // ext 8/16/32: marker, length, ext type byte, data
  const ext = (lenBytes: number): number => {
    if (at + 2 + lenBytes > buf.length) return -1;
    const end = at + 2 + lenBytes + uint(buf, at + 1, lenBytes);
    return end > buf.length ? -1 : end;
  };
  const fixed = (n: number): number => (at + 1 + n > buf.length ? -1 : at + 1 + n);
  switch (b) {
    case 0xc4: case 0xd9: return sized(2, 1);
    case 0xc5: case 0xda: return sized(3, 2);
    case 0xc6: case 0xdb: return sized(5, 4);
    case 0xc7: return ext(1);
    case 0xc8: return ext(2);
    case 0xc9: return ext(4);
    case 0xca: return fixed(4);
    case 0xcb: return fixed(8);
    case 0xcc: case 0xd0: return fixed(1);
    case 0xcd: case 0xd1: return fixed(2);
    case 0xce: case 0xd2: return fixed(4);
    case 0xcf: case 0xd3: return fixed(8);
    case 0xd4: return fixed(2);
    case 0xd5: return fixed(3);
    case 0xd6: return fixed(5);
    case 0xd7: return fixed(9);
    case 0xd8: return fixed(17);
    case 0xdc: return counted(2, 1);
    case 0xdd: return counted(4, 1);
    case 0xde: return counted(2, 2);
    case 0xdf: return counted(4, 2);
    default: throw new Error(`invalid msgpack type byte 0x${b.toString(16)}`);
  }
}
