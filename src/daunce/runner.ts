/**
 * The perturbation loop shared by built-in and external models: draws, bounded concurrency,
 * retries with exponential backoff, per-call timeouts, per-model checkpoints (atomic, with a
 * checksum) that make an interrupted run resume without losing finished models, progress
 * events and cancellation, also while a call into the model is pending.
 */
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { assertInteger, assertNumber } from '../data/validate.ts';
import { AbortError, NumericError, TimeoutError } from '../errors.ts';
import { IntegrityError, readSealed, writeFileAtomic, writeSealedAtomic } from '../io/atomic.ts';
import { refuseOtherFormat } from '../io/format-version.ts';
import { LossCovariance } from './accumulator.ts';
import { drawPerturbation, type DaunceAccess, type DaunceVariant, type Perturbation } from './perturbation.ts';
import type { DaunceTraining } from './settings.ts';

/** What a perturbed copy is trained for: the run's objective and, when given, its training settings. */
export interface PerturbationObjective {
  variant: DaunceVariant;
  access: DaunceAccess;
  ratio: number;
  /** Scale of the loss-difference term (docs/methods.md section 4); the runner always sets it, 1 when absent. */
  gamma?: number;
  /** Spread of the xi weights, weight factor 1 + rho (2 xi - 1); the runner always sets it, 1 when absent. */
  rho?: number;
  /** The caller's training settings (only the fields given; absent when none were). */
  training?: DaunceTraining;
}

/**
 * A model trained elsewhere (a Python process, a fine-tuning service).
 *
 * Errors thrown (or promises rejected) by `train`, `losses` and `release`, and calls that
 * exceed `callTimeoutMs`, are retried up to `retries` times with exponential backoff, except
 * an error whose `retryable` property is `false`. Return values that break the contract
 * (losses that are not numbers, of the wrong length, or not finite) fail the run at once
 * with a RangeError/NumericError naming the model, before anything is checkpointed.
 */
export interface PerturbableModel<Handle = unknown> {
  /**
   * Trains one perturbed copy on D^k with xi^k under the variant's objective.
   * @param perturbation - the subset D^k and the xi^k of copy k
   * @param objective - the variant, access, ratio, gamma, rho and training settings of the run
   * @returns a handle to the trained copy
   */
  train(perturbation: Perturbation, objective: PerturbationObjective): Promise<Handle>;
  /**
   * Trains several copies in one call (optional; built-in GLMs solve them on a native thread
   * pool). Each handle must equal what `train` returns for that perturbation alone.
   * @param perturbations - the copies' draws, in model order
   * @param objective - the variant, access, ratio, gamma, rho and training settings of the run
   * @returns one handle per perturbation, same order
   */
  trainBatch?(perturbations: readonly Perturbation[], objective: PerturbationObjective): Promise<Handle[]>;
  /**
   * Losses of every training example or every query under a trained copy (the runner copies them on return).
   * @param handle - a trained copy
   * @param which - the training examples or the queries
   * @returns one loss per example (n or m)
   */
  losses(handle: Handle, which: 'train' | 'queries'): Promise<Float64Array>;
  /**
   * Frees a trained copy (optional).
   * @param handle - a trained copy
   */
  release?(handle: Handle): Promise<void>;
}

/** Progress of a Daunce run, reported after each finished model. */
export interface DaunceProgress {
  /** Models finished (resumed ones included). */
  done: number;
  total: number;
  /** The model that just finished. */
  k: number;
  resumed: number;
  seconds: number;
}

export interface RunnerOptions {
  n: number;
  m: number;
  K: number;
  ratio: number;
  seed: number;
  variant: DaunceVariant;
  access: DaunceAccess;
  /** gamma and rho of the objective (default 1 and 1). */
  gamma?: number;
  rho?: number;
  /** Training settings handed to the model's `train`. */
  training?: DaunceTraining;
  /** Identifies the data and model; a checkpoint of another run is refused. */
  fingerprint: Record<string, unknown>;
  checkpointDir?: string;
  concurrency?: number;
  retries?: number;
  retryDelayMs?: number;
  /** Copies per call into a model with `trainBatch`. Default 32. */
  batch?: number;
  /** Limit of each call into the model (train, losses, release). Default: none. */
  callTimeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: (p: DaunceProgress) => void;
  /** Trains model k elsewhere (a queue of workers) instead of calling `model`; all models are then in flight at once. */
  remote?: (k: number) => Promise<{ train: Float64Array; query: Float64Array }>;
}

