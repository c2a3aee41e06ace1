/**
 * How a CSV field becomes a number, and when a first line is a header. Only plain decimal
 * notation is a number: `0x10`, `0b101`, `0o7`, `1_000` or `Infinity` are not read as numbers
 * (JavaScript's Number() would accept some of them). Missing-value markers such as `NA` are
 * not taken as column names, so a first data row with a missing value is reported as an
 * error instead of silently becoming the header.
 */

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Spellings of a missing or non-finite value in common CSV exports (R, pandas, Excel). */
const MISSING = new Set([
  '',
  'na',
  'n/a',
  '#n/a',
  'nan',
  '-nan',
  'null',
  'none',
  'nil',
  '?',
  '.',
  'inf',
  '-inf',
  '+inf',
  'infinity',
  '-infinity',
  '+infinity',
]);

/** The finite number a field spells in decimal notation, or undefined. */
export function parseDecimal(field: string): number | undefined {
  if (!DECIMAL.test(field)) return undefined;
  const v = Number(field);
  return Number.isFinite(v) ? v : undefined;
}

/** A field that stands for a missing or non-finite value rather than for a name. */
export function isMissingMarker(field: string): boolean {
  return MISSING.has(field.trim().toLowerCase());
}

/**
 * 'auto' header detection: a first line is a header when some field is a name, that is neither
 * a number, a missing-value marker, nor number-like to JavaScript (`0x10`, `0b101`: reported as bad values).
 */
export function looksLikeHeader(fields: readonly string[]): boolean {
  return fields.some((f) => parseDecimal(f) === undefined && !isMissingMarker(f) && Number.isNaN(Number(f)));
}
