/**
 * The unit-executor seam of the coordinators: each coordinator lists its units (a removal set,
 * an LDS subset, a perturbed model) and either runs them itself (the local path, unchanged) or
 * hands them to one of these remote executors, which publish the data once, enqueue one job
 * per unit, and return each unit's checked values for the coordinator to merge in unit order.
 */
import type { Matrix } from '../data/matrix.ts';
import type { RunnerOptions } from '../daunce/runner.ts';
import { hashArray } from '../hash.ts';
import type { ScoreTarget } from '../influence/analysis.ts';
import type { AttributableModel } from '../models/model.ts';
import type { Bundle } from './dataset.ts';
import type { QueueOptions, QueueRun } from './executor.ts';

/** BullMQ is loaded only when a coordinator is given a queue. */
const openRun = async (...args: Parameters<typeof QueueRun.open>) =>
  (await import('./executor.ts')).QueueRun.open(...args);
import { MODEL_KINDS, type BuiltinModelKind, type ModelSpec } from './schema.ts';

function specOf(where: string, model: AttributableModel): ModelSpec {
  if (!MODEL_KINDS.includes(model.kind as BuiltinModelKind)) {
    throw new RangeError(
      `${where}: queue: workers rebuild built-in models only (${MODEL_KINDS.join(', ')}), not '${model.kind}'`,
    );
  }
  const { backend: _backend, ...options } = model.options as Record<string, unknown>;
  void _backend; // workers fit on their default (CPU) backend; the parameter hash checks the result
  return { kind: model.kind as BuiltinModelKind, options, theta: hashArray(model.theta) };
}

function bundleOf(model: AttributableModel, queries?: { X: Matrix; y: Float64Array }): Bundle {
  const b: Bundle = {
    X: { data: model.X.data, rows: model.X.rows, cols: model.X.cols },
    y: { data: model.y, rows: model.y.length, cols: 1 },
  };
  if (model.weights?.some((w) => w !== 1)) b.weights = { data: model.weights, rows: model.weights.length, cols: 1 };
  if (queries) {
    b.Xq = { data: queries.X.data, rows: queries.X.rows, cols: queries.X.cols };
    b.yq = { data: queries.y, rows: queries.y.length, cols: 1 };
  }
  return b;
}

/** Remote units: started all at once, read back by unit. */
class RemoteUnits<T> {
  private readonly results = new Map<number, Promise<T>>();
  constructor(readonly run: QueueRun) {}
  start(unit: number, make: () => Promise<T>): void {
    const result = make();
    result.catch(() => {}); // held until the coordinator reaches this unit, not an unhandled rejection
    this.results.set(unit, result);
  }
  result(unit: number): Promise<T> {
    const r = this.results.get(unit);
    if (!r) throw new RangeError(`distributed: unit ${unit} was not started`);
    return r;
  }
  close(succeeded: boolean): Promise<void> {
    return this.run.close(succeeded);
  }
}

/** The RIF protocol's exact retrains on workers (the model is the benchmark's fit on the training split). */
export class RemoteRifRetrains extends RemoteUnits<{ theta: Float64Array; iterations: number; seconds: number }> {
  private readonly removedSets = new Map<number, number[]>();
  static async open(
    queue: QueueOptions,
    model: AttributableModel,
    fingerprint: string,
    signal?: AbortSignal,
  ): Promise<RemoteRifRetrains> {
    const where = 'benchmarkRemoval';
    const spec = specOf(where, model);
    const run = await openRun(where, queue, `rif:${fingerprint}:${spec.theta}`, signal);
    try {
      const data = await run.publish(bundleOf(model));
      return new RemoteRifRetrains(run, data, spec, model.nParameters);
    } catch (err) {
      await run.close(false);
      throw err;
    }
  }
  private constructor(
    run: QueueRun,
    private readonly data: { uri: string; sha256: string },
    private readonly spec: ModelSpec,
    private readonly p: number,
  ) {
    super(run);
  }
  /** Enqueues the retrain without `removed` as `unit`. */
  retrain(unit: number, removed: number[]): void {
    this.removedSets.set(unit, removed);
    this.start(unit, async () => {
      const r = await this.run.submit(
        { kind: 'rif-retrain', unit, data: this.data, model: this.spec, removed },
        this.p,
      );
      return { theta: r.values, iterations: r.iterations, seconds: r.seconds };
    });
  }
  removed(unit: number): number[] | undefined {
    return this.removedSets.get(unit);
  }
}

