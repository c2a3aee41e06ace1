/**
 * The on-disk artifact format: a directory holding `manifest.json` (versioned, with its own
 * checksum) and one float64 `.npy` file per array, each listed in the manifest with its shape,
 * size and sha256. Readers check everything before any number is used, and every failure is
 * an ArtifactError naming the file.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeNpyHeader } from '../data/npy.ts';
import { readNpyFile } from '../data/npy-file.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { sha256Hex } from '../hash.ts';

export const ARTIFACT_FORMAT = 'tdakit-artifact' as const;
/** Bumped whenever a reader of the previous version would misread a new artifact. */
export const ARTIFACT_VERSION = 1;
export const MANIFEST_FILE = 'manifest.json';

/** An artifact that cannot be used: missing, truncated, edited, or not what the caller asked for. */
export class ArtifactError extends Error {
  readonly code = 'ERR_TDAKIT_ARTIFACT';
  /** The file (or directory) at fault. */
  readonly file: string;
  constructor(file: string, problem: string, options?: { cause?: unknown }) {
    super(`${file}: ${problem}`, options);
    this.name = 'ArtifactError';
    this.file = file;
  }
}

export interface ArrayEntry {
  file: string;
  dtype: '<f8';
  shape: number[];
  /** Size of the .npy file in bytes (header included). */
  bytes: number;
  /** sha256 of the whole .npy file. */
  sha256: string;
}

/** Where the training data lives: inside the artifact, or in a file checked by hash. */
export type DataEntry =
  | { mode: 'embedded'; rows: number; cols: number; xSha256: string; ySha256: string }
  | {
      mode: 'reference';
      rows: number;
      cols: number;
      xSha256: string;
      ySha256: string;
      /** Absolute path of the data file when the artifact was saved. */
      path: string;
      /** Label column of that file (as the CLI's --label takes it). */
      label?: string | number;
      /** sha256 of the data file's bytes. */
      fileSha256: string;
    };

/** The JSON manifest of an artifact directory: format version, kind, options and each array's shape and sha256. */
export interface Manifest {
  format: typeof ARTIFACT_FORMAT;
  version: number;
  /** 'model': a fitted model; 'influence': a fitted model plus its factored influence state. */
  kind: 'model' | 'influence';
  /** The model type: 'logistic', 'ridge', 'softmax' or 'mlp'. */
  model: string;
  created: string;
  library: { name: 'tdakit'; version: string };
  /** The model's resolved options. */
  options: Record<string, unknown>;
  /** Scalars of the fitted state (objective, diagnostics, ...), finite numbers. */
  scalars: Record<string, number>;
  arrays: Record<string, ArrayEntry>;
  data: DataEntry;
  /** sha256 of this manifest written without this field (JSON, two-space indent). */
  checksum: string;
}

export type ManifestBody = Omit<Manifest, 'checksum' | 'format' | 'version' | 'created' | 'library' | 'arrays'>;

function manifestText(body: object): string {
  return JSON.stringify(body, null, 2) + '\n';
}

/** Collects the arrays of an artifact in a (temporary) directory, then writes its manifest. */
export class ArtifactWriter {
  private readonly arrays: Record<string, ArrayEntry> = {};
  constructor(private readonly dir: string) {}

  async array(name: string, data: Float64Array, shape: readonly number[]): Promise<void> {
    const count = shape.reduce((a, b) => a * b, 1);
    if (count !== data.length)
      throw new RangeError(
        `artifact array '${name}': shape (${shape.join(', ')}) holds ${count} values, got ${data.length}`,
      );
    const header = encodeNpyHeader(shape);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const file = `${name}.npy`;
    await writeFileAtomic(join(this.dir, file), [header, bytes]);
    this.arrays[name] = {
      file,
      dtype: '<f8',
      shape: [...shape],
      bytes: header.length + bytes.length,
      sha256: sha256Hex(header, bytes),
    };
  }

  async finish(body: ManifestBody, libraryVersion: string): Promise<Manifest> {
    for (const [k, v] of Object.entries(body.scalars)) {
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw new RangeError(`artifact: scalar '${k}' is ${v}, not a finite number`);
    }
    const unsigned = {
      format: ARTIFACT_FORMAT,
      version: ARTIFACT_VERSION,
      kind: body.kind,
      model: body.model,
      created: new Date().toISOString(),
      library: { name: 'tdakit' as const, version: libraryVersion },
      options: body.options,
      scalars: body.scalars,
      arrays: this.arrays,
      data: body.data,
    };
    const manifest: Manifest = { ...unsigned, checksum: sha256Hex(new TextEncoder().encode(manifestText(unsigned))) };
    await writeFileAtomic(join(this.dir, MANIFEST_FILE), manifestText(manifest));
    return manifest;
  }
}