/**
 * Version of the checkpoint directory. 2: perturbations are drawn from seeds derived by sha256
 * (mixSeed) and data are identified by sha256, so a format-1 checkpoint holds other draws.
 */
export const CHECKPOINT_FORMAT = 2;

/** Refuses, with a clear message, a checkpoint written in another format (its models were drawn differently). */
function checkCheckpointFormat(dir: string, previousConfig: string): void {
  refuseOtherFormat(
    previousConfig,
    CHECKPOINT_FORMAT,
    (format) =>
      `daunce: checkpointDir ${dir} holds a checkpoint of format ${format}, ` +
      'written by an older tdakit whose random draws differ ' +
      `(this version writes format ${CHECKPOINT_FORMAT}); it cannot be resumed: use another directory or delete it`,
  );
}

/** Copies per call into a model with `trainBatch` (built-in GLMs): enough to keep a thread pool busy, few enough to checkpoint often. */
const DEFAULT_BATCH = 32;

/** Longest wait between two attempts, whatever the backoff reaches. */
const MAX_BACKOFF_MS = 5 * 60_000;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortError('daunce: aborted'));
    const onAbort = () => {
      clearTimeout(t);
      reject(new AbortError('daunce: aborted'));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * Settles with `call`'s outcome, or rejects with AbortError when `signal` fires or with a
 * TimeoutError after `timeoutMs`, without waiting for `call`. A late result is passed to
 * `onLate` (to release a trained copy nobody will use) and otherwise ignored.
 */
function guarded<T>(
  call: () => Promise<T>,
  what: string,
  timeoutMs: number,
  signal?: AbortSignal,
  onLate?: (v: T) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortError('daunce: aborted'));
    let timer: ReturnType<typeof setTimeout> | undefined;
    let settled = false;
    const cleanup = () => {
      settled = true;
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      cleanup();
      reject(new AbortError(`daunce: aborted while ${what} was pending`));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    if (Number.isFinite(timeoutMs)) {
      timer = setTimeout(() => {
        cleanup();
        reject(new TimeoutError(`daunce: ${what} did not finish within ${timeoutMs} ms`));
      }, timeoutMs);
    }
    let pending: Promise<T>;
    try {
      pending = Promise.resolve(call());
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.then(
      (v) => {
        if (settled) {
          onLate?.(v);
          return;
        }
        cleanup();
        resolve(v);
      },
      (e) => {
        if (!settled) {
          cleanup();
          reject(e);
        }
      },
    );
  });
}

/** A copy of a model's losses, checked before it is kept or checkpointed. */
function checkedLosses(values: unknown, length: number, k: number, which: 'train' | 'queries'): Float64Array {
  const name = `daunce: model ${k}: losses(handle, '${which}')`;
  if (!(ArrayBuffer.isView(values) && !(values instanceof DataView)) && !Array.isArray(values)) {
    throw Object.assign(
      new TypeError(
        `${name} must return a Float64Array (or an array of numbers), got ${values === null ? 'null' : typeof values}`,
      ),
      { retryable: false },
    );
  }
  const arr = values as ArrayLike<unknown>;
  if (arr.length !== length)
    throw Object.assign(new RangeError(`${name} must return ${length} values, got ${arr.length}`), {
      retryable: false,
    });
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    const v = arr[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw Object.assign(new NumericError(`${name}: value ${i} is ${String(v)}, not a finite loss`), {
        retryable: false,
      });
    }
    out[i] = v;
  }
  return out;
}

/** Refuses sizes whose loss rows cannot fit in this machine's memory, before allocating. */
export function checkLossMemory(n: number, m: number, K: number): void {
  // The runner keeps each model's losses and the accumulator keeps the K rows again.
  const bytes = 2 * 8 * K * (n + m);
  const available = totalmem();
  if (bytes > available) {
    const gib = (b: number) => (b / 2 ** 30).toFixed(1);
    throw new RangeError(
      `daunce: n = ${n}, m = ${m} and K = ${K} need about ${gib(bytes)} GiB for the loss rows (16·K·(n + m) bytes), more than this machine's ${gib(available)} GiB; reduce K or score the data in parts`,
    );
  }
}