/** LDS ground-truth retrains on workers: one job per subset j, m query targets back. */
export class RemoteLdsRetrains extends RemoteUnits<Float64Array> {
  static async open(
    queue: QueueOptions,
    model: AttributableModel,
    queries: { X: Matrix; y: Float64Array },
    job: { target: ScoreTarget; seeds: number; seed: number },
    fingerprint: string,
    signal?: AbortSignal,
  ): Promise<RemoteLdsRetrains> {
    const spec = specOf('lds', model);
    const run = await openRun('lds', queue, `lds:${fingerprint}`, signal);
    try {
      const data = await run.publish(bundleOf(model, queries));
      return new RemoteLdsRetrains(run, data, spec, job, queries.X.rows);
    } catch (err) {
      await run.close(false);
      throw err;
    }
  }
  private constructor(
    run: QueueRun,
    private readonly data: { uri: string; sha256: string },
    private readonly spec: ModelSpec,
    private readonly job: { target: ScoreTarget; seeds: number; seed: number },
    private readonly m: number,
  ) {
    super(run);
  }
  retrain(unit: number, subset: Uint32Array): void {
    this.start(
      unit,
      async () =>
        (
          await this.run.submit(
            { kind: 'lds-retrain', unit, data: this.data, model: this.spec, subset: Array.from(subset), ...this.job },
            this.m,
          )
        ).values,
    );
  }
}

/** What a worker needs, beyond the data, to train copy k as a local run would (gamma, rho only when not 1). */
type DaunceDraws = Pick<RunnerOptions, 'ratio' | 'seed' | 'variant' | 'access' | 'gamma' | 'rho' | 'training'>;

/**
 * Daunce's perturbed models on workers: model k is job k; back come its n training and m
 * query losses (8·(n + m) bytes).
 */
export class RemoteDaunceModels {
  static async open(
    queue: QueueOptions & { externalModel?: string },
    source:
      | { model: AttributableModel; queries: { X: Matrix; y: Float64Array } }
      | { external: string; n: number; m: number },
    draws: DaunceDraws,
    fingerprint: string,
    signal?: AbortSignal,
  ): Promise<RemoteDaunceModels> {
    const spec = 'model' in source ? specOf('daunce', source.model) : { external: source.external };
    const run = await openRun('daunce', queue, `daunce:${fingerprint}:${JSON.stringify(spec)}`, signal);
    try {
      const data = 'model' in source ? await run.publish(bundleOf(source.model, source.queries)) : undefined;
      const n = 'model' in source ? source.model.X.rows : source.n,
        m = 'model' in source ? source.queries.X.rows : source.m;
      return new RemoteDaunceModels(run, data, spec, n, m, draws);
    } catch (err) {
      await run.close(false);
      throw err;
    }
  }
  private constructor(
    readonly run: QueueRun,
    private readonly data: { uri: string; sha256: string } | undefined,
    private readonly spec: ModelSpec | { external: string },
    private readonly n: number,
    private readonly m: number,
    private readonly draws: DaunceDraws,
  ) {}
  /** Trains model k on a worker and returns its losses, split into training and query rows. */
  async model(k: number): Promise<{ train: Float64Array; query: Float64Array }> {
    const r = await this.run.submit(
      {
        kind: 'daunce-model',
        unit: k,
        ...(this.data ? { data: this.data } : {}),
        model: this.spec,
        n: this.n,
        m: this.m,
        ...this.draws,
      },
      this.n + this.m,
    );
    return { train: r.values.slice(0, this.n), query: r.values.slice(this.n) };
  }
  close(succeeded: boolean): Promise<void> {
    return this.run.close(succeeded);
  }
}
