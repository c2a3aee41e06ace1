/**
 * What a worker does with a validated job: rebuild the model from the data bundle and options
 * (refitted, and refused unless its parameters hash to the coordinator's, so both sides start
 * from the same bits), then run the unit exactly as the local coordinator would: the same
 * retrain call, the same perturbed trainer and draws. Rebuilt models are cached per run.
 */
import { Matrix } from '../data/matrix.ts';
import { drawPerturbation } from '../daunce/perturbation.ts';
import { perturbableFor } from '../daunce/registry.ts';
import type { PerturbableModel } from '../daunce/runner.ts';
import { subsetTargets } from '../evaluation/lds.ts';
import { hashArray } from '../hash.ts';
import { Influence } from '../influence/analysis.ts';
import type { GeneralizedLinearModel } from '../models/glm.ts';
import { LogisticRegression } from '../models/logistic.ts';
import { MultilayerPerceptron } from '../models/mlp.ts';
import type { AttributableModel } from '../models/model.ts';
import { RidgeRegression } from '../models/ridge.ts';
import { SoftmaxRegression } from '../models/softmax.ts';
import { decodeBundle, type Bundle } from './dataset.ts';
import type { DaunceModelJob, ModelSpec, UnitJob } from './schema.ts';

/** A unit's outcome before encoding. */
export interface UnitOutput {
  values: Float64Array;
  iterations?: number;
  seconds?: number;
}

/** The model's data from a bundle: X, y, optional example weights and queries. */
function bundleArrays(
  bundle: Bundle,
  where: string,
): { X: Matrix; y: Float64Array; weights?: Float64Array; Xq?: Matrix; yq?: Float64Array } {
  const { X, y, weights, Xq, yq } = bundle;
  if (!X || !y || y.data.length !== X.rows)
    throw new RangeError(`${where}: the data bundle lacks X and y of matching rows`);
  return {
    X: new Matrix(X.data, X.rows, X.cols),
    y: y.data,
    ...(weights ? { weights: weights.data } : {}),
    ...(Xq && yq ? { Xq: new Matrix(Xq.data, Xq.rows, Xq.cols), yq: yq.data } : {}),
  };
}

/** Refits a built-in model and checks it is the coordinator's. */
async function rebuildModel(spec: ModelSpec, data: ReturnType<typeof bundleArrays>): Promise<AttributableModel> {
  const options = { ...spec.options, ...(data.weights ? { sampleWeights: data.weights } : {}) };
  let model: AttributableModel;
  if (spec.kind === 'logistic') model = await LogisticRegression.fit(data.X, data.y, options);
  else if (spec.kind === 'ridge') model = await RidgeRegression.fit(data.X, data.y, options);
  else if (spec.kind === 'softmax') model = await SoftmaxRegression.fit(data.X, data.y, options);
  else model = await MultilayerPerceptron.fit(data.X, data.y, spec.options);
  const got = hashArray(model.theta);
  if (got !== spec.theta) {
    throw new RangeError(
      `worker: the refitted ${spec.kind} model has parameters ${got}, the coordinator's are ${spec.theta}: workers must run the same tdakit and BLAS build as the coordinator`,
    );
  }
  return model;
}

/** Per-worker cache of rebuilt models and their derived objects, keyed by data hash and spec. */
export class UnitContext {
  private readonly prepared = new Map<string, Promise<unknown>>();
  constructor(
    private readonly loadBundle: (job: UnitJob) => Promise<Uint8Array>,
    private readonly externals: Record<string, PerturbableModel>,
    private readonly maxEntries = 8,
  ) {}

  private cached<T>(key: string, make: () => Promise<T>): Promise<T> {
    let p = this.prepared.get(key) as Promise<T> | undefined;
    if (!p) {
      p = make();
      p.catch(() => this.prepared.delete(key)); // a failed build is retried by the next job
      this.prepared.set(key, p);
      while (this.prepared.size > this.maxEntries) this.prepared.delete(this.prepared.keys().next().value!);
    }
    return p;
  }

  private async data(job: UnitJob): Promise<ReturnType<typeof bundleArrays>> {
    return this.cached(`data:${job.data!.sha256}`, async () =>
      bundleArrays(decodeBundle(await this.loadBundle(job), job.data!.uri), job.data!.uri),
    );
  }

