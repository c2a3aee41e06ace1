/**
 * Reads .npy files from disk in chunks, so files over 2 GiB (where fs.readFile fails with
 * ERR_FS_FILE_TOO_LARGE) load, float64 data lands in its array without an intermediate copy,
 * and a caller can hash every byte as it passes (artifact checksums need no second read). The
 * next chunk is read (on libuv's thread pool) while the caller hashes the current one, so
 * reading and checking a large artifact takes about the longer of the two, not their sum.
 */
import { open } from 'node:fs/promises';
import { decodeNpyElements, parseNpyHeader, toCOrder, type NpyArray, type NpyHeader } from './npy.ts';

export interface NpyFileOptions {
  /** Bytes per read. Default 32 MiB (tests force small values). */
  chunkBytes?: number;
  /** Receives every byte of the file in order (header included), for checksums. */
  onBytes?: (chunk: Uint8Array) => void;
  /**
   * Little-endian float64 data in a SharedArrayBuffer: native calls read such arrays in place
   * instead of copying them per call (a buffer that cannot be detached or resized needs no
   * private copy), which matters for training data scored against again and again.
   */
  shared?: boolean;
}

export interface NpyFileArray extends NpyArray {
  header: NpyHeader;
  /** Size of the file in bytes. */
  fileBytes: number;
}

const DEFAULT_CHUNK = 32 * 1024 * 1024;

export async function readNpyFile(path: string, options: NpyFileOptions = {}): Promise<NpyFileArray> {
  const chunkBytes = Math.max(1, Math.floor(options.chunkBytes ?? DEFAULT_CHUNK));
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const prefix = await readAt(fh, 0, Math.min(size, 12), path);
    let headerEnd = 10;
    if (prefix.length >= 10) {
      const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
      headerEnd =
        prefix[6] === 1 ? 10 + view.getUint16(8, true) : prefix.length >= 12 ? 12 + view.getUint32(8, true) : 12;
    }
    const headBytes = await readAt(fh, 0, Math.min(size, headerEnd), path);
    const header = parseNpyHeader(headBytes, path);
    options.onBytes?.(headBytes);
    const dataBytes = header.count * header.itemSize;
    if (size - header.dataOffset < dataBytes) {
      throw new RangeError(
        `${path}: truncated: shape (${header.shape.join(', ')}) needs ${dataBytes} bytes, file has ${size - header.dataOffset}`,
      );
    }
    let position = header.dataOffset;
    let data: Float64Array;
    if (header.dtype === 'f8' && header.littleEndian) {
      // Straight into the result's memory (unzeroed when private: every byte is read below, or we throw).
      data = new Float64Array(
        options.shared ? new SharedArrayBuffer(dataBytes) : Buffer.allocUnsafeSlow(dataBytes).buffer,
        0,
        header.count,
      );
      const target = new Uint8Array(data.buffer, 0, dataBytes);
      const chunk = (at: number) => target.subarray(at, Math.min(at + chunkBytes, dataBytes));
      let reading = dataBytes > 0 ? readInto(fh, chunk(0), position, path) : undefined;
      for (let at = 0; at < dataBytes; ) {
        await reading;
        const current = chunk(at);
        at += current.byteLength;
        // The next read runs while this chunk is hashed.
        reading = at < dataBytes ? readInto(fh, chunk(at), position + current.byteLength, path) : undefined;
        reading?.catch(() => {}); // awaited in the next turn; a failure of onBytes must not leave it unhandled
        options.onBytes?.(current);
        position += current.byteLength;
      }
    } else {
      data = new Float64Array(header.count);
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
