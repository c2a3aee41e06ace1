/** Option parsers of the pipeline commands (fit, attribute). */
import { InvalidArgumentError } from 'commander';

export const finiteNumber = (name: string) => (v: string) => {
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x)) throw new InvalidArgumentError(`${name} must be a number`);
  return x;
};

export const positiveInteger = (name: string) => (v: string) => {
  const x = Number(v);
  if (!Number.isInteger(x) || x < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return x;
};

export const oneOf = <T extends string>(name: string, values: readonly T[]) => (v: string): T => {
  if (!values.includes(v as T)) throw new InvalidArgumentError(`${name} must be one of ${values.join(', ')}`);
  return v as T;
};