  private model(job: UnitJob & { model: ModelSpec }): Promise<AttributableModel> {
    return this.cached(`model:${job.data!.sha256}:${JSON.stringify(job.model)}`, async () =>
      rebuildModel(job.model, await this.data(job)),
    );
  }

  /**
   * Runs one unit.
   * @param job - a validated job
   * @returns its values
   */
  async run(job: UnitJob): Promise<UnitOutput> {
    if (job.kind === 'rif-retrain') {
      if (job.model.kind === 'mlp')
        throw new RangeError(`worker: rif-retrain needs a logistic, ridge or softmax model, not ${job.model.kind}`);
      const influence = await this.cached(`influence:${job.data.sha256}:${JSON.stringify(job.model)}`, async () => {
        const model = await this.model(job);
        return model.kind === 'softmax'
          ? Influence.of(model as SoftmaxRegression)
          : Influence.of(model as GeneralizedLinearModel);
      });
      const t0 = performance.now();
      const refit = await influence.retrain(job.removed);
      return {
        values: refit.theta,
        iterations: refit.diagnostics.chordIterations + refit.diagnostics.newtonIterations,
        seconds: (performance.now() - t0) / 1000,
      };
    }
    if (job.kind === 'lds-retrain') {
      const model = await this.model(job);
      const data = await this.data(job);
      if (!data.Xq || !data.yq) throw new RangeError('worker: lds-retrain data bundle lacks the queries (Xq, yq)');
      return {
        values: await subsetTargets(
          model,
          Uint32Array.from(job.subset),
          data.Xq,
          data.yq,
          job.target,
          job.seeds,
          job.seed,
          job.unit,
        ),
      };
    }
    return this.daunceModel(job);
  }

  private async daunceModel(job: DaunceModelJob): Promise<UnitOutput> {
    let perturbable: PerturbableModel;
    if ('external' in job.model) {
      const external = this.externals[job.model.external];
      if (!external)
        throw new RangeError(`worker: no external model named '${job.model.external}' is registered on this worker`);
      perturbable = external;
    } else {
      const spec = job.model;
      perturbable = await this.cached(
        `perturbable:${job.data!.sha256}:${JSON.stringify(spec)}:${job.variant}:${job.access}:${job.seed}:${job.gamma ?? 1}:${job.rho ?? 1}:${JSON.stringify(job.training ?? {})}`,
        async () => {
          const model = await this.model({ ...job, model: spec });
          const data = await this.data(job);
          if (!data.Xq || !data.yq) throw new RangeError('worker: daunce-model data bundle lacks the queries (Xq, yq)');
          if (model.X.rows !== job.n || data.Xq.rows !== job.m)
            throw new RangeError(
              `worker: daunce-model job says n = ${job.n}, m = ${job.m}; the data have ${model.X.rows} and ${data.Xq.rows}`,
            );
          return perturbableFor({
            model,
            queries: { X: data.Xq, y: data.yq },
            variant: job.variant,
            access: job.access,
            seed: job.seed,
            settings: { gamma: job.gamma ?? 1, rho: job.rho ?? 1 },
            ...(job.training ? { training: job.training } : {}),
          });
        },
      );
    }
    const p = drawPerturbation(job.n, job.ratio, job.seed, job.unit);
    const t0 = performance.now();
    const handle = await perturbable.train(p, {
      variant: job.variant,
      access: job.access,
      ratio: job.ratio,
      gamma: job.gamma ?? 1,
      rho: job.rho ?? 1,
      ...(job.training ? { training: job.training } : {}),
    });
    try {
      const [train, queries] = await Promise.all([
        perturbable.losses(handle, 'train'),
        perturbable.losses(handle, 'queries'),
      ]);
      const values = new Float64Array(job.n + job.m);
      if (train.length !== job.n || queries.length !== job.m)
        throw new RangeError(
          `worker: model ${job.unit} returned ${train.length} + ${queries.length} losses, expected ${job.n} + ${job.m}`,
        );
      values.set(train);
      values.set(queries, job.n);
      return { values, seconds: (performance.now() - t0) / 1000 };
    } finally {
      await perturbable.release?.(handle);
    }
  }
}
