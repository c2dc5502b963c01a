// Shared pieces of the property-based suites: run sizes, hostile value generators, token
// mutations and the oracle that says, independently of the plugin's code paths, whether a request
// is genuinely valid (the README's contract: scopes from scp/scope, claims written as text,
// control characters refused, non-ASCII percent-encoded, at most 8 KiB per header).
import fc from 'fast-check';

/**
 * Total property runs for this process: FUZZ_RUNS (e.g. 100000 for `npm run test:long`), or a CI
 * default of 4,000. Each property takes a share of it.
 */
export function fuzzRuns(share: number, minimum = 20): number {
  const total = Number(process.env.FUZZ_RUNS ?? 4000);
  return Math.max(minimum, Math.round(total * share));
}

/** A new random seed per run; on failure fast-check prints seed and path, and FUZZ_SEED=<seed> replays it. */
export const fuzzSeed = (): number | undefined => (process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED));

/** The claim → header mappings of the security suite's okta-jwt config (spec/support/kong-config.ts oktaJwtConfig). */
export const SUITE_MAPPINGS = [
  { claim: 'sub', header: 'X-User-Sub' },
  { claim: 'scp', header: 'X-Token-Scopes' },
  { claim: 'cid', header: 'X-Client-Id' },
  { claim: 'profile.email', header: 'X-User-Email' },
];

/** What may be written into an upstream header: printable ASCII, no CR/LF or other controls. */
export const SAFE_HEADER_VALUE = /^[\x20-\x7e]*$/;

// ---------------------------------------------------------------- hostile values

const NASTY = ['\r', '\n', '\r\n', '\u0000', '\u0007', '\u001b', '\u007f', '\t', '\u0085', '\u2028', '\u202e', '\ufeff', '%', '%0d%0a', '"', '\\', ',', ';', 'é', 'а', '😀', '\ud800', '\udfff', ' ', 'X-Admin: true'];
export const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', 'email', 'sub', 'a.b', ''];

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 24 }),
  fc.array(fc.oneof(fc.constantFrom(...NASTY), fc.string({ maxLength: 4 })), { maxLength: 12 }).map((parts) => parts.join('')),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.integer({ min: 0, max: 3000 }).map((n) => 'x'.repeat(n)),
);

/** A JSON value whose objects are entry lists, so keys may repeat or be __proto__ (JSON.parse keeps both as own data). */
export type JsonValue = string | number | boolean | null | JsonValue[] | Entries;
export class Entries {
  constructor(readonly entries: Array<[string, JsonValue]>) {}
}

