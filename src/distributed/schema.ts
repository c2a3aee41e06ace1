/**
 * The jobs a worker accepts and the results it sends back, with their checks. A job is data
 * only (no code): which unit of which run, the data bundle by URI and hash, the model by kind,
 * fitting options and parameter hash (or an external model by the name a worker registered),
 * and the unit's inputs. Everything is validated before any work; anything else is refused.
 */
import { createHash } from 'node:crypto';
import { endianness } from 'node:os';
import type { DatasetRef } from './dataset.ts';
import { checkObjectiveSettings, checkTraining, type DaunceTraining } from '../daunce/settings.ts';

export const JOB_KINDS = ['rif-retrain', 'lds-retrain', 'daunce-model'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/** Built-in model kinds a worker can rebuild from data and options. */
export const MODEL_KINDS = ['logistic', 'ridge', 'softmax', 'mlp'] as const;
export type BuiltinModelKind = (typeof MODEL_KINDS)[number];

/** A built-in model: refitted on the worker and checked against the coordinator's parameters. */
export interface ModelSpec {
  kind: BuiltinModelKind;
  options: Record<string, unknown>;
  /** hashArray(theta) of the coordinator's fit. */
  theta: string;
}

interface JobBase {
  runId: string;
  unit: number;
  /** Where the values go: the job's return value in Redis (default), or a file in the shared data root (large results). */
  resultTo?: 'redis' | 'data-root';
}

/** RIF protocol: exact retrain of the benchmark's model (logistic or softmax) without the rows `removed`. */
export interface RifRetrainJob extends JobBase {
  kind: 'rif-retrain';
  data: DatasetRef;
  model: ModelSpec;
  removed: number[];
}

/** LDS ground truth: query targets of the model retrained on `subset` (averaged over seeds). */
export interface LdsRetrainJob extends JobBase {
  kind: 'lds-retrain';
  data: DatasetRef;
  model: ModelSpec;
  subset: number[];
  target: 'loss' | 'logit' | 'probability';
  seeds: number;
  seed: number;
}

/** Daunce: perturbed model k (= unit); its draws come from (seed, k) alone. */
export interface DaunceModelJob extends JobBase {
  kind: 'daunce-model';
  /** Absent for an external model, which holds its own data. */
  data?: DatasetRef;
  model: ModelSpec | { external: string };
  n: number;
  m: number;
  ratio: number;
  seed: number;
  variant: 'hessian' | 'fisher' | 'trak';
  access: 'white-box' | 'black-box';
  /** The objective's gamma and rho, absent when 1 (docs/methods.md section 4). */
  gamma?: number;
  rho?: number;
  /** Training settings of minibatch-trained copies, as given to `daunce`. */
  training?: DaunceTraining;
}

export type UnitJob = RifRetrainJob | LdsRetrainJob | DaunceModelJob;

/** What a worker returns: values travel as base64 of little-endian float64. */
export interface UnitResult {
  runId: string;
  unit: number;
  kind: JobKind;
  /** base64 values (results through Redis). */
  values?: string;
  /** Or: the values' file, relative to the shared data root, and its sha256. */
  file?: string;
  sha256?: string;
  /** Newton/chord iterations and seconds of a retrain (informational). */
  iterations?: number;
  seconds?: number;
}

/** A job or result that does not match its schema. */
export class SchemaError extends Error {
  readonly code = 'ERR_TDAKIT_SCHEMA';
  constructor(message: string) {
    super(message);
    this.name = 'SchemaError';
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const MAX_UNITS = 2 ** 31;
export const RUN_ID = /^[A-Za-z0-9_-]{1,64}$/;

function onlyKeys(where: string, v: Record<string, unknown>, allowed: string[]): void {
  for (const k of Object.keys(v))
    if (!allowed.includes(k)) throw new SchemaError(`${where}: unexpected field '${k.slice(0, 40)}'`);
}

function int(where: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new SchemaError(`${where} must be an integer in [${min}, ${max}]`);
  return v;
}

function oneOf<T extends string>(where: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !allowed.includes(v as T))
    throw new SchemaError(`${where} must be one of ${allowed.join(', ')}`);
  return v as T;
}

function indexList(where: string, v: unknown): number[] {
  if (!Array.isArray(v) || v.length > MAX_UNITS) throw new SchemaError(`${where} must be an array of row indices`);
  for (const i of v)
    if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= MAX_UNITS)
      throw new SchemaError(`${where} must hold non-negative integer row indices`);
  return v as number[];
}

function dataRef(where: string, v: unknown): DatasetRef {
  if (!isObject(v)) throw new SchemaError(`${where} must be { uri, sha256 }`);
  onlyKeys(where, v, ['uri', 'sha256']);
  if (typeof v.uri !== 'string' || v.uri.length > 4096 || !/^(file|redis):/.test(v.uri))
    throw new SchemaError(`${where}.uri must be a file: or redis: URI`);
  if (typeof v.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(v.sha256))
    throw new SchemaError(`${where}.sha256 must be 64 hex digits`);
  return v as unknown as DatasetRef;
}

function modelSpec(where: string, v: unknown, allowExternal: boolean): ModelSpec | { external: string } {
  if (!isObject(v)) throw new SchemaError(`${where} must be an object`);
  if (allowExternal && 'external' in v) {
    onlyKeys(where, v, ['external']);
    if (typeof v.external !== 'string' || !/^[A-Za-z0-9_.-]{1,100}$/.test(v.external))
      throw new SchemaError(`${where}.external must be a registered model name`);
    return v as { external: string };
  }
  onlyKeys(where, v, ['kind', 'options', 'theta']);
  oneOf(`${where}.kind`, v.kind, MODEL_KINDS);
  if (!isObject(v.options)) throw new SchemaError(`${where}.options must be an object`);
  for (const [k, o] of Object.entries(v.options)) {
    const plain =
      typeof o === 'number' ||
      typeof o === 'string' ||
      typeof o === 'boolean' ||
      (Array.isArray(o) && o.every((x) => typeof x === 'number'));
    if (!plain)
      throw new SchemaError(`${where}.options.${k.slice(0, 40)} must be a number, string, boolean or array of numbers`);
  }
  if (typeof v.theta !== 'string' || !/^\d+:[0-9a-f]{32}$/.test(v.theta))
    throw new SchemaError(`${where}.theta must be a parameter hash`);
  return v as unknown as ModelSpec;
}

/**
 * Checks a job's payload against its schema.
 * @param value - the job's data as it came out of Redis
 * @returns the typed job
 */
export function validateJob(value: unknown): UnitJob {
  const where = 'job';
  if (!isObject(value)) throw new SchemaError(`${where} must be an object`);
  const kind = oneOf(`${where}.kind`, value.kind, JOB_KINDS);
  if (typeof value.runId !== 'string' || !RUN_ID.test(value.runId))
    throw new SchemaError(`${where}.runId must be 1-64 letters, digits, _ or -`);
  int(`${where}.unit`, value.unit, 0, MAX_UNITS);
  if (value.resultTo !== undefined) oneOf(`${where}.resultTo`, value.resultTo, ['redis', 'data-root']);
  if (kind === 'rif-retrain') {
    onlyKeys(where, value, ['kind', 'runId', 'unit', 'data', 'model', 'removed', 'resultTo']);
    dataRef(`${where}.data`, value.data);
    modelSpec(`${where}.model`, value.model, false);
    indexList(`${where}.removed`, value.removed);
  } else if (kind === 'lds-retrain') {
    onlyKeys(where, value, ['kind', 'runId', 'unit', 'data', 'model', 'subset', 'target', 'seeds', 'seed', 'resultTo']);
    dataRef(`${where}.data`, value.data);
    modelSpec(`${where}.model`, value.model, false);
    indexList(`${where}.subset`, value.subset);
    oneOf(`${where}.target`, value.target, ['loss', 'logit', 'probability']);
    int(`${where}.seeds`, value.seeds, 1, 10_000);
    int(`${where}.seed`, value.seed, 0, Number.MAX_SAFE_INTEGER);
  } else {
    onlyKeys(where, value, [
      'kind',
      'runId',
      'unit',
      'data',
      'model',
      'n',
      'm',
      'ratio',
      'seed',
      'variant',
      'access',
      'gamma',
      'rho',
      'training',
      'resultTo',
    ]);
    const spec = modelSpec(`${where}.model`, value.model, true);
    if ('external' in spec) {
      if (value.data !== undefined) dataRef(`${where}.data`, value.data);
    } else dataRef(`${where}.data`, value.data);
    int(`${where}.n`, value.n, 2, MAX_UNITS);
    int(`${where}.m`, value.m, 1, MAX_UNITS);
    if (typeof value.ratio !== 'number' || !(value.ratio > 0 && value.ratio <= 1))
      throw new SchemaError(`${where}.ratio must be in (0, 1]`);
    int(`${where}.seed`, value.seed, 0, Number.MAX_SAFE_INTEGER);
    oneOf(`${where}.variant`, value.variant, ['hessian', 'fisher', 'trak']);
    oneOf(`${where}.access`, value.access, ['white-box', 'black-box']);
    try {
      checkObjectiveSettings(where, value.gamma, value.rho);
      if (value.training !== undefined) checkTraining(where, value.training);
    } catch (err) {
      throw new SchemaError((err as Error).message);
    }
  }
  return value as unknown as UnitJob;
}

export function encodeValues(values: Float64Array): string {
  if (endianness() !== 'LE')
    throw new RangeError('tdakit distributed: results travel little-endian; this machine is big-endian');
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
}

/** The file a worker writes a large result to, relative to the shared data root. */
export function resultFile(runId: string, unit: number): string {
  return `tdakit-results/${runId}/${unit}.f64`;
}

/** A result the coordinator will not use: another run, unit or kind, the wrong length, non-finite values. */
export class ResultRefusedError extends Error {
  readonly code = 'ERR_TDAKIT_RESULT_REFUSED';
  constructor(message: string) {
    super(message);
    this.name = 'ResultRefusedError';
  }
}

/**
 * Checks a worker's result against what the coordinator asked for and decodes its values.
 * @param value - the job's return value
 * @param expected - run, unit, kind and number of values
 * @returns the values and the retrain's iterations/seconds when given
 */
export async function checkResult(
  value: unknown,
  expected: { runId: string; unit: number; kind: JobKind; length: number },
  readShared?: (relative: string) => Promise<Uint8Array>,
): Promise<{ values: Float64Array; iterations: number; seconds: number }> {
  const refuse = (why: string) =>
    new ResultRefusedError(
      `distributed: ${expected.kind} unit ${expected.unit} of run ${expected.runId}: result refused (${why})`,
    );
  if (!isObject(value)) throw refuse('not an object');
  if (value.runId !== expected.runId) throw refuse(`it belongs to run ${String(value.runId).slice(0, 70)}`);
  if (value.unit !== expected.unit) throw refuse(`it is for unit ${String(value.unit).slice(0, 20)}`);
  if (value.kind !== expected.kind) throw refuse(`it is a ${String(value.kind).slice(0, 20)} result`);
  let bytes: Uint8Array;
  if (typeof value.file === 'string') {
    // Only the file this unit's result must be in, inside the shared directory, with its hash.
    if (value.file !== resultFile(expected.runId, expected.unit))
      throw refuse(`it names the file ${value.file.slice(0, 100)}`);
    if (!readShared) throw refuse('it is a file, and this coordinator has no shared directory');
    if (typeof value.sha256 !== 'string') throw refuse('its file has no sha256');
    bytes = await readShared(value.file).catch((err: Error) => {
      throw refuse(`its file cannot be read: ${err.message}`);
    });
    if (createHash('sha256').update(bytes).digest('hex') !== value.sha256)
      throw refuse('its file does not match its sha256');
  } else {
    if (typeof value.values !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value.values))
      throw refuse('values are not base64');
    bytes = Buffer.from(value.values, 'base64');
  }
  if (bytes.length !== 8 * expected.length) throw refuse(`${bytes.length / 8} values, expected ${expected.length}`);
  const values = new Float64Array(expected.length);
  new Uint8Array(values.buffer).set(bytes.subarray(0, 8 * expected.length));
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) throw refuse(`value ${i} is ${values[i]}`);
  const count = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);
  return { values, iterations: count(value.iterations), seconds: count(value.seconds) };
}
