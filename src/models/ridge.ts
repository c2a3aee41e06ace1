/** L2-regularised least squares: l_i = (a_i^T theta - y_i)^2 / 2. */
import type { Matrix } from '../data/matrix.ts';
import { GeneralizedLinearModel, type GlmState } from './glm.ts';
import type { GlmOptions } from './options.ts';
import { loadGlm, type ArtifactLoadOptions } from '../artifacts/models.ts';

/** L2-regularised least squares (docs/methods.md section 1). */
export class RidgeRegression extends GeneralizedLinearModel {
  readonly kind = 'ridge' as const;
  readonly task = 'regression' as const;

  /**
   * Fits exactly (one Newton step is the normal equations, solved by Cholesky).
   * @param X - training inputs, one example per row
   * @param y - real targets
   * @param options - penalty, intercept, weights (see `GlmOptions`)
   * @returns the fitted model
   */
  static async fit(X: Matrix, y: Float64Array | readonly number[], options?: GlmOptions): Promise<RidgeRegression> {
    return new RidgeRegression(await RidgeRegression.fitState('RidgeRegression', 'ridge', X, y, options, () => {}));
  }

  /**
   * Loads a model saved by `model.save(dir)` (or the model of an influence artifact), checked by hash.
   * @param dir - the artifact directory
   * @param options - the training data when the artifact references it rather than embedding it
   * @returns the model, bit-identical to the one saved
   */
  static load(dir: string, options: ArtifactLoadOptions = {}): Promise<RidgeRegression> {
    return loadGlm(dir, 'ridge', 'RidgeRegression.load', options, (state) => new RidgeRegression(state));
  }

  protected withState(state: GlmState): this {
    return new RidgeRegression(state) as this;
  }

  protected checkLabels(): void {
    // Any finite target (finiteness is checked by the caller).
  }

  /**
   * Predictions a^T theta.
   * @param X - inputs
   * @returns one prediction per row
   */
  predict(X: Matrix): Promise<Float64Array> {
    return this.decisionFunction(X);
  }
}
