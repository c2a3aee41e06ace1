/**
 * The settings of Daunce's perturbed objective beyond the variant (docs/methods.md section 4):
 * gamma, the scale of the loss-difference term; rho, the spread of the xi weights; and the
 * training settings of copies trained by minibatches (the MLP, external models).
 */
import { assertInteger, assertNumber } from '../data/validate.ts';
import type { DaunceVariant } from './perturbation.ts';

/** How a perturbed copy trained by minibatches is trained (the MLP; passed on to external models). */
export interface DaunceTraining {
  /** 'adam' or 'sgd' (with momentum). MLP default: the fitted model's optimiser. */
  optimizer?: 'adam' | 'sgd';
  /** Initial learning rate. MLP default: the fitted model's. */
  learningRate?: number;
  /**
   * 'constant', or 'cosine': step t of T decays the rate to learningRate (1 + cos(pi t / T)) / 2.
   * MLP default 'cosine' (+0.030 LDS measured on 10-class MNIST, docs/methods.md section 4).
   */
  schedule?: 'constant' | 'cosine';
  /** Passes over D^k. MLP default: the fitted model's epochs. */
  epochs?: number;
  /** Minibatch size. MLP default: the fitted model's. */
  batchSize?: number;
  /** SGD momentum in [0, 1]. MLP default: the fitted model's. */
  momentum?: number;
}

/** The objective's settings every variant takes. */
export interface DaunceObjectiveSettings {
  /** Scale of the loss-difference term. Default 1. */
  gamma: number;
  /** Spread of the xi weights, weight factor 1 + rho (2 xi - 1). Default 1. */
  rho: number;
}

const TRAINING_KEYS = ['optimizer', 'learningRate', 'schedule', 'epochs', 'batchSize', 'momentum'] as const;

/**
 * Checks `training` (each field optional) and returns a copy holding only the given fields.
 * @param where - the caller, for error messages
 * @param training - the user's training settings
 * @returns the checked settings
 */
export function checkTraining(where: string, training: unknown): DaunceTraining {
  if (training === null || typeof training !== 'object' || Array.isArray(training))
    throw new TypeError(`${where}: training must be an object`);
  const t = training as Record<string, unknown>;
  for (const key of Object.keys(t)) {
    if (!(TRAINING_KEYS as readonly string[]).includes(key))
      throw new RangeError(`${where}: training.${key} is not an option (known: ${TRAINING_KEYS.join(', ')})`);
  }
  const out: DaunceTraining = {};
  if (t.optimizer !== undefined) {
    if (t.optimizer !== 'adam' && t.optimizer !== 'sgd')
      throw new RangeError(`${where}: training.optimizer must be 'adam' or 'sgd', got '${String(t.optimizer)}'`);
    out.optimizer = t.optimizer;
  }
  if (t.schedule !== undefined) {
    if (t.schedule !== 'constant' && t.schedule !== 'cosine')
      throw new RangeError(`${where}: training.schedule must be 'constant' or 'cosine', got '${String(t.schedule)}'`);
    out.schedule = t.schedule;
  }
  if (t.learningRate !== undefined) {
    out.learningRate = assertNumber(`${where}: training.learningRate`, t.learningRate, 0);
    if (out.learningRate === 0) throw new RangeError(`${where}: training.learningRate must be > 0`);
  }
  if (t.epochs !== undefined) out.epochs = assertInteger(`${where}: training.epochs`, t.epochs, 1, 1e6);
  if (t.batchSize !== undefined) out.batchSize = assertInteger(`${where}: training.batchSize`, t.batchSize, 1);
  if (t.momentum !== undefined) out.momentum = assertNumber(`${where}: training.momentum`, t.momentum, 0, 1);
  return out;
}

/**
 * Checks gamma (finite, > 0) and rho (finite, >= 0); both default to 1.
 * @param where - the caller, for error messages
 * @param gamma - the user's gamma
 * @param rho - the user's rho
 * @returns the checked settings
 */
export function checkObjectiveSettings(where: string, gamma: unknown, rho: unknown): DaunceObjectiveSettings {
  const g = assertNumber(`${where}: gamma`, gamma ?? 1, 0);
  if (!(g > 0)) throw new RangeError(`${where}: gamma must be > 0 (it scales the loss-difference term), got ${g}`);
  return { gamma: g, rho: assertNumber(`${where}: rho`, rho ?? 1, 0) };
}

/**
 * The coefficient c of the first-order term c * grad(theta_0)^T theta of one example's
 * perturbed objective gamma * D_i(theta) - rho (2 xi - 1) grad^T theta (docs/methods.md
 * section 4). For 'hessian' the loss-difference term D_i = l_i(theta) - grad^T theta carries a
 * linear part of its own, so c = -(gamma + rho (2 xi - 1)), written -((gamma - rho) + 2 rho xi)
 * so that gamma = rho = 1 gives exactly -2 xi, today's bits.
 * @param variant - the perturbed objective
 * @param xi - the example's xi
 * @param s - gamma and rho
 * @returns the coefficient
 */
export function firstOrderCoefficient(variant: DaunceVariant, xi: number, s: DaunceObjectiveSettings): number {
  return variant === 'hessian' ? -(s.gamma - s.rho + 2 * s.rho * xi) : -(s.rho * (2 * xi - 1));
}
