/**
 * Which perturbed trainer Daunce uses for a model, by the model's `kind`. The built-in models
 * are registered here; a new model registers its own trainer with `registerPerturbable`, and
 * nothing in Daunce needs to know its class.
 */
import type { Matrix } from '../data/matrix.ts';
import type { GeneralizedLinearModel } from '../models/glm.ts';
import type { MultilayerPerceptron } from '../models/mlp.ts';
import type { AttributableModel } from '../models/model.ts';
import type { SoftmaxRegression } from '../models/softmax.ts';
import { glmPerturbable } from './glm-perturbable.ts';
import { mlpPerturbable } from './mlp-perturbable.ts';
import type { DaunceAccess, DaunceVariant } from './perturbation.ts';
import type { DaunceObjectiveSettings, DaunceTraining } from './settings.ts';
import type { PerturbableModel } from './runner.ts';
import { softmaxPerturbable } from './softmax-perturbable.ts';

/** What a perturbed trainer is built from: the fitted model, checked queries, the variant and the run's seed. */
export interface PerturbableRequest<M extends AttributableModel = AttributableModel> {
  model: M;
  queries: { X: Matrix; y: Float64Array };
  variant: DaunceVariant;
  access: DaunceAccess;
  seed: number;
  /** gamma and rho of the objective (default: both 1). */
  settings?: DaunceObjectiveSettings;
  /** Training settings of copies trained by minibatches (checked; absent fields take the model's defaults). */
  training?: DaunceTraining;
}

/** Builds the PerturbableModel that trains perturbed copies of one kind of model. */
export type PerturbableFactory<M extends AttributableModel = AttributableModel> = (
  request: PerturbableRequest<M>,
) => PerturbableModel<unknown>;

const factories = new Map<string, PerturbableFactory>();

/**
 * Registers the perturbed trainer of a model kind (replacing an earlier registration).
 * @param kind - the model's `kind`
 * @param factory - builds a PerturbableModel for a fitted model of that kind
 */
export function registerPerturbable<M extends AttributableModel>(kind: string, factory: PerturbableFactory<M>): void {
  if (typeof kind !== 'string' || kind === '') {
    throw new TypeError('registerPerturbable: kind must be a non-empty string');
  }
  if (typeof factory !== 'function') throw new TypeError('registerPerturbable: factory must be a function');
  factories.set(kind, factory as PerturbableFactory);
}

/**
 * The perturbed trainer registered for a model's kind.
 * @param request - the model, queries, variant, access and seed
 * @returns the model's PerturbableModel
 */
export function perturbableFor(request: PerturbableRequest): PerturbableModel<unknown> {
  const factory = factories.get(request.model.kind);
  if (!factory) {
    const known = [...factories.keys()].join(', ');
    throw new RangeError(
      `daunce: no perturbed trainer is registered for '${request.model.kind}' models (registered: ${known}); ` +
        'register one with registerPerturbable',
    );
  }
  return factory(request);
}

/** Newton-solved models have no training settings: a given `training` would be silently unused. */
function exactOnly<M extends AttributableModel>(factory: PerturbableFactory<M>): PerturbableFactory<M> {
  return (r) => {
    if (r.training && Object.keys(r.training).length > 0) {
      throw new RangeError(
        `daunce: training applies to copies trained by minibatches (the MLP, external models); ${r.model.kind} copies are solved exactly by Newton`,
      );
    }
    return factory(r);
  };
}

registerPerturbable<GeneralizedLinearModel>(
  'logistic',
  exactOnly((r) => glmPerturbable(r)),
);
registerPerturbable<SoftmaxRegression>(
  'softmax',
  exactOnly((r) => softmaxPerturbable(r)),
);
registerPerturbable<MultilayerPerceptron>('mlp', (r) => mlpPerturbable(r));