const retryable = (err: unknown) =>
  !(err instanceof AbortError) &&
  !(err !== null && typeof err === 'object' && (err as { retryable?: unknown }).retryable === false);

export async function runPerturbations<H>(
  model: PerturbableModel<H>,
  o: RunnerOptions,
): Promise<{ accumulator: LossCovariance; resumed: number }> {
  const t0 = performance.now();
  const retries = assertInteger('daunce: retries', o.retries ?? 3, 0, 1000);
  const delay = assertNumber('daunce: retryDelayMs', o.retryDelayMs ?? 1000, 0, MAX_BACKOFF_MS);
  const timeoutMs =
    o.callTimeoutMs === undefined ? Infinity : assertNumber('daunce: callTimeoutMs', o.callTimeoutMs, 1);
  const concurrency = assertInteger('daunce: concurrency', o.concurrency ?? 1, 1, 4096);
  checkLossMemory(o.n, o.m, o.K);
  const done = new Map<number, { train: Float64Array; query: Float64Array }>();
  const dir = o.checkpointDir;
  const config = JSON.stringify(
    {
      format: CHECKPOINT_FORMAT,
      n: o.n,
      m: o.m,
      ratio: o.ratio,
      seed: o.seed,
      variant: o.variant,
      access: o.access,
      ...o.fingerprint,
    },
    null,
    2,
  );
  if (dir) await loadCheckpoints(dir, config, o, done);
  const resumed = done.size;
  const todo = Array.from({ length: o.K }, (_, k) => k).filter((k) => !done.has(k));
  let finished = resumed;
  let failure: unknown;

  const objective: PerturbationObjective = {
    variant: o.variant,
    access: o.access,
    ratio: o.ratio,
    gamma: o.gamma ?? 1,
    rho: o.rho ?? 1,
    ...(o.training ? { training: { ...o.training } } : {}),
  };
  // Copies trained per call: a model with trainBatch gets batches (checkpointed copy by copy as
  // each batch returns), any other one copy per call.
  const perCall =
    model.trainBatch && !o.remote ? assertInteger('daunce: batch', o.batch ?? DEFAULT_BATCH, 1, 1 << 20) : 1;
  const trainCopies = async (ks: readonly number[]) => {
    const ps = ks.map((k) => drawPerturbation(o.n, o.ratio, o.seed, k));
    const what = ks.length === 1 ? `model ${ks[0]}` : `models ${ks[0]}..${ks[ks.length - 1]}`;
    for (let attempt = 0; ; attempt++) {
      if (o.signal?.aborted) throw new AbortError('daunce: aborted');
      try {
        const releaseLate = (late: H[]) => {
          for (const h of late)
            void Promise.resolve()
              .then(() => model.release?.(h))
              .catch(() => {});
        };
        const hs = await guarded(
          async () => (ks.length > 1 ? model.trainBatch!(ps, objective) : [await model.train(ps[0]!, objective)]),
          `train (${what})`,
          timeoutMs,
          o.signal,
          releaseLate,
        );
        if (!Array.isArray(hs) || hs.length !== ks.length) {
          throw Object.assign(new RangeError(`daunce: trainBatch (${what}) must return ${ks.length} handles`), {
            retryable: false,
          });
        }
        try {
          const out: { train: Float64Array; query: Float64Array }[] = [];
          for (const [j, k] of ks.entries()) {
            const h = hs[j]!;
            const [train, query] = await Promise.all([
              guarded(() => model.losses(h, 'train'), `losses(model ${k}, 'train')`, timeoutMs, o.signal),
              guarded(() => model.losses(h, 'queries'), `losses(model ${k}, 'queries')`, timeoutMs, o.signal),
            ]);
            out.push({ train: checkedLosses(train, o.n, k, 'train'), query: checkedLosses(query, o.m, k, 'queries') });
          }
          return out;
        } finally {
          if (model.release)
            for (const [j, k] of ks.entries())
              await guarded(() => model.release!(hs[j]!), `release (model ${k})`, timeoutMs, o.signal);
        }
      } catch (err) {
        if (!retryable(err) || attempt >= retries || failure !== undefined) {
          throw err instanceof Error
            ? err
            : new Error(`daunce: ${what}: the external model threw ${String(err)} (not an Error)`, { cause: err });
        }
        await sleep(Math.min(delay * 2 ** attempt, MAX_BACKOFF_MS), o.signal);
      }
    }
  };

  const worker = async () => {
    while (todo.length > 0 && failure === undefined) {
      if (o.signal?.aborted) throw new AbortError('daunce: aborted');
      const ks = todo.splice(0, perCall);
      const rs = o.remote ? [await o.remote(ks[0]!)] : await trainCopies(ks);
      for (const [j, k] of ks.entries()) {
        // An abort stops a batch's remaining copies from being recorded, as it stops the next call.
        if (o.signal?.aborted) throw new AbortError('daunce: aborted');
        await finish(k, rs[j]!);
      }
    }
  };
  const finish = async (k: number, r: { train: Float64Array; query: Float64Array }) => {
    if (dir) {
      const all = new Float64Array(o.n + o.m);
      all.set(r.train);
      all.set(r.query, o.n);
      await writeSealedAtomic(join(dir, `model-${k}.f64`), new Uint8Array(all.buffer));
    }
    done.set(k, r);
    o.onProgress?.({ done: ++finished, total: o.K, k, resumed, seconds: (performance.now() - t0) / 1000 });
  };
  const lanes = o.remote ? Math.max(1, todo.length) : concurrency;
  const results = await Promise.allSettled(
    Array.from({ length: lanes }, () =>
      worker().catch((e) => {
        failure ??= e;
        throw e;
      }),
    ),
  );
  if (failure !== undefined) throw failure;
  void results;
  // Rows enter in model order, so the scores do not depend on completion order.
  const acc = new LossCovariance(o.n, o.m, o.K);
  for (let k = 0; k < o.K; k++) {
    const r = done.get(k)!;
    acc.add(r.train, r.query, k);
  }
  return { accumulator: acc, resumed };
}

