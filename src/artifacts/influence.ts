/**
 * Influence artifacts: a fitted GLM plus everything scoring needs (the Hessian and its
 * Cholesky factor, leverages, per-example margins, losses, residuals and curvatures), so a
 * pipeline loads a factored model and scores without refitting or refactoring.
 */
import type { Influence } from '../influence/analysis.ts';
import type { GeneralizedLinearModel, HessianFactorization, TrainingPointwise } from '../models/glm.ts';
import { LogisticRegression } from '../models/logistic.ts';
import { RidgeRegression } from '../models/ridge.ts';
import { writeDirectoryAtomic } from './atomic.ts';
import { ArtifactError, ArtifactReader, ArtifactWriter, MANIFEST_FILE } from './format.ts';
import { tdakitVersion, writeModelParts, type ArtifactLoadOptions, type ArtifactSaveOptions } from './models.ts';
import { join } from 'node:path';

const POINTWISE = ['margin', 'loss', 'slope', 'curvature'] as const;

/** influence.save(dir): the model's artifact plus the factored influence state. */
export async function saveInfluence(
  influence: Influence,
  pointwise: TrainingPointwise,
  dir: string,
  options: ArtifactSaveOptions = {},
): Promise<void> {
  const f = influence.factorization;
  const p = influence.model.nParameters;
  const n = influence.n;
  await writeDirectoryAtomic(dir, MANIFEST_FILE, async (tmp) => {
    const w = new ArtifactWriter(tmp);
    const body = await writeModelParts(w, influence.model, options);
    await w.array('factor', f.factor, [p, p]);
    await w.array('hessian', f.hessian, [p, p]);
    await w.array('leverage', influence.leverage, [n]);
    for (const name of POINTWISE) await w.array(name, pointwise[name], [n]);
    await w.finish({ kind: 'influence', ...body, scalars: { ...body.scalars, rcond: f.rcond } }, await tdakitVersion());
  });
}

/** Influence.load(dir): the model and the factored state, checked, without any refit or factorisation. */
export async function loadInfluence<T>(
  dir: string,
  options: ArtifactLoadOptions,
  make: (model: GeneralizedLinearModel, f: HessianFactorization, pw: TrainingPointwise, leverage: Float64Array) => T,
): Promise<T> {
  const reader = await ArtifactReader.open(dir);
  reader.expect(['influence'], ['logistic', 'ridge'], 'Influence.load');
  const model =
    reader.manifest.model === 'logistic'
      ? await LogisticRegression.load(dir, options)
      : await RidgeRegression.load(dir, options);
  const p = model.nParameters;
  const n = model.X.rows;
  const factor = await reader.array('factor', [p, p], options);
  const hessian = await reader.array('hessian', [p, p], options);
  const leverage = await reader.array('leverage', [n], options);
  const pw = {} as TrainingPointwise;
  for (const name of POINTWISE) pw[name] = await reader.array(name, [n], options);
  const rcond = reader.manifest.scalars.rcond;
  if (typeof rcond !== 'number' || !Number.isFinite(rcond))
    throw new ArtifactError(join(dir, MANIFEST_FILE), "scalar 'rcond' is missing or not finite");
  return make(model, { factor, hessian, rcond }, pw, leverage);
}
