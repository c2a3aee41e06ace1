/**
 * Option plumbing shared by the CLI commands: options with a fixed set of values are checked by
 * commander while parsing (before any work starts), and so are comma-separated lists.
 */
import { InvalidArgumentError, Option } from 'commander';

/** A parser for a finite number (an empty string is not 0). */
export const finiteNumber =
  (flag: string) =>
  (v: string): number => {
    const x = Number(v);
    if (v.trim() === '' || !Number.isFinite(x)) throw new InvalidArgumentError(`${flag} must be a number`);
    return x;
  };

/** A parser for an integer >= 1. */
export const positiveInteger =
  (flag: string) =>
  (v: string): number => {
    const x = Number(v);
    if (!Number.isInteger(x) || x < 1) throw new InvalidArgumentError(`${flag} must be a positive integer`);
    return x;
  };

/** A parser that accepts only `values`; the error names the flag, the value and the choices. */
export const oneOf =
  <T extends string>(flag: string, values: readonly T[]) =>
  (v: string): T => {
    if (!values.includes(v as T)) {
      throw new InvalidArgumentError(
        `${flag} ${v} is not available; use ${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`,
      );
    }
    return v as T;
  };

/** `--flag <value>` restricted to `values`: anything else is rejected while parsing, before any work. */
export function choice(flags: string, description: string, values: readonly string[], defaultValue?: string): Option {
  const option = new Option(flags, `${description}: ${values.join(' | ')}`).argParser(
    oneOf(flags.split(/[ ,]/)[0]!, values),
  );
  return defaultValue === undefined ? option : option.default(defaultValue);
}

/** A parser for a comma-separated subset of `values`; the error names the bad entry and the choices. */
export function listOf(flag: string, values: readonly string[]) {
  return (v: string): string[] => {
    const items = v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (items.length === 0) throw new InvalidArgumentError(`${flag} needs at least one of ${values.join(', ')}`);
    for (const item of items) {
      if (!values.includes(item)) throw new InvalidArgumentError(`'${item}' is not one of ${values.join(', ')}`);
    }
    return items;
  };
}

/** Positive integers, comma-separated (MLP hidden sizes). */
export function positiveIntegers(flag: string) {
  return (v: string): number[] => {
    const items = v.split(',').map((s) => Number(s.trim()));
    if (items.length === 0 || items.some((x) => !Number.isInteger(x) || x < 1)) {
      throw new InvalidArgumentError(`${flag} must be positive integers separated by commas, got '${v}'`);
    }
    return items;
  };
}

/** A single character (or tab) delimiter, or 'auto'. */
export function delimiterValue(v: string): string {
  const d = v === '\\t' || v.toLowerCase() === 'tab' ? '\t' : v;
  if (d !== 'auto' && d.length !== 1)
    throw new InvalidArgumentError(`--delimiter must be one character, 'tab' or 'auto', got '${v}'`);
  return d;
}
