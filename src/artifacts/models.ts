/**
 * Saving and loading fitted models (every model type) as artifacts. The model classes keep
 * only one-line hooks (`save` and static `load`); what is stored and how it is checked is here.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { BackendName } from '../backend/index.ts';
import { readLabelled } from '../data/labelled.ts';
import { assertMatrix, Matrix } from '../data/matrix.ts';
import { toFloat64 } from '../data/validate.ts';
import { PACKAGE_ROOT } from '../package-root.ts';
import type { FitDiagnostics, GeneralizedLinearModel, GlmState } from '../models/glm.ts';
import type { MultilayerPerceptron, ResolvedMlpOptions } from '../models/mlp.ts';
import { resolveGlmOptions } from '../models/options.ts';
import type { SoftmaxRegression } from '../models/softmax.ts';
import { writeDirectoryAtomic } from './atomic.ts';
import {
  ArtifactError,
  ArtifactReader,
  ArtifactWriter,
  MANIFEST_FILE,
  type DataEntry,
  type Manifest,
  type ManifestBody,
} from './format.ts';
import { fileSha256, sha256Hex } from '../hash.ts';

/** Every model type that saves itself. */
export type SavableModel = GeneralizedLinearModel | SoftmaxRegression | MultilayerPerceptron;

/** How `save(dir)` writes an artifact. */
export interface ArtifactSaveOptions {
  /**
   * Training data: 'embed' (default) stores X and y in the artifact; `{ path, label }` stores
   * only a reference to the file they were read from (CSV, .npy, Parquet or Arrow, read as the
   * CLI reads it), checked against the model's data now and by hash on every load.
   */
  data?: 'embed' | { path: string; label?: string | number };
}

/** What `load(dir)` needs besides the artifact (the training data when it is referenced, not embedded). */
export interface ArtifactLoadOptions {
  /** The training data in memory (checked by hash) instead of the artifact's copy or reference. */
  data?: { X: Matrix; y: Float64Array | readonly number[] };
  /** Where the referenced data file lives now (when it moved since saving; checked by hash). */
  dataPath?: string;
  /** Kernel backend of the loaded model. Default: the one it was saved with. */
  backend?: BackendName;
  /** Bytes per read of large arrays (tests force small values). */
  chunkBytes?: number;
}

/** A model artifact read and checked, before the model object is built from it. */
export interface LoadedModelParts {
  reader: ArtifactReader;
  manifest: Manifest;
  X: Matrix;
  y: Float64Array;
  theta: Float64Array;
  weights?: Float64Array;
}

let libraryVersion: Promise<string> | undefined;
/** This package's version, from its package.json. */
export function tdakitVersion(): Promise<string> {
  libraryVersion ??= readFile(join(PACKAGE_ROOT, 'package.json'), 'utf8')
    .then((t) => String((JSON.parse(t) as { version?: string }).version ?? 'unknown'))
    .catch(() => 'unknown');
  return libraryVersion;
}

/** The parts of a model that go into its artifact (all public state). */
function modelParts(model: SavableModel): {
  options: Record<string, unknown>;
  scalars: Record<string, number>;
  arrays: Record<string, Float64Array>;
} {
  switch (model.kind) {
    case 'logistic':
    case 'ridge': {
      const m = model as GeneralizedLinearModel;
      return {
        options: { ...m.options },
        scalars: {
          totalWeight: m.totalWeight,
          penalty: m.penalty,
          objective: m.objective(),
          ...diagnosticScalars(m.diagnostics),
        },
        arrays: { theta: m.theta, weights: m.weights },
      };
    }
    case 'softmax': {
      const m = model as SoftmaxRegression;
      return {
        options: { ...m.options },
        scalars: { totalWeight: m.totalWeight, ...diagnosticScalars(m.diagnostics) },
        arrays: { theta: m.theta, weights: m.weights },
      };
    }
    case 'mlp': {
      const m = model as MultilayerPerceptron;
      return { options: { ...m.options, hidden: [...m.options.hidden] }, scalars: {}, arrays: { theta: m.theta } };
    }
    default:
      throw new TypeError(`save: not a fitted tdakit model (kind ${String((model as { kind?: unknown })?.kind)})`);
  }
}

/** Writes the model's arrays, data and manifest body into an artifact being built. */
export async function writeModelParts(
  w: ArtifactWriter,
  model: SavableModel,
  options: ArtifactSaveOptions,
): Promise<Omit<ManifestBody, 'kind'>> {
  const parts = modelParts(model);
  for (const [name, a] of Object.entries(parts.arrays)) await w.array(name, a, [a.length]);
  const X = model.X,
    y = model.y;
  const hashes = { rows: X.rows, cols: X.cols, xSha256: sha256Hex(X.data), ySha256: sha256Hex(y) };
  let data: DataEntry;
  const spec = options.data ?? 'embed';
  if (spec === 'embed') {
    await w.array('X', X.data, [X.rows, X.cols]);
    await w.array('y', y, [y.length]);
    data = { mode: 'embedded', ...hashes };
  } else if (spec !== null && typeof spec === 'object' && typeof spec.path === 'string') {
    const path = resolve(spec.path);
    const file = await readLabelled(path, spec.label ?? -1);
    if (
      sha256Hex(file.X.data) !== hashes.xSha256 ||
      file.X.rows !== X.rows ||
      file.X.cols !== X.cols ||
      sha256Hex(file.y!) !== hashes.ySha256
    ) {
      throw new RangeError(
        `save: options.data.path: ${spec.path} does not hold the data the model was fitted on (label column ${String(spec.label ?? -1)})`,
      );
    }
    data = {
      mode: 'reference',
      ...hashes,
      path,
      ...(spec.label !== undefined ? { label: spec.label } : {}),
      fileSha256: await fileSha256(path),
    };
  } else {
    throw new TypeError(`save: options.data must be 'embed' or { path, label? }, got ${JSON.stringify(spec)}`);
  }
  return { model: model.kind, options: parts.options, scalars: parts.scalars, data };
}

