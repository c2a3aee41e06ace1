/**
 * The perturbation loop shared by built-in and external models: draws, bounded concurrency,
 * retries with exponential backoff, per-model checkpoints (atomic: write then rename) that
 * make an interrupted run resume without losing finished models, progress events and
 * cancellation between models.
 */
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AbortError } from '../errors.ts';
import { LossCovariance } from './accumulator.ts';
import { drawPerturbation, type DaunceAccess, type DaunceVariant, type Perturbation } from './perturbation.ts';

/** A model trained elsewhere (a Python process, a fine-tuning service). */
export interface PerturbableModel<Handle = unknown> {
  /** Trains one perturbed copy on D^k with xi^k under the variant's objective. */
  train(perturbation: Perturbation, objective: { variant: DaunceVariant; access: DaunceAccess; ratio: number }): Promise<Handle>;
  /** Losses of every training example or every query under a trained copy. */
  losses(handle: Handle, which: 'train' | 'queries'): Promise<Float64Array>;
  /** Frees a trained copy (optional). */
  release?(handle: Handle): Promise<void>;
}

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
  /** Identifies the data and model; a checkpoint of another run is refused. */
  fingerprint: Record<string, unknown>;
  checkpointDir?: string;
  concurrency?: number;
  retries?: number;
  retryDelayMs?: number;
  signal?: AbortSignal;
  onProgress?: (p: DaunceProgress) => void;
}

/**
 * Version of the checkpoint directory. 2: perturbations are drawn from seeds derived by sha256
 * (mixSeed) and data are identified by sha256, so a format-1 checkpoint holds other draws.
 */
export const CHECKPOINT_FORMAT = 2;

/** Refuses, with a clear message, a checkpoint written in another format (its models were drawn differently). */
function checkCheckpointFormat(dir: string, previousConfig: string): void {
  let format: unknown;
  try {
    format = (JSON.parse(previousConfig) as { format?: unknown }).format ?? 1;
  } catch {
    return; // an unreadable config is reported as another run by the caller
  }
  if (format !== CHECKPOINT_FORMAT) {
    throw new RangeError(
      `daunce: checkpointDir ${dir} holds a checkpoint of format ${String(format)}, ` +
        'written by an older tdakit whose random draws differ ' +
        `(this version writes format ${CHECKPOINT_FORMAT}); it cannot be resumed: use another directory or delete it`,
    );
  }
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(t); reject(new AbortError('daunce: aborted')); }, { once: true });
  });

export async function runPerturbations<H>(model: PerturbableModel<H>, o: RunnerOptions): Promise<{ accumulator: LossCovariance; resumed: number }> {
  const t0 = performance.now();
  const done = new Map<number, { train: Float64Array; query: Float64Array }>();
  const dir = o.checkpointDir;
  const config = JSON.stringify({ format: CHECKPOINT_FORMAT, n: o.n, m: o.m, ratio: o.ratio, seed: o.seed, variant: o.variant, access: o.access, ...o.fingerprint }, null, 2);
  if (dir) {
    await mkdir(dir, { recursive: true });
    const file = join(dir, 'config.json');
    if (existsSync(file)) {
      const previous = await readFile(file, 'utf8');
      checkCheckpointFormat(dir, previous);
      if (previous !== config) throw new RangeError(`daunce: checkpointDir ${dir} holds a run with other data or options; use another directory`);
      for (const name of await readdir(dir)) {
        const m = /^model-(\d+)\.f64$/.exec(name);
        if (!m || Number(m[1]) >= o.K) continue;
        const buf = await readFile(join(dir, name));
        const all = new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8);
        if (all.length !== o.n + o.m) continue; // not ours (written files are whole: they are renamed into place)
        done.set(Number(m[1]), { train: all.slice(0, o.n), query: all.slice(o.n) });
      }
    } else {
      await writeFile(file, config);
    }
  }
  const resumed = done.size;
  const todo = Array.from({ length: o.K }, (_, k) => k).filter((k) => !done.has(k));
  let finished = resumed;
  const concurrency = Math.max(1, o.concurrency ?? 1);
  const retries = o.retries ?? 3;
  const delay = o.retryDelayMs ?? 1000;
  let failure: unknown;

  const one = async (k: number) => {
    const p = drawPerturbation(o.n, o.ratio, o.seed, k);
    for (let attempt = 0; ; attempt++) {
      if (o.signal?.aborted) throw new AbortError('daunce: aborted');
      try {
        const h = await model.train(p, { variant: o.variant, access: o.access, ratio: o.ratio });
        try {
          const [train, query] = await Promise.all([model.losses(h, 'train'), model.losses(h, 'queries')]);
          if (!(train instanceof Float64Array) || train.length !== o.n) throw new RangeError(`daunce: model ${k}: losses(handle, 'train') must return a Float64Array of length ${o.n}`);
          if (!(query instanceof Float64Array) || query.length !== o.m) throw new RangeError(`daunce: model ${k}: losses(handle, 'queries') must return a Float64Array of length ${o.m}`);
          return { train, query };
        } finally {
          await model.release?.(h);
        }
      } catch (err) {
        if (err instanceof AbortError || err instanceof RangeError || attempt >= retries) throw err;
        await sleep(delay * 2 ** attempt, o.signal);
      }
    }
  };

  const worker = async () => {
    while (todo.length > 0 && failure === undefined) {
      if (o.signal?.aborted) throw new AbortError('daunce: aborted');
      const k = todo.shift()!;
      const r = await one(k);
      if (dir) {
        const all = new Float64Array(o.n + o.m);
        all.set(r.train);
        all.set(r.query, o.n);
        const tmp = join(dir, `model-${k}.f64.tmp`);
        await writeFile(tmp, new Uint8Array(all.buffer));
        await rename(tmp, join(dir, `model-${k}.f64`));
      }
      done.set(k, r);
      o.onProgress?.({ done: ++finished, total: o.K, k, resumed, seconds: (performance.now() - t0) / 1000 });
    }
  };
  const results = await Promise.allSettled(Array.from({ length: concurrency }, () => worker().catch((e) => { failure ??= e; throw e; })));
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
