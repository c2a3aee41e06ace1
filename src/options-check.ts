/**
 * Unknown option keys are errors: a misspelt option (`{ lamda: 100 }`) would otherwise be
 * ignored silently and the default used. Every public entry point that takes an options
 * object calls `assertKnownOptions` with the complete list of its keys.
 */

/**
 * The keys of an options type, checked by the compiler to be complete: `optionKeys<GlmOptions>({
 * lambda: true, ... })` fails to compile when a key of GlmOptions is missing or unknown.
 */
export function optionKeys<T>(keys: { [K in keyof Required<T>]: true }): readonly string[] {
  return Object.freeze(Object.keys(keys));
}

/** Throws a TypeError naming the first unknown key of `options` and the closest valid key. */
export function assertKnownOptions(where: string, options: unknown, allowed: readonly string[]): void {
  if (options === null || options === undefined || typeof options !== 'object') return;
  for (const key of Object.keys(options)) {
    if (allowed.includes(key)) continue;
    const suggestion = closest(key, allowed);
    throw new TypeError(
      `${where}: unknown option '${key}'` +
        (suggestion
          ? `; did you mean '${suggestion}'?`
          : `; valid options: ${allowed.map((k) => `'${k}'`).join(', ')}`),
    );
  }
}

/** The allowed key nearest in (case-insensitive) edit distance, if it is near enough to be a typo. */
export function closest(key: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of allowed) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  // A typo changes a few characters; beyond a third of the word it is another word.
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1,
    cols = b.length + 1;
  const d: number[] = new Array(rows * cols).fill(0);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[(i - 1) * cols + j]! + 1, d[i * cols + j - 1]! + 1, d[(i - 1) * cols + j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[(i - 2) * cols + j - 2]! + 1);
      d[i * cols + j] = v;
    }
  }
  return d[rows * cols - 1]!;
}
