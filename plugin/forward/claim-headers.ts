// Stage 4: claims to upstream request headers. Every value is hostile: control characters
// (CR/LF above all) are never written — Kong would percent-encode them rather than refuse, handing
// the upstream a mangled identity — and non-ASCII text is percent-encoded so it stays reversible.
import type { ClaimHeaderMapping } from '../config/types';
import { claimAt, type Claims } from '../util/claims';

/** Longest value written to one header; a longer identity is refused, never truncated. */
export const MAX_HEADER_VALUE_BYTES = 8192;

export type HeaderValue = { kind: 'value'; value: string } | { kind: 'absent' } | { kind: 'unsafe' };

const CONTROL = /[\u0000-\u001f\u007f]/;
// `u`: characters outside the BMP (emoji) are one match, encoded whole; a lone surrogate still
// matches alone and makes encodeURIComponent throw, which refuses the value.
const NEEDS_ENCODING = /[%\u0080-\u{10ffff}]/gu;

/** Arrays are joined with ", ", objects written as compact JSON, numbers and booleans as text. */
function render(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return Number.isFinite(value) ? String(value) : undefined;
    case 'boolean':
      return String(value);
    case 'object':
      if (value === null) return undefined;
      if (Array.isArray(value)) {
        const parts = value.map((v) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : render(v)));
        return parts.every((p) => p !== undefined) ? parts.join(', ') : undefined;
      }
      return JSON.stringify(value);
    default:
      return undefined;
  }
}

/** Percent-encodes "%" and every non-ASCII character (as UTF-8), so decodeURIComponent restores the claim. */
function encodeNonAscii(text: string): string {
  return text.replace(NEEDS_ENCODING, (ch) => encodeURIComponent(ch));
}

/** HTTP strips a header value's leading and trailing spaces: encoded as %20, they arrive (e.g. `["", ""]` → `,%20`). */
function encodeEdgeSpaces(text: string): string {
  let start = 0;
  while (start < text.length && text[start] === ' ') start++;
  if (start === text.length) return '%20'.repeat(text.length);
  let end = text.length;
  while (text[end - 1] === ' ') end--;
  return '%20'.repeat(start) + text.slice(start, end) + '%20'.repeat(text.length - end);
}

export function headerValueFor(claims: Claims, mapping: ClaimHeaderMapping): HeaderValue {
  const raw = claimAt(claims, mapping.path);
  if (raw === undefined || raw === null || raw === '') return { kind: 'absent' };
  let encoded: string;
  try {
    const text = render(raw);
    if (text === undefined || CONTROL.test(text)) return { kind: 'unsafe' };
    encoded = encodeEdgeSpaces(encodeNonAscii(text));
  } catch {
    return { kind: 'unsafe' }; // nesting too deep for JSON.stringify, or a lone surrogate
  }
  if (encoded.length > MAX_HEADER_VALUE_BYTES) return { kind: 'unsafe' };
  return { kind: 'value', value: encoded };
}