/** model.save(dir): the artifact of a fitted model, written atomically. */
export async function saveModel(model: SavableModel, dir: string, options: ArtifactSaveOptions = {}): Promise<void> {
  await writeDirectoryAtomic(dir, MANIFEST_FILE, async (tmp) => {
    const w = new ArtifactWriter(tmp);
    const body = await writeModelParts(w, model, options);
    await w.finish({ kind: 'model', ...body }, await tdakitVersion());
  });
}

/** Opens a model (or influence) artifact of one of `models` and reads the model's arrays and data. */
export async function readModelParts(
  dir: string,
  models: readonly string[],
  who: string,
  options: ArtifactLoadOptions = {},
): Promise<LoadedModelParts> {
  if (options === null || typeof options !== 'object') throw new TypeError(`${who}: options must be an object`);
  const reader = await ArtifactReader.open(dir);
  reader.expect(['model', 'influence'], models, who);
  const manifest = reader.manifest;
  const { X, y } = await trainingData(reader, who, options);
  const theta = await reader.array('theta', undefined, options);
  const weights = reader.has('weights') ? await reader.array('weights', [X.rows], options) : undefined;
  return { reader, manifest, X, y, theta, ...(weights ? { weights } : {}) };
}

async function trainingData(
  reader: ArtifactReader,
  who: string,
  options: ArtifactLoadOptions,
): Promise<{ X: Matrix; y: Float64Array }> {
  const entry = reader.manifest.data;
  const shape = [entry.rows, entry.cols];
  let X: Matrix, y: Float64Array, source: string;
  if (options.data !== undefined) {
    X = assertMatrix(`${who}: options.data.X`, options.data.X);
    y = toFloat64(`${who}: options.data.y`, options.data.y, X.rows);
    source = 'options.data';
  } else if (entry.mode === 'embedded') {
    const data = await reader.array('X', shape, options);
    return { X: new Matrix(data, entry.rows, entry.cols), y: await reader.array('y', [entry.rows], options) };
  } else {
    source = options.dataPath ?? entry.path;
    let file: Awaited<ReturnType<typeof readLabelled>>;
    try {
      file = await readLabelled(source, entry.label ?? -1);
    } catch (err) {
      throw new ArtifactError(source, `the artifact's training data cannot be read: ${(err as Error).message}`, {
        cause: err,
      });
    }
    // Into shared memory once, like embedded arrays: native calls then read it in place.
    const shared = new Float64Array(new SharedArrayBuffer(file.X.data.byteLength));
    shared.set(file.X.data);
    X = new Matrix(shared, file.X.rows, file.X.cols);
    y = file.y!;
  }
  if (X.rows !== entry.rows || X.cols !== entry.cols) {
    throw new ArtifactError(
      source,
      `is ${X.rows} x ${X.cols}; the model in ${reader.dir} was fitted on ${entry.rows} x ${entry.cols} training data`,
    );
  }
  if (sha256Hex(X.data) !== entry.xSha256 || sha256Hex(y) !== entry.ySha256) {
    throw new ArtifactError(
      source,
      `does not hold the training data the model in ${reader.dir} was fitted on (sha256 differs)`,
    );
  }
  return { X, y };
}

function scalar(parts: LoadedModelParts, name: string): number {
  const v = parts.manifest.scalars[name];
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new ArtifactError(join(parts.reader.dir, MANIFEST_FILE), `scalar '${name}' is missing or not finite`);
  return v;
}

function options<T>(parts: LoadedModelParts, backend: BackendName | undefined): T {
  return { ...(parts.manifest.options as T), ...(backend ? { backend } : {}) };
}

