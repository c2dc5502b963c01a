// Rule path patterns: `*` matches within one path segment (no `/`), a `*` at the very end matches
// any rest, slashes included. Matched without a regex: `/files/*-*-*.json` as a regex backtracks
// cubically on `/files/` + 3,000 dashes (3.5 s). Here the literal pieces between the stars are
// found left to right, each at its first position; a path is walked a bounded number of times
// (once per piece), so the cost is linear in the path for a given pattern. Case-sensitive, like
// Kong's router.

export interface PathGlob {
  source: string;
  /** The literal text between the stars (the first is a prefix, the last a suffix unless `openEnd`). */
  pieces: string[];
  /** The pattern ends with `*`: anything may follow the last piece. */
  openEnd: boolean;
}

export function compileGlob(source: string): PathGlob {
  const openEnd = source.endsWith('*');
  return { source, pieces: (openEnd ? source.slice(0, -1) : source).split('*'), openEnd };
}

/** True when the span [from, to) of `path` holds no `/` (what one `*` may stand for). */
function withinSegment(path: string, from: number, to: number): boolean {
  const slash = path.indexOf('/', from);
  return slash < 0 || slash >= to;
}

export function globMatches(glob: PathGlob, path: string): boolean {
  const { pieces, openEnd } = glob;
  const first = pieces[0];
  if (!path.startsWith(first)) return false;
  if (pieces.length === 1) return openEnd || path.length === first.length;

  let at = first.length;
  const middle = openEnd ? pieces.length : pieces.length - 1;
  // Taking each piece at its first fitting place leaves the most room for the rest: a later place
  // can only end later, and a star never crosses a `/` either way.
  for (let i = 1; i < middle; i++) {
    const found = path.indexOf(pieces[i], at);
    if (found < 0 || !withinSegment(path, at, found)) return false;
    at = found + pieces[i].length;
  }
  if (openEnd) return true;
  const last = pieces[pieces.length - 1];
  const start = path.length - last.length;
  return start >= at && path.endsWith(last) && withinSegment(path, at, start);
}
