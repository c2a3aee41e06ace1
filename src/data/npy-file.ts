/**
 * Reads .npy files from disk in chunks, so files over 2 GiB (where fs.readFile fails with
 * ERR_FS_FILE_TOO_LARGE) load, float64 data lands in its array without an intermediate copy,
 * and a caller can hash every byte as it passes (artifact checksums need no second read).
 */
import { open } from 'node:fs/promises';
import { decodeNpyElements, parseNpyHeader, toCOrder, type NpyArray, type NpyHeader } from './npy.ts';

export interface NpyFileOptions {
  /** Bytes per read. Default 64 MiB (tests force small values). */
  chunkBytes?: number;
  /** Receives every byte of the file in order (header included), for checksums. */
  onBytes?: (chunk: Uint8Array) => void;
}

export interface NpyFileArray extends NpyArray {
  header: NpyHeader;
  /** Size of the file in bytes. */
  fileBytes: number;
}

const DEFAULT_CHUNK = 64 * 1024 * 1024;

export async function readNpyFile(path: string, options: NpyFileOptions = {}): Promise<NpyFileArray> {
  const chunkBytes = Math.max(1, Math.floor(options.chunkBytes ?? DEFAULT_CHUNK));
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const prefix = await readAt(fh, 0, Math.min(size, 12), path);
    let headerEnd = 10;
    if (prefix.length >= 10) {
      const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
      headerEnd = prefix[6] === 1 ? 10 + view.getUint16(8, true) : prefix.length >= 12 ? 12 + view.getUint32(8, true) : 12;
    }
    const headBytes = await readAt(fh, 0, Math.min(size, headerEnd), path);
    const header = parseNpyHeader(headBytes, path);
    options.onBytes?.(headBytes);
    const dataBytes = header.count * header.itemSize;
    if (size - header.dataOffset < dataBytes) {
      throw new RangeError(`${path}: truncated: shape (${header.shape.join(', ')}) needs ${dataBytes} bytes, file has ${size - header.dataOffset}`);
    }
    const data = new Float64Array(header.count);
    let position = header.dataOffset;
    if (header.dtype === 'f8' && header.littleEndian) {
      // Straight into the result's memory.
      const target = new Uint8Array(data.buffer);
      for (let at = 0; at < dataBytes; ) {
        const len = Math.min(chunkBytes, dataBytes - at);
        await readInto(fh, target.subarray(at, at + len), position, path);
        options.onBytes?.(target.subarray(at, at + len));
        at += len;
        position += len;
      }
    } else {
      // Whole elements per chunk, so none straddles two reads.
      const perChunk = Math.max(1, Math.floor(chunkBytes / header.itemSize));
      const buffer = new Uint8Array(Math.min(perChunk * header.itemSize, dataBytes));
      for (let first = 0; first < header.count; ) {
        const count = Math.min(perChunk, header.count - first);
        const piece = buffer.subarray(0, count * header.itemSize);
        await readInto(fh, piece, position, path);
        options.onBytes?.(piece);
        decodeNpyElements(header, piece, data, first);
        first += count;
        position += piece.byteLength;
      }
    }
    if (options.onBytes && position < size) {
      // Trailing bytes belong to the file's checksum too.
      for (; position < size; ) {
        const len = Math.min(chunkBytes, size - position);
        options.onBytes(await readAt(fh, position, len, path));
        position += len;
      }
    }
    return { data: toCOrder(header, data), shape: header.shape, header, fileBytes: size };
  } finally {
    await fh.close();
  }
}

type Handle = Awaited<ReturnType<typeof open>>;

async function readAt(fh: Handle, position: number, length: number, path: string): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  await readInto(fh, out, position, path);
  return out;
}

/** Fills `target` from `position` (fh.read may return fewer bytes than asked). */
async function readInto(fh: Handle, target: Uint8Array, position: number, path: string): Promise<void> {
  for (let at = 0; at < target.byteLength; ) {
    const len = Math.min(target.byteLength - at, 1 << 30);
    const { bytesRead } = await fh.read(target, at, len, position + at);
    if (bytesRead === 0) throw new RangeError(`${path}: truncated: ended after ${position + at} bytes`);
    at += bytesRead;
  }
}
