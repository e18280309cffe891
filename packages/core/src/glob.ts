/**
 * Glob matching for user-supplied patterns: `*` matches any run of characters (also none), `?` exactly one,
 * every other character itself. Linear in the text for a given pattern (at most O(pattern × text) steps,
 * never exponential): the classic two-pointer walk that remembers only the last `*` and retries from there.
 * A pattern turned into a regular expression would backtrack (`*?*?*?#` takes seconds on a long key).
 */
export function matchesGlob(pattern: string, text: string): boolean {
  const p = [...pattern];
  const t = [...text];
  let pi = 0;
  let ti = 0;
  // Position of the last `*` seen and of the text character it was retried from; -1 when none yet.
  let starAt = -1;
  let starText = 0;
  while (ti < t.length) {
    const ch = p[pi];
    if (ch === "*") {
      starAt = pi++;
      starText = ti;
    } else if (ch !== undefined && (ch === "?" || ch === t[ti])) {
      pi++;
      ti++;
    } else if (starAt >= 0) {
      // Let the last `*` swallow one more character and retry the rest of the pattern after it.
      pi = starAt + 1;
      ti = ++starText;
    } else {
      return false;
    }
  }
  while (p[pi] === "*") pi++;
  return pi === p.length;
}
