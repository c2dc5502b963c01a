// hide_credentials: the upstream must not get the token source's name in any spelling it reads as
// that name, or a client could add a second, unverified token beside the verified one. Upstream
// stacks fold names:
// - PHP (query and cookie names): `%XX` and `+` decoded, the name ends at NUL, leading spaces go,
//   ` ` and `.` become `_`, `name[…]` is the array `name`, an unclosed `[` becomes `_`;
// - Rack splits cookies on `,` as well as `;`, and query strings on `;` as well as `&`;
// - case-insensitive readers (ASP.NET, some Java frameworks; Java's equalsIgnoreCase and .NET's
//   OrdinalIgnoreCase compare per character, so `ſ` reads as `s` and the Kelvin sign as `k`);
// - CGI, WSGI and Rack read header `X_Api_Token` as `X-Api-Token` (spoofed-headers.ts).
// Everything that folds to the configured name is removed; other bytes go upstream as sent.
import { headerValues, type HeaderMap } from '../vocabulary/request';
import { decodeQueryComponent } from '../extract/query-token';
import { clientSpellings, foldedName } from './spoofed-headers';

/** One character as case-insensitive readers compare it: lower case, or the ASCII letter a non-ASCII one cases to. */
function foldCase(ch: string): string {
  if (ch < '\x80') return ch.toLowerCase();
  const upper = ch.toUpperCase();
  if (upper.length === 1 && upper < '\x80') return upper.toLowerCase();
  const lower = ch.toLowerCase();
  return lower[0] < '\x80' ? lower[0] : ch;
}

/** A query or cookie name (raw, as sent) as the upstream stacks above may read it. */
export function foldedParameterName(raw: string): string {
  let name = decodeQueryComponent(raw);
  // decodeQueryComponent yields bytes as Latin-1 characters: read escaped UTF-8 as characters.
  if (/[\x80-\xff]/.test(name)) name = Buffer.from(name, 'latin1').toString('utf8');
  const nul = name.indexOf('\0');
  if (nul >= 0) name = name.slice(0, nul);
  name = name.trim();
  const open = name.indexOf('[');
  if (open >= 0) name = name.indexOf(']', open) > open ? name.slice(0, open) : `${name.slice(0, open)}_${name.slice(open + 1)}`;
  name = name.replace(/[ .]/g, '_');
  return /^[\x00-\x7f]*$/.test(name) ? name.toLowerCase() : Array.from(name, foldCase).join('');
}

function nameOf(pair: string): string {
  const eq = pair.indexOf('=');
  return eq < 0 ? pair : pair.slice(0, eq);
}

/**
 * `list` split on `outer`, each item split on `inner`; the pieces whose name folds to `folded`
 * removed, an item left without pieces dropped. null when nothing was removed.
 */
function withoutFolded(list: string[], inner: string, folded: string): string[] | null {
  let removed = false;
  const kept: string[] = [];
  for (const item of list) {
    const pieces = item.split(inner);
    const rest = pieces.filter((piece) => foldedParameterName(nameOf(piece)) !== folded);
    if (rest.length === pieces.length) {
      kept.push(item);
      continue;
    }
    removed = true;
    if (rest.length > 0) kept.push(rest.join(inner));
  }
  return removed ? kept : null;
}

/** The raw query without any parameter whose name folds to `name` (split on `&`, then `;`), or null when none is there. */
export function queryWithoutSpellings(rawQuery: string, name: string): string | null {
  return withoutFolded(rawQuery.split('&'), ';', foldedParameterName(name))?.join('&') ?? null;
}

/**
 * The Cookie header without any cookie whose name folds to `name` (split on `;`, then `,`), as one
 * line; null when none is there, '' when nothing else is left.
 */
export function cookieWithoutSpellings(headers: HeaderMap, name: string): string | null {
  const pairs = headerValues(headers, 'cookie').flatMap((line) => (line === true ? [] : line.split(';')));
  const kept = withoutFolded(pairs.map((pair) => pair.trim()), ',', foldedParameterName(name));
  return kept === null ? null : kept.map((pair) => pair.trim()).filter((pair) => pair !== '').join('; ');
}

/** The request's spellings of the token header other than the configured one (get_headers keys). */
export function tokenHeaderSpellings(headers: HeaderMap, tokenHeader: string): string[] {
  const exact = tokenHeader.toLowerCase();
  return clientSpellings(headers, new Set([foldedName(tokenHeader)])).filter((key) => key !== exact);
}
