/**
 * NumPy .npy files (format versions 1-3): the usual container for embeddings. Reads float64,
 * float32 and integer arrays of either byte order and memory order; writes float64 C-order.
 */
import { readFile, writeFile } from 'node:fs/promises';

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

/**
 * Decodes a NumPy .npy file held in memory (float64, float32 or integers; either byte order; C or Fortran order).
 * @param bytes - the file's bytes
 * @param source - name of the data for error messages
 * @returns the values as float64, C order, and the shape
 */
export function parseNpy(bytes: Uint8Array, source = '.npy data'): NpyArray {
  const text = (a: number, b: number) => String.fromCharCode(...bytes.subarray(a, b));
  if (bytes.length < 10 || text(0, 6) !== MAGIC) throw new RangeError(`${source}: not a .npy file (bad magic string)`);
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = text(start, start + headerLen);
  const descr = /'descr'\s*:\s*'([<>|=])(\w\d+)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shapeMatch = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shapeMatch) throw new RangeError(`${source}: unreadable .npy header ${JSON.stringify(header)}`);
  const reader = READERS[descr[2]!];
  if (!reader) throw new RangeError(`${source}: dtype '${descr[1]}${descr[2]}' is not numeric (supported: ${Object.keys(READERS).join(', ')})`);
  const littleEndian = descr[1] !== '>';
  const shape = shapeMatch[1]!.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLen;
  if (bytes.length - offset < count * reader.size) {
    throw new RangeError(`${source}: truncated: shape (${shape.join(', ')}) needs ${count * reader.size} bytes, file has ${bytes.length - offset}`);
  }
  const data = new Float64Array(count);
  if (descr[2] === 'f8' && littleEndian && (bytes.byteOffset + offset) % 8 === 0) {
    data.set(new Float64Array(bytes.buffer, bytes.byteOffset + offset, count));
  } else {
    for (let k = 0; k < count; k++) data[k] = reader.get(view, offset + k * reader.size, littleEndian);
  }
  if (fortran[1] === 'True' && shape.length === 2) {
    const [rows, cols] = shape as [number, number];
    const c = new Float64Array(count);
    for (let j = 0; j < cols; j++) for (let i = 0; i < rows; i++) c[i * cols + j] = data[j * rows + i]!;
    return { data: c, shape };
  }
  if (fortran[1] === 'True' && shape.length > 2) throw new RangeError(`${source}: Fortran-order arrays of rank > 2 are not supported`);
  return { data, shape };
}

/**
 * Reads a NumPy .npy file (see `parseNpy`).
 * @param path - the file
 * @returns the values as float64, C order, and the shape
 */
export async function readNpy(path: string): Promise<NpyArray> {
  return parseNpy(new Uint8Array(await readFile(path)), path);
}

/**
 * Encodes a float64 C-order array as a version 1.0 .npy file.
 * @param data - float64 values in C order
 * @param shape - the array's shape; its product must equal data.length
 * @returns the file's bytes
 */
export function encodeNpy(data: Float64Array, shape: readonly number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new RangeError(`encodeNpy: shape (${shape.join(', ')}) holds ${count} values, data has ${data.length}`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.length * 8);
  for (let k = 0; k < 6; k++) out[k] = MAGIC.charCodeAt(k);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let k = 0; k < header.length; k++) out[10 + k] = header.charCodeAt(k);
  new Uint8Array(out.buffer, 10 + header.length).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return out;
}

/**
 * Writes a float64 C-order array as a .npy file (see `encodeNpy`).
 * @param path - the file to write
 * @param data - float64 values in C order
 * @param shape - the array's shape
 */
export async function writeNpy(path: string, data: Float64Array, shape: readonly number[]): Promise<void> {
  await writeFile(path, encodeNpy(data, shape));
}