/** LogisticRegression.load / RidgeRegression.load: the GLM state of an artifact. */
export async function loadGlm<T>(
  dir: string,
  kind: 'logistic' | 'ridge',
  who: string,
  o: ArtifactLoadOptions,
  make: (state: GlmState) => T,
): Promise<T> {
  const parts = await readModelParts(dir, [kind], who, o);
  const resolved = resolveGlmOptions(who, options(parts, o.backend));
  const p = parts.X.cols + (resolved.fitIntercept ? 1 : 0);
  if (parts.theta.length !== p)
    throw new ArtifactError(
      join(dir, 'theta.npy'),
      `has ${parts.theta.length} parameters, the data and options need ${p}`,
    );
  if (!parts.weights) throw new ArtifactError(join(dir, MANIFEST_FILE), 'lists no example weights');
  // An influence artifact also holds the Hessian at the optimum: refits then only factor it.
  const hessian = parts.manifest.kind === 'influence' ? await parts.reader.array('hessian', [p, p], o) : undefined;
  return make({
    X: parts.X,
    y: parts.y,
    weights: parts.weights,
    options: resolved,
    totalWeight: scalar(parts, 'totalWeight'),
    penalty: scalar(parts, 'penalty'),
    theta: parts.theta,
    objective: scalar(parts, 'objective'),
    diagnostics: diagnostics(parts),
    ...(hessian ? { hessianAtFit: hessian } : {}),
  });
}

export function diagnostics(parts: LoadedModelParts): FitDiagnostics {
  const extra = parts.manifest.scalars;
  const stop = extra.stoppedBy;
  return {
    gradientNorm: scalar(parts, 'gradientNorm'),
    gradientScale: scalar(parts, 'gradientScale'),
    newtonIterations: scalar(parts, 'newtonIterations'),
    chordIterations: scalar(parts, 'chordIterations'),
    ...(extra.krylovIterations !== undefined ? { krylovIterations: scalar(parts, 'krylovIterations') } : {}),
    ...(stop !== undefined ? { stoppedBy: STOP_REASONS[scalar(parts, 'stoppedBy')] ?? 'tolerance' } : {}),
    ...(extra.roundingFloor !== undefined ? { roundingFloor: scalar(parts, 'roundingFloor') } : {}),
  };
}

// Manifest scalars are finite numbers: stoppedBy is stored as its index here.
const STOP_REASONS = ['tolerance', 'rounding-floor', 'stalled'] as const;

/** A fit's diagnostics as manifest scalars (krylovIterations, stoppedBy and roundingFloor only where the fit has them). */
function diagnosticScalars(d: Readonly<FitDiagnostics>): Record<string, number> {
  const out: Record<string, number> = {
    gradientNorm: d.gradientNorm,
    gradientScale: d.gradientScale,
    newtonIterations: d.newtonIterations,
    chordIterations: d.chordIterations,
  };
  if (d.krylovIterations !== undefined) out.krylovIterations = d.krylovIterations;
  if (d.stoppedBy !== undefined) out.stoppedBy = STOP_REASONS.indexOf(d.stoppedBy);
  if (d.roundingFloor !== undefined) out.roundingFloor = d.roundingFloor;
  return out;
}

/** SoftmaxRegression.load: arguments of its constructor. */
export async function loadSoftmax<T>(
  dir: string,
  who: string,
  o: ArtifactLoadOptions,
  make: (
    theta: Float64Array,
    X: Matrix,
    y: Float64Array,
    weights: Float64Array,
    options: SoftmaxRegression['options'],
    d: ReturnType<typeof diagnostics>,
    totalWeight: number,
  ) => T,
): Promise<T> {
  const parts = await readModelParts(dir, ['softmax'], who, o);
  const opts = options<SoftmaxRegression['options']>(parts, o.backend);
  const p = (opts.classes - 1) * (parts.X.cols + (opts.fitIntercept ? 1 : 0));
  if (parts.theta.length !== p)
    throw new ArtifactError(
      join(dir, 'theta.npy'),
      `has ${parts.theta.length} parameters, the data and options need ${p}`,
    );
  if (!parts.weights) throw new ArtifactError(join(dir, MANIFEST_FILE), 'lists no example weights');
  // W is the original fit's total weight, not this model's: a refit after removals has less.
  // Artifacts written before W was stored hold an original fit (refits were not saved).
  const totalWeight =
    parts.manifest.scalars.totalWeight !== undefined
      ? scalar(parts, 'totalWeight')
      : parts.weights.reduce((a, b) => a + b, 0);
  if (!(totalWeight > 0))
    throw new ArtifactError(join(dir, MANIFEST_FILE), `scalar 'totalWeight' must be > 0, got ${totalWeight}`);
  return make(parts.theta, parts.X, parts.y, parts.weights, opts, diagnostics(parts), totalWeight);
}

/** MultilayerPerceptron.load: arguments of its constructor. */
export async function loadMlp<T>(
  dir: string,
  who: string,
  o: ArtifactLoadOptions,
  make: (theta: Float64Array, X: Matrix, y: Float64Array, options: ResolvedMlpOptions) => T,
): Promise<T> {
  const parts = await readModelParts(dir, ['mlp'], who, o);
  const opts = options<ResolvedMlpOptions>(parts, o.backend);
  const sizes = [parts.X.cols, ...opts.hidden, opts.classes];
  let p = 0;
  for (let l = 1; l < sizes.length; l++) p += (sizes[l - 1]! + 1) * sizes[l]!;
  if (parts.theta.length !== p)
    throw new ArtifactError(
      join(dir, 'theta.npy'),
      `has ${parts.theta.length} parameters, the architecture needs ${p}`,
    );
  return make(parts.theta, parts.X, parts.y, opts);
}
