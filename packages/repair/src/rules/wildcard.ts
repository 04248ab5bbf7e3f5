/**
 * Windows wildcard matching for one path component: `*` any run, `?` one character.
 * Case-insensitive through a caller-supplied upper-casing (the volume's $UpCase).
 * Iterative with backtracking on the last star: linear-ish, no regex, no blow-up.
 */
export function matchWildcard(pattern: string, name: string, upcase: (text: string) => string): boolean {
  const p = upcase(pattern);
  const n = upcase(name);
  let pi = 0;
  let ni = 0;
  let starPi = -1;
  let starNi = 0;
  while (ni < n.length) {
    // The star test comes first: a name may itself hold `*` (legal for ntfs-3g), which must not
    // consume the pattern's star as a literal.
    if (pi < p.length && p[pi] === '*') {
      starPi = pi++;
      starNi = ni;
    } else if (pi < p.length && (p[pi] === '?' || p[pi] === n[ni])) {
      pi++;
      ni++;
    } else if (starPi >= 0) {
      pi = starPi + 1;
      ni = ++starNi;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

export const hasWildcard = (component: string): boolean => /[*?]/.test(component);
