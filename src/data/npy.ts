/**
 * NumPy .npy files (format versions 1-3): the usual container for embeddings. Reads float64,
 * float32 and integer arrays of either byte order and memory order; writes float64 C-order
 * from any numeric array. Shapes and header lengths are validated before anything is allocated.
 */
import { endianness } from 'node:os';
import { writeFileAtomic } from '../io/atomic.ts';

export interface NpyArray {
  data: Float64Array; // C order
  shape: number[];
}

const MAGIC = '\x93NUMPY';

const READERS: Record<string, { size: number; get: (v: DataView, o: number, le: boolean) => number }> = {
  f8: { size: 8, get: (v, o, le) => v.getFloat64(o, le) },
  f4: { size: 4, get: (v, o, le) => v.getFloat32(o, le) },
  i8: { size: 8, get: (v, o, le) => Number(v.getBigInt64(o, le)) },
  i4: { size: 4, get: (v, o, le) => v.getInt32(o, le) },
  i2: { size: 2, get: (v, o, le) => v.getInt16(o, le) },
  i1: { size: 1, get: (v, o) => v.getInt8(o) },
  u8: { size: 8, get: (v, o, le) => Number(v.getBigUint64(o, le)) },
  u4: { size: 4, get: (v, o, le) => v.getUint32(o, le) },
  u2: { size: 2, get: (v, o, le) => v.getUint16(o, le) },
  u1: { size: 1, get: (v, o) => v.getUint8(o) },
  b1: { size: 1, get: (v, o) => v.getUint8(o) },
};

/** Strict shape entries: decimal non-negative integers, as NumPy writes them. */
function parseShape(text: string, source: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts.map((s) => {
    if (!/^\d+L?$/.test(s)) throw new RangeError(`${source}: shape entry '${s}' is not a non-negative integer`);
    const v = Number(s.replace(/L$/, ''));
    if (!Number.isSafeInteger(v)) throw new RangeError(`${source}: shape entry ${s} is too large`);
    return v;
  });
}

/** Product of the shape's entries, or a RangeError when it exceeds what one array can hold. */
function elementCount(shape: readonly number[], source: string): number {
  let count = 1;
  for (const v of shape) {
    count *= v;
    if (!Number.isSafeInteger(count))
      throw new RangeError(`${source}: shape (${shape.join(', ')}) has too many elements`);
  }
  return count;
}

/** The header of a .npy file: element type, layout, shape and where the data starts. */
export interface NpyHeader {
  /** dtype code without byte order: 'f8', 'f4', 'i8', ... */
  dtype: string;
  littleEndian: boolean;
  fortranOrder: boolean;
  shape: number[];
  /** Number of elements. */
  count: number;
  /** Bytes per element. */
  itemSize: number;
  /** Byte offset of the first element. */
  dataOffset: number;
}

/**
 * Parses the header from the first bytes of a .npy file (`bytes` must reach the end of the
 * header). Shapes and header lengths are validated before anything is allocated.
 * @param bytes - the file's first bytes (at least up to the end of the header)
 * @param source - name of the data for error messages
 * @returns element type, byte order, memory order, shape, element count and data offset
 */