/** Reads and checks an artifact's manifest; arrays are read (and checked) on demand. */
export class ArtifactReader {
  private constructor(
    readonly dir: string,
    readonly manifest: Manifest,
  ) {}

  static async open(dir: string): Promise<ArtifactReader> {
    if (typeof dir !== 'string' || dir === '')
      throw new TypeError(`artifact directory: must be a non-empty string, got ${String(dir)}`);
    const info = await stat(dir).catch(() => undefined);
    if (!info) throw new ArtifactError(dir, 'no such artifact directory');
    if (!info.isDirectory()) throw new ArtifactError(dir, 'is a file, not an artifact directory');
    const file = join(dir, MANIFEST_FILE);
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) throw new ArtifactError(file, 'missing: not a tdakit artifact (or an interrupted write)');
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw new ArtifactError(file, 'is not valid JSON (truncated or edited)', { cause: err });
    }
    if (parsed === null || typeof parsed !== 'object' || parsed.format !== ARTIFACT_FORMAT) {
      throw new ArtifactError(file, `is not a tdakit artifact manifest (format ${JSON.stringify(parsed?.format)})`);
    }
    const version = parsed.version;
    if (typeof version !== 'number' || !Number.isInteger(version) || version < 1)
      throw new ArtifactError(file, `has an invalid format version ${JSON.stringify(version)}`);
    if (version > ARTIFACT_VERSION) {
      throw new ArtifactError(
        file,
        `was written in artifact format version ${version} by a newer tdakit; this one reads version ${ARTIFACT_VERSION}: upgrade tdakit`,
      );
    }
    const { checksum, ...unsigned } = parsed;
    if (sha256Hex(new TextEncoder().encode(manifestText(unsigned))) !== checksum) {
      throw new ArtifactError(file, 'checksum mismatch: the manifest was edited or corrupted');
    }
    return new ArtifactReader(dir, parsed as unknown as Manifest);
  }

  /** Throws unless the artifact holds the expected kind (and, when given, model type). */
  expect(kinds: readonly Manifest['kind'][], models: readonly string[], who: string): void {
    const file = join(this.dir, MANIFEST_FILE);
    const m = this.manifest;
    if (!kinds.includes(m.kind))
      throw new ArtifactError(
        file,
        `holds a '${m.kind}' artifact; ${who} needs ${kinds.map((k) => `'${k}'`).join(' or ')}`,
      );
    if (!models.includes(m.model))
      throw new ArtifactError(
        file,
        `holds a '${m.model}' model; ${who} loads ${models.map((k) => `'${k}'`).join(' or ')}`,
      );
  }

  has(name: string): boolean {
    return Object.hasOwn(this.manifest.arrays, name);
  }

  /** Reads array `name`, checking its size, hash and shape (against the manifest and `shape`). */
  async array(name: string, shape?: readonly number[], options: { chunkBytes?: number } = {}): Promise<Float64Array> {
    const entry = this.manifest.arrays[name];
    if (!entry) throw new ArtifactError(join(this.dir, MANIFEST_FILE), `lists no array '${name}'`);
    const file = join(this.dir, entry.file);
    if (shape && (shape.length !== entry.shape.length || shape.some((s, k) => s !== entry.shape[k]))) {
      throw new ArtifactError(
        file,
        `has shape (${entry.shape.join(', ')}) in the manifest, expected (${shape.join(', ')})`,
      );
    }
    const info = await stat(file).catch(() => undefined);
    if (!info) throw new ArtifactError(file, 'missing');
    if (info.size !== entry.bytes)
      throw new ArtifactError(file, `has ${info.size} bytes, the manifest says ${entry.bytes} (truncated or replaced)`);
    const hash = createHash('sha256');
    let read: Awaited<ReturnType<typeof readNpyFile>>;
    try {
      // Shared memory: native calls (scoring, refits) then read the arrays in place, not a copy per call.
      read = await readNpyFile(file, { onBytes: (c) => hash.update(c), ...options, shared: true });
    } catch (err) {
      throw new ArtifactError(file, `unreadable: ${(err as Error).message}`, { cause: err });
    }
    if (hash.digest('hex') !== entry.sha256)
      throw new ArtifactError(file, 'sha256 mismatch: the file was edited or corrupted');
    if (
      read.header.dtype !== 'f8' ||
      read.shape.length !== entry.shape.length ||
      read.shape.some((s, k) => s !== entry.shape[k])
    ) {
      throw new ArtifactError(
        file,
        `holds ${read.header.dtype} (${read.shape.join(', ')}), the manifest says <f8 (${entry.shape.join(', ')})`,
      );
    }
    return read.data;
  }
}
