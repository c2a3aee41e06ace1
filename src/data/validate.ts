/** Argument checks shared by every entry point. Each names the argument and the problem. */

/** Throws a RangeError naming the first NaN/Inf entry of a row-major array. */
export function assertFinite(name: string, data: ArrayLike<number>, cols = 1): void {
  for (let k = 0; k < data.length; k++) {
    const v = data[k]!;
    if (!Number.isFinite(v)) {
      const where = cols > 1 ? `row ${Math.floor(k / cols)}, column ${k % cols}` : `index ${k}`;
      throw new RangeError(`${name}: contains ${v} at ${where}; remove or impute non-finite values first`);
    }
  }
}

/** A finite number in [min, max] (lambda, tolerances). */
export function assertNumber(name: string, v: unknown, min: number, max = Infinity): number {
  if (typeof v !== 'number') throw new TypeError(`${name}: must be a number, got ${describe(v)}`);
  if (!Number.isFinite(v)) throw new RangeError(`${name}: must be finite, got ${v}`);
  if (v < min || v > max) throw new RangeError(`${name}: must be in [${min}, ${max}], got ${v}`);
  return v;
}

/** A positive integer (counts, sizes). */
export function assertInteger(name: string, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v))
    throw new TypeError(`${name}: must be an integer, got ${String(v)}`);
  if (v < min || v > max) throw new RangeError(`${name}: must be in [${min}, ${max}], got ${v}`);
  return v;
}

/** Copies numbers (array or typed array) into a Float64Array and checks length and finiteness. */
export function toFloat64(name: string, values: unknown, length?: number): Float64Array {
  let out: Float64Array;
  if (values instanceof Float64Array) out = values;
  else if (Array.isArray(values) || ArrayBuffer.isView(values)) {
    if (values instanceof DataView) throw new TypeError(`${name}: must be an array of numbers, got a DataView`);
    const arr = values as ArrayLike<unknown>;
    out = new Float64Array(arr.length);
    for (let k = 0; k < arr.length; k++) {
      const v = arr[k];
      if (typeof v !== 'number' && typeof v !== 'bigint') {
        throw new TypeError(`${name}: element ${k} is ${typeof v}, not a number`);
      }
      out[k] = Number(v);
    }
  } else {
    throw new TypeError(`${name}: must be a Float64Array or an array of numbers, got ${describe(values)}`);
  }
  if (length !== undefined && out.length !== length) {
    throw new RangeError(`${name}: has ${out.length} entries, expected ${length} (one per row of X)`);
  }
  assertFinite(name, out);
  return out;
}

/**
 * Validates an index set against n: integers in [0, n), no duplicates, not empty.
 * Returns a sorted Uint32Array.
 */
export function toIndexSet(name: string, indices: unknown, n: number, { allowEmpty = false } = {}): Uint32Array {
  if (!Array.isArray(indices) && !(ArrayBuffer.isView(indices) && !(indices instanceof DataView))) {
    throw new TypeError(`${name}: must be an array of example indices, got ${describe(indices)}`);
  }
  const arr = indices as ArrayLike<number>;
  if (arr.length === 0 && !allowEmpty) throw new RangeError(`${name}: is empty; give at least one example index`);
  const out = new Uint32Array(arr.length);
  const seen = new Uint8Array(n);
  for (let k = 0; k < arr.length; k++) {
    const v = arr[k];
    if (typeof v !== 'number' || !Number.isInteger(v))
      throw new TypeError(`${name}: element ${k} (${String(v)}) is not an integer index`);
    if (v < 0 || v >= n) throw new RangeError(`${name}: index ${v} is out of range [0, ${n})`);
    if (seen[v]) throw new RangeError(`${name}: index ${v} appears more than once`);
    seen[v] = 1;
    out[k] = v;
  }
  return out.sort();
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (ArrayBuffer.isView(v)) return v.constructor.name;
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}
