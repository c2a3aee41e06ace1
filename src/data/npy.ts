/**
 * NumPy .npy files (format versions 1-3): the usual container for embeddings. Reads float64,
 * float32 and integer arrays of either byte order and memory order; writes float64 C-order.
 */
import { writeFile } from 'node:fs/promises';

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
 * header). Throws a RangeError naming `source` for anything that is not a numeric array.
 */
export function parseNpyHeader(bytes: Uint8Array, source = '.npy data'): NpyHeader {
  const text = (a: number, b: number) => String.fromCharCode(...bytes.subarray(a, b));
  if (bytes.length < 10 || text(0, 6) !== MAGIC) throw new RangeError(`${source}: not a .npy file (bad magic string)`);
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (bytes.length < start + headerLen) throw new RangeError(`${source}: truncated .npy header`);
  const header = text(start, start + headerLen);
  const descr = /'descr'\s*:\s*'([<>|=])(\w\d+)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shapeMatch = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shapeMatch) throw new RangeError(`${source}: unreadable .npy header ${JSON.stringify(header)}`);
  const reader = READERS[descr[2]!];
  if (!reader) throw new RangeError(`${source}: dtype '${descr[1]}${descr[2]}' is not numeric (supported: ${Object.keys(READERS).join(', ')})`);
  const shape = shapeMatch[1]!.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  if (fortran[1] === 'True' && shape.length > 2) throw new RangeError(`${source}: Fortran-order arrays of rank > 2 are not supported`);
  return {
    dtype: descr[2]!,
    littleEndian: descr[1] !== '>',
    fortranOrder: fortran[1] === 'True',
    shape,
    count: shape.reduce((a, b) => a * b, 1),
    itemSize: reader.size,
    dataOffset: start + headerLen,
  };
}

/** Converts `count` elements of raw .npy data at `bytes` into `out` starting at element `first`. */
export function decodeNpyElements(h: NpyHeader, bytes: Uint8Array, out: Float64Array, first: number): void {
  const reader = READERS[h.dtype]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = Math.floor(bytes.byteLength / reader.size);
  for (let k = 0; k < count; k++) out[first + k] = reader.get(view, k * reader.size, h.littleEndian);
}

/** A C-order copy of a 2-D Fortran-order array (other arrays are returned as they are). */
export function toCOrder(h: NpyHeader, data: Float64Array): Float64Array {
  if (!h.fortranOrder || h.shape.length !== 2) return data;
  const [rows, cols] = h.shape as [number, number];
  const c = new Float64Array(data.length);
  for (let j = 0; j < cols; j++) for (let i = 0; i < rows; i++) c[i * cols + j] = data[j * rows + i]!;
  return c;
}

export function parseNpy(bytes: Uint8Array, source = '.npy data'): NpyArray {
  const h = parseNpyHeader(bytes, source);
  const offset = h.dataOffset;
  if (bytes.length - offset < h.count * h.itemSize) {
    throw new RangeError(`${source}: truncated: shape (${h.shape.join(', ')}) needs ${h.count * h.itemSize} bytes, file has ${bytes.length - offset}`);
  }
  const data = new Float64Array(h.count);
  if (h.dtype === 'f8' && h.littleEndian && (bytes.byteOffset + offset) % 8 === 0) {
    data.set(new Float64Array(bytes.buffer, bytes.byteOffset + offset, h.count));
  } else {
    decodeNpyElements(h, bytes.subarray(offset, offset + h.count * h.itemSize), data, 0);
  }
  return { data: toCOrder(h, data), shape: h.shape };
}

/** Reads a .npy file in chunks (any size: files over 2 GiB too). */
export async function readNpy(path: string): Promise<NpyArray> {
  const { readNpyFile } = await import('./npy-file.ts');
  return readNpyFile(path);
}

/** The header of a version 1.0 float64 C-order .npy file of the given shape (data follows it). */
export function encodeNpyHeader(shape: readonly number[]): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length);
  for (let k = 0; k < 6; k++) out[k] = MAGIC.charCodeAt(k);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let k = 0; k < header.length; k++) out[10 + k] = header.charCodeAt(k);
  return out;
}

/** Encodes a float64 C-order array as a version 1.0 .npy file. */
export function encodeNpy(data: Float64Array, shape: readonly number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new RangeError(`encodeNpy: shape (${shape.join(', ')}) holds ${count} values, data has ${data.length}`);
  const header = encodeNpyHeader(shape);
  const out = new Uint8Array(header.length + data.length * 8);
  out.set(header);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), header.length);
  return out;
}

export async function writeNpy(path: string, data: Float64Array, shape: readonly number[]): Promise<void> {
  await writeFile(path, encodeNpy(data, shape));
}