/**
 * Reads the finished models of a previous run in `dir` (refusing another run's directory).
 * A checkpoint that fails its checksum, or has the wrong size, is reported and trained again.
 */
async function loadCheckpoints(
  dir: string,
  config: string,
  o: RunnerOptions,
  done: Map<number, { train: Float64Array; query: Float64Array }>,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'config.json');
  try {
    // Created whole and only if absent: two processes starting together agree on one config.
    await writeFileAtomic(file, config, { exclusive: true });
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const previous = await readFile(file, 'utf8');
  checkCheckpointFormat(dir, previous);
  if (previous !== config)
    throw new RangeError(
      `daunce: checkpointDir ${dir} holds a run with other data or options (${file}); use another directory`,
    );
  for (const name of await readdir(dir)) {
    const match = /^model-(\d+)\.f64$/.exec(name);
    if (!match || Number(match[1]) >= o.K) continue;
    const path = join(dir, name);
    let payload: Uint8Array;
    try {
      payload = await readSealed(path);
      if (payload.byteLength !== 8 * (o.n + o.m))
        throw new IntegrityError(path, `holds ${payload.byteLength} bytes, expected ${8 * (o.n + o.m)}`);
    } catch (err) {
      if (!(err instanceof IntegrityError)) throw err;
      process.emitWarning(`daunce: ${err.message}; model ${match[1]} is trained again`, {
        code: 'TDAKIT_CHECKPOINT_CORRUPT',
      });
      continue;
    }
    const all = new Float64Array(payload.slice().buffer);
    if (!all.every(Number.isFinite)) {
      process.emitWarning(`daunce: ${path}: holds non-finite losses; model ${match[1]} is trained again`, {
        code: 'TDAKIT_CHECKPOINT_CORRUPT',
      });
      continue;
    }
    done.set(Number(match[1]), { train: all.slice(0, o.n), query: all.slice(o.n) });
  }
}
