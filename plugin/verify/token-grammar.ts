// The compact-JWS grammar, checked before any decoding (RFC 7515 §7.1, RFC 4648 §5).
// jose's decoder is lenient (it ignores padding, whitespace and the unused low bits of the last
// character), so one token could otherwise be written many ways: that would defeat the
// verified-token cache and any log correlation. This is a character-level check, not a decoder.

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

declare const checked: unique symbol;
/** A string that passed isCanonicalCompactJws: its segments decode to exactly one byte string each. */
export type CompactJws = string & { readonly [checked]: true };

/** True when a base64url segment (no padding) is the canonical encoding of its bytes. */
function isCanonicalSegment(segment: string): boolean {
  const rest = segment.length % 4;
  if (rest === 1) return false; // no byte string encodes to this length
  if (rest === 0) return true;
  // The last character carries 4 (rest 2) or 2 (rest 3) unused low bits, which must be zero.
  const unusedBits = rest === 2 ? 0b1111 : 0b11;
  return (ALPHABET.indexOf(segment[segment.length - 1]) & unusedBits) === 0;
}

export function isCanonicalCompactJws(token: string): token is CompactJws {
  return COMPACT_JWS.test(token) && token.split('.').every(isCanonicalSegment);
}
