/** Binary L2-regularised logistic regression (labels 0/1). */
import { Matrix } from '../data/matrix.ts';
import { sigmoid } from '../numerics.ts';
import { GeneralizedLinearModel, type GlmState } from './glm.ts';
import type { GlmOptions } from './options.ts';
import { loadGlm, type ArtifactLoadOptions } from '../artifacts/models.ts';

/** Binary L2-regularised logistic regression, labels 0/1 (docs/methods.md section 1). */
export class LogisticRegression extends GeneralizedLinearModel {
  readonly kind = 'logistic' as const;
  readonly task = 'classification' as const;

  /**
   * Fits by damped Newton with Cholesky solves to machine precision.
   * Rejects labels outside {0, 1}, single-class data with an intercept (or lambda = 0), and
   * reports separable data when lambda = 0 (set lambda > 0).
   * @param X - training inputs, one example per row
   * @param y - labels 0 or 1
   * @param options - penalty, intercept, weights, convergence (see `GlmOptions`)
   * @returns the fitted model
   */
  static async fit(X: Matrix, y: Float64Array | readonly number[], options?: GlmOptions): Promise<LogisticRegression> {
    return new LogisticRegression(
      await LogisticRegression.fitState('LogisticRegression', 'logistic', X, y, options, checkBinary(options ?? {})),
    );
  }

  /**
   * Loads a model saved by `model.save(dir)` (or the model of an influence artifact), checked by hash.
   * @param dir - the artifact directory
   * @param options - the training data when the artifact references it rather than embedding it
   * @returns the model, bit-identical to the one saved
   */
  static load(dir: string, options: ArtifactLoadOptions = {}): Promise<LogisticRegression> {
    return loadGlm(dir, 'logistic', 'LogisticRegression.load', options, (state) => new LogisticRegression(state));
  }

  protected withState(state: GlmState): this {
    return new LogisticRegression(state) as this;
  }

  protected checkLabels(name: string, y: Float64Array): void {
    checkBinary()(name, y);
  }

  /**
   * P(y = 1 | x).
   * @param X - inputs
   * @returns one probability per row
   */
  async predictProba(X: Matrix): Promise<Float64Array> {
    const z = await this.decisionFunction(X);
    return z.map(sigmoid);
  }

  /**
   * Gradients of the true-class margin f_i = (2 y_i - 1) a_i^T theta: (2 y_i - 1) a_i, n x p
   * (TRAK's features).
   * @param X - inputs
   * @param y - labels 0/1
   * @returns the n x p gradient matrix
   */
  async outputGradients(X: Matrix, y: Float64Array): Promise<Matrix> {
    const design = this.design(X);
    const labels = this.labels(y, X.rows);
    const g = await this.call('outputGradients', () =>
      this.backend.scaledRows({ ...design, coef: labels.map((v) => 2 * v - 1) }),
    );
    return new Matrix(g, X.rows, this.nParameters);
  }

  /**
   * Predicted labels (1 where P(y = 1) >= 0.5).
   * @param X - inputs
   * @returns one label per row
   */
  async predict(X: Matrix): Promise<Float64Array> {
    return (await this.decisionFunction(X)).map((v) => (v >= 0 ? 1 : 0));
  }
}

/** Labels in {0, 1}; at fit time, both classes must be present when nothing else pins the intercept. */
function checkBinary(options?: GlmOptions) {
  return (name: string, y: Float64Array): void => {
    let ones = 0;
    for (let i = 0; i < y.length; i++) {
      const v = y[i]!;
      if (v !== 0 && v !== 1)
        throw new RangeError(`${name}: label ${i} is ${v}; logistic regression needs labels 0 or 1`);
      ones += v;
    }
    const needsBoth = options !== undefined ? (options.fitIntercept ?? true) || options.lambda === 0 : false;
    if (needsBoth && y.length > 0 && (ones === 0 || ones === y.length)) {
      throw new RangeError(
        `${name}: every label is ${ones === 0 ? 0 : 1}; the intercept of logistic regression has no finite optimum with one class`,
      );
    }
  };
}