export function toJson(value: JsonValue): string {
  if (value instanceof Entries) return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`).join(',')}}`;
  if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`;
  return JSON.stringify(value) ?? 'null';
}

const nested = (depth: number): JsonValue => (depth === 0 ? 'deep' : [nested(depth - 1)]);

export const hostileJson: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileString,
    fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -0, 1e308, -1e308, 2 ** 53 + 1)),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.array(fc.tuple(fc.oneof(fc.constantFrom(...HOSTILE_KEYS), fc.string({ maxLength: 6 })), tie('value')), { maxLength: 4 }).map((e) => new Entries(e)),
    fc.integer({ min: 1, max: 50 }).map(nested),
  ),
})).value;

// ---------------------------------------------------------------- token mutations

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const odd = fc.constantFrom('.', '=', '+', '/', ' ', '\t', '%', 'é', '\u0000', ',', '"', '~');
const anyChar = fc.oneof(fc.constantFrom(...ALPHABET.split('')), odd);

export type Mutation =
  | { op: 'replace' | 'insert'; at: number; ch: string }
  | { op: 'delete' | 'truncate'; at: number }
  | { op: 'reencode'; segment: number; how: 'standard' | 'padding' | 'space' | 'tail' }
  | { op: 'swap'; a: number; b: number }
  | { op: 'append'; text: string };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constantFrom('replace' as const, 'insert' as const), at: fc.nat(), ch: anyChar }),
  fc.record({ op: fc.constantFrom('delete' as const, 'truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('reencode' as const), segment: fc.nat(2), how: fc.constantFrom('standard' as const, 'padding' as const, 'space' as const, 'tail' as const) }),
  fc.record({ op: fc.constant('swap' as const), a: fc.nat(2), b: fc.nat(2) }),
  fc.record({ op: fc.constant('append' as const), text: fc.oneof(fc.constantFrom('.', '==', '.e30', ' x', '\t'), fc.string({ maxLength: 8 })) }),
);

function reencode(segment: string, how: 'standard' | 'padding' | 'space' | 'tail'): string {
  switch (how) {
    case 'standard':
      return Buffer.from(segment, 'base64url').toString('base64');
    case 'padding':
      return `${segment}=`;
    case 'space':
      return `${segment.slice(0, segment.length >> 1)} ${segment.slice(segment.length >> 1)}`;
    case 'tail': {
      const last = ALPHABET.indexOf(segment.at(-1) ?? 'A');
      return segment.slice(0, -1) + ALPHABET[(last ^ 1) & 63];
    }
  }
}

export function mutate(token: string, mutations: Mutation[]): string {
  let t = token;
  for (const m of mutations) {
    const at = 'at' in m ? m.at % (t.length + 1) : 0;
    switch (m.op) {
      case 'replace':
        t = t.slice(0, at) + m.ch + t.slice(at + 1);
        break;
      case 'insert':
        t = t.slice(0, at) + m.ch + t.slice(at);
        break;
      case 'delete':
        t = t.slice(0, at) + t.slice(at + 1);
        break;
      case 'truncate':
        t = t.slice(0, at);
        break;
      case 'reencode': {
        const parts = t.split('.');
        if (parts[m.segment] !== undefined) parts[m.segment] = reencode(parts[m.segment], m.how);
        t = parts.join('.');
        break;
      }
      case 'swap': {
        const parts = t.split('.');
        if (parts[m.a] !== undefined && parts[m.b] !== undefined) [parts[m.a], parts[m.b]] = [parts[m.b], parts[m.a]];
        t = parts.join('.');
        break;
      }
      case 'append':
        t += m.text;
        break;
    }
  }
  return t;
}

// ---------------------------------------------------------------- the oracle

export interface Mapping {
  claim: string;
  header: string;
}

/** The claim at a dot path, own properties only. */
function at(claims: unknown, path: string): unknown {
  let current = claims;
  for (const segment of path.split('.')) {
    if (typeof current !== 'object' || current === null || Array.isArray(current) || !Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

/** The README's rendering: strings as-is, finite numbers and booleans as text, arrays joined by ", " (object members as JSON), objects as JSON. */
function rendered(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    const parts = value.map((v) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : rendered(v)));
    return parts.includes(undefined) ? undefined : parts.join(', ');
  }
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return undefined;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The header value the contract promises for a claim: null = absent (cleared), 'unsafe' = the token must be refused. */
export function expectedHeader(claims: unknown, claim: string): string | null | 'unsafe' {
  const value = at(claims, claim);
  if (value === undefined || value === null || value === '') return null;
  const text = rendered(value);
  if (text === undefined || /[\u0000-\u001f\u007f]/.test(text) || LONE_SURROGATE.test(text)) return 'unsafe';
  const encoded = text.replace(/[%\u0080-\u{10ffff}]/gu, (ch) => encodeURIComponent(ch))
    // HTTP strips a header value's edge spaces: they are sent as %20.
    .replace(/^ +/, (spaces) => '%20'.repeat(spaces.length))
    .replace(/(?<! ) +$/, (spaces) => '%20'.repeat(spaces.length));
  return encoded.length > 8192 ? 'unsafe' : encoded;
}

/** Okta's scp array, or a space-separated scp / scope string (RFC 9068). */
export function grants(claims: Record<string, unknown>, scope: string): boolean {
  const scp = Object.hasOwn(claims, 'scp') ? claims.scp : undefined;
  if (Array.isArray(scp)) return scp.includes(scope);
  const text = typeof scp === 'string' ? scp : Object.hasOwn(claims, 'scope') ? claims.scope : undefined;
  return typeof text === 'string' && text.split(' ').includes(scope);
}

/**
 * Whether a token signed by a trusted key with these claims (time, issuer and audience valid) must be
 * accepted: the scope is granted, it is no ID token, and every mapped claim can be written.
 */
export function genuinelyValid(claims: Record<string, unknown>, mappings: Mapping[], scope: string): boolean {
  if (!grants(claims, scope)) return false;
  if (Object.hasOwn(claims, 'nonce') || Object.hasOwn(claims, 'at_hash')) return false;
  if (typeof claims.jti === 'string' && claims.jti.startsWith('ID.')) return false;
  return mappings.every((m) => expectedHeader(claims, m.claim) !== 'unsafe');
}

/** Exactly one credential, and it is `Bearer 1*SP <token>` (scheme in any case, outer spaces/tabs allowed). */
export function carriesExactly(values: ReadonlyArray<string | true>, token: string): boolean {
  const present = values.filter((v): v is string => v !== true && v.replace(/^[ \t]+|[ \t]+$/g, '') !== '');
  if (present.length !== 1) return false;
  const trimmed = present[0].replace(/^[ \t]+|[ \t]+$/g, '');
  return trimmed.length > 7 && /^bearer +$/i.test(trimmed.slice(0, trimmed.length - token.length)) && trimmed.endsWith(token);
}