export function parseNpyHeader(bytes: Uint8Array, source = '.npy data'): NpyHeader {
  if (!(bytes instanceof Uint8Array))
    throw new TypeError(`${source}: expected the bytes of a .npy file as a Uint8Array`);
  const latin1 = (a: number, b: number) => Buffer.from(bytes.buffer, bytes.byteOffset + a, b - a).toString('latin1');
  if (bytes.length < 10 || latin1(0, 6) !== MAGIC)
    throw new RangeError(`${source}: not a .npy file (bad magic string)`);
  const major = bytes[6]!;
  if (major < 1 || major > 3)
    throw new RangeError(`${source}: .npy format version ${major}.${bytes[7]} is not supported (1, 2 or 3)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const start = major === 1 ? 10 : 12;
  if (bytes.length < start) throw new RangeError(`${source}: truncated .npy header`);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (start + headerLen > bytes.length) {
    throw new RangeError(`${source}: header length ${headerLen} runs past the end of the file (${bytes.length} bytes)`);
  }
  const header =
    major === 3
      ? Buffer.from(bytes.buffer, bytes.byteOffset + start, headerLen).toString('utf8')
      : latin1(start, start + headerLen);
  const descr = /'descr'\s*:\s*'([<>|=])(\w\d+)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shapeMatch = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shapeMatch)
    throw new RangeError(`${source}: unreadable .npy header ${JSON.stringify(header.slice(0, 80))}`);
  const reader = READERS[descr[2]!];
  if (!reader)
    throw new RangeError(
      `${source}: dtype '${descr[1]}${descr[2]}' is not numeric (supported: ${Object.keys(READERS).join(', ')})`,
    );
  const shape = parseShape(shapeMatch[1]!, source);
  if (fortran[1] === 'True' && shape.length > 2)
    throw new RangeError(`${source}: Fortran-order arrays of rank > 2 are not supported`);
  return {
    dtype: descr[2]!,
    littleEndian: descr[1] !== '>',
    fortranOrder: fortran[1] === 'True',
    shape,
    count: elementCount(shape, source),
    itemSize: reader.size,
    dataOffset: start + headerLen,
  };
}

/**
 * Converts raw .npy elements into float64.
 * @param h - the file's header
 * @param bytes - whole elements of raw data
 * @param out - destination
 * @param first - index in `out` of the first converted element
 */
export function decodeNpyElements(h: NpyHeader, bytes: Uint8Array, out: Float64Array, first: number): void {
  const reader = READERS[h.dtype]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = Math.floor(bytes.byteLength / reader.size);
  for (let k = 0; k < count; k++) out[first + k] = reader.get(view, k * reader.size, h.littleEndian);
}

/**
 * A C-order copy of a 2-D Fortran-order array (other arrays are returned as they are).
 * @param h - the file's header
 * @param data - the elements in file order
 * @returns the elements in C order
 */
export function toCOrder(h: NpyHeader, data: Float64Array): Float64Array {
  if (!h.fortranOrder || h.shape.length !== 2) return data;
  const [rows, cols] = h.shape as [number, number];
  const c = new Float64Array(data.length);
  for (let j = 0; j < cols; j++) for (let i = 0; i < rows; i++) c[i * cols + j] = data[j * rows + i]!;
  return c;
}

/**
 * Decodes a NumPy .npy file held in memory (float64, float32 or integers; either byte order; C or Fortran order).
 * @param bytes - the file's bytes
 * @param source - name of the data for error messages
 * @returns the values as float64, C order, and the shape
 */
export function parseNpy(bytes: Uint8Array, source = '.npy data'): NpyArray {
  const h = parseNpyHeader(bytes, source);
  const offset = h.dataOffset;
  if ((bytes.length - offset) / h.itemSize < h.count) {
    throw new RangeError(
      `${source}: truncated: shape (${h.shape.join(', ')}) needs ${h.count * h.itemSize} bytes, file has ${bytes.length - offset}`,
    );
  }
  const data = new Float64Array(h.count);
  if (h.dtype === 'f8' && h.littleEndian && (bytes.byteOffset + offset) % 8 === 0) {
    data.set(new Float64Array(bytes.buffer, bytes.byteOffset + offset, h.count));
  } else {
    decodeNpyElements(h, bytes.subarray(offset, offset + h.count * h.itemSize), data, 0);
  }
  return { data: toCOrder(h, data), shape: h.shape };
}

/**
 * Reads a NumPy .npy file in chunks (any size: files over 2 GiB too; see `parseNpy`).
 * @param path - the file
 * @returns the values as float64, C order, and the shape
 */
export async function readNpy(path: string): Promise<NpyArray> {
  const { readNpyFile } = await import('./npy-file.ts');
  return readNpyFile(path);
}

/**
 * The header of a float64 C-order .npy file of the given shape (version 1.0, or 2.0 when the
 * header is too long for 1.0); the data follows it, 64-byte aligned.
 * @param shape - the array's shape
 * @returns the header's bytes
 */
export function encodeNpyHeader(shape: readonly number[]): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const version = header.length + 12 > 0xffff ? 2 : 1;
  const prefix = version === 1 ? 10 : 12;
  const unpadded = prefix + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(prefix + header.length);
  for (let k = 0; k < 6; k++) out[k] = MAGIC.charCodeAt(k);
  out[6] = version;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  for (let k = 0; k < header.length; k++) out[prefix + k] = header.charCodeAt(k);
  return out;
}

/** Values accepted by writeNpy/encodeNpy: any numeric array, converted to float64. */
export type NpyValues = Float64Array | ArrayLike<number> | ArrayBufferView;

/** A float64 copy (or the array itself) of every accepted input; TypeError for anything else. */
function toFloat64Values(name: string, data: unknown): Float64Array {
  if (data instanceof Float64Array) return data;
  if (data instanceof DataView)
    throw new TypeError(`${name}: data must be an array of numbers or a numeric typed array, got a DataView`);
  if (ArrayBuffer.isView(data) || Array.isArray(data)) {
    const values = data as unknown as ArrayLike<unknown>;
    const out = new Float64Array(values.length);
    for (let k = 0; k < values.length; k++) {
      const v = values[k];
      if (typeof v === 'number') out[k] = v;
      else if (typeof v === 'bigint') out[k] = Number(v);
      else throw new TypeError(`${name}: data element ${k} is ${v === null ? 'null' : typeof v}, not a number`);
    }
    return out;
  }
  throw new TypeError(
    `${name}: data must be a Float64Array, a numeric typed array or an array of numbers, got ${data === null ? 'null' : typeof data}`,
  );
}

function checkShape(name: string, shape: unknown): number[] {
  if (!Array.isArray(shape)) throw new TypeError(`${name}: shape must be an array of non-negative integers`);
  shape.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      throw new RangeError(`${name}: shape[${i}] must be a non-negative integer, got ${String(v)}`);
    }
  });
  return shape as number[];
}

/**
 * Encodes an array as a version 1.0 (or 2.0 for long headers) float64 C-order .npy file.
 * @param data - values in C order: a Float64Array, any numeric typed array or an array of numbers (converted to float64)
 * @param shape - the array's shape: non-negative integers whose product equals the number of values
 * @returns the file's bytes
 */
export function encodeNpy(data: NpyValues, shape: readonly number[]): Uint8Array {
  const dims = checkShape('encodeNpy', shape);
  const values = toFloat64Values('encodeNpy', data);
  const count = elementCount(dims, 'encodeNpy');
  if (count !== values.length)
    throw new RangeError(`encodeNpy: shape (${dims.join(', ')}) holds ${count} values, data has ${values.length}`);
  const header = encodeNpyHeader(dims);
  const out = new Uint8Array(header.length + values.length * 8);
  out.set(header);
  const view = new DataView(out.buffer);
  const body = header.length; // a multiple of 64, so the values are 8-byte aligned
  if (endianness() === 'LE') new Float64Array(out.buffer, body, values.length).set(values);
  else for (let k = 0; k < values.length; k++) view.setFloat64(body + 8 * k, values[k]!, true);
  return out;
}

/**
 * Writes an array as a float64 C-order .npy file (see `encodeNpy`), atomically.
 * @param path - the file to write
 * @param data - values in C order (see `encodeNpy`)
 * @param shape - the array's shape
 */
export async function writeNpy(path: string, data: NpyValues, shape: readonly number[]): Promise<void> {
  const bytes = encodeNpy(data, shape);
  await writeFileAtomic(path, bytes);
}
