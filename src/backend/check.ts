/**
 * Argument checks for kernels implemented in TypeScript (the WebGPU backend), matching what the
 * native addon checks at its boundary: counts are non-negative safe integers, arrays have the
 * exact type and length the sizes imply, enum names are known. Errors name the kernel and the
 * argument (TypeError for a wrong type, RangeError for a wrong size or value).
 */
import type { Design, MlpArchitecture } from './types.ts';

export function checkCount(kernel: string, key: string, value: unknown, min = 0): number {
  if (typeof value !== 'number') throw new TypeError(`tdakit ${kernel}: '${key}' must be a number`);
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`tdakit ${kernel}: '${key}' = ${value} must be an integer >= ${min}`);
  }
  return value;
}

export function checkFloat64(kernel: string, key: string, value: unknown, length: number, optional = false): void {
  if (value === undefined && optional) return;
  if (!(value instanceof Float64Array)) throw new TypeError(`tdakit ${kernel}: '${key}' must be a Float64Array`);
  if (value.length !== length) {
    throw new RangeError(`tdakit ${kernel}: '${key}' has ${value.length} elements, expected ${length}`);
  }
}

export function checkOneOf<T extends string>(kernel: string, key: string, value: unknown, names: readonly T[]): T {
  if (!names.includes(value as T)) {
    throw new RangeError(`tdakit ${kernel}: '${key}' = ${JSON.stringify(value)} is not one of ${names.join(', ')}`);
  }
  return value as T;
}

/** Checks n, d, intercept and x (n x d); returns p = d + intercept. */
export function checkDesign(kernel: string, o: Design): number {
  const n = checkCount(kernel, 'n', o.n),
    d = checkCount(kernel, 'd', o.d);
  if (typeof o.intercept !== 'boolean') throw new TypeError(`tdakit ${kernel}: 'intercept' must be a boolean`);
  checkFloat64(kernel, 'x', o.x, n * d);
  const p = d + (o.intercept ? 1 : 0);
  if (p === 0) throw new RangeError(`tdakit ${kernel}: the model has no parameters (d = 0 without intercept)`);
  return p;
}

/** Checks the layer sizes; returns the parameter count. */
export function checkArchitecture(kernel: string, o: MlpArchitecture): number {
  checkCount(kernel, 'd', o.d, 1);
  checkCount(kernel, 'classes', o.classes, 2);
  if (!(o.hidden instanceof Uint32Array))
    throw new TypeError(`tdakit ${kernel}: 'hidden' must be a Uint32Array of layer sizes`);
  if (o.hidden.some((h) => h < 1)) throw new RangeError(`tdakit ${kernel}: 'hidden' layer sizes must be >= 1`);
  const sizes = [o.d, ...o.hidden, o.classes];
  let parameters = 0;
  for (let l = 1; l < sizes.length; l++) parameters += sizes[l]! * sizes[l - 1]! + sizes[l]!;
  if (!Number.isSafeInteger(parameters)) throw new RangeError(`tdakit ${kernel}: the network has too many parameters`);
  return parameters;
}
