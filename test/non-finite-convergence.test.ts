// Issue 16 item 3: non-finite arithmetic is never accepted as convergence. Inputs that are finite
// but too large for float64 arithmetic (a Number.MAX_VALUE missing-value sentinel, weights of
// 1e308, targets of 1e308, a refit start of 1e300, lambda = 1e300) end in a NumericError that
// says what is too large, or in a correct result; never theta = 0 with gradientNorm Infinity.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LogisticRegression, Matrix, NumericError, RidgeRegression } from '../src/index.ts';
import { SoftmaxRegression } from '../src/models/softmax.ts';
import { lehmer } from './helpers.ts';

function data(n: number, d: number, seed = 3): { X: Matrix; y: Float64Array; classes: Float64Array } {
  const uniform = lehmer(seed);
  const rnd = (): number => uniform() * 2 - 1;
  const X = new Float64Array(n * d);
  const y = new Float64Array(n);
  const classes = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let z = 0;
    for (let j = 0; j < d; j++) {
      X[i * d + j] = rnd();
      z += X[i * d + j]! * (j + 1);
    }
    y[i] = z + 0.3 * rnd() > 0 ? 1 : 0;
    classes[i] = i % 3;
  }
  return { X: new Matrix(X, n, d), y, classes };
}

function isNumeric(pattern: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof NumericError, `expected a NumericError, got ${String(err)}`);
    assert.match((err as Error).message, pattern);
    return true;
  };
}

test('a Number.MAX_VALUE entry of X is a NumericError naming X (logistic, ridge, softmax)', async () => {
  const { X, y, classes } = data(60, 4);
  X.data[3 * 4 + 1] = Number.MAX_VALUE;
  await assert.rejects(LogisticRegression.fit(X, y, { lambda: 1 }), isNumeric(/X: row 3 is too large for float64/));
  await assert.rejects(RidgeRegression.fit(X, y, { lambda: 1 }), isNumeric(/X: row 3 is too large for float64/));
  await assert.rejects(
    SoftmaxRegression.fit(X, classes, { lambda: 1 }),
    isNumeric(/X: row 3 is too large for float64/),
  );
});

test('weights whose sum overflows are a NumericError naming the weights', async () => {
  const { X, y, classes } = data(60, 4);
  const w = new Float64Array(60).fill(1e308);
  await assert.rejects(
    LogisticRegression.fit(X, y, { lambda: 1, sampleWeights: w }),
    isNumeric(/weights: their sum overflows/),
  );
  await assert.rejects(
    SoftmaxRegression.fit(X, classes, { lambda: 1, sampleWeights: w }),
    isNumeric(/weights: their sum overflows/),
  );
});

test('single huge weights, huge targets and a huge refit start end in an error, never a silent Infinity', async () => {
  const { X, y } = data(60, 4);
  const w = new Float64Array(60).fill(1);
  w[5] = 1e308;
  await assert.rejects(
    LogisticRegression.fit(X, y, { lambda: 1, sampleWeights: w }),
    isNumeric(/not finite in float64/),
  );
  const huge = y.map((v, i) => (v - 0.5 + i / 60) * 1e308);
  await assert.rejects(
    RidgeRegression.fit(X, huge, { lambda: 1 }),
    isNumeric(/not finite in float64 .* at the starting point/),
  );
  const m = await LogisticRegression.fit(X, y, { lambda: 1 });
  const start = new Float64Array(m.nParameters).fill(1e300);
  await assert.rejects(
    m.refit({ exclude: [1, 2] }, { start }),
    isNumeric(/not finite in float64 .* at the starting point/),
  );
});

test('lambda = 1e300 with an unpenalised intercept says the Hessian is badly scaled (not "set lambda > 0")', async () => {
  const { X, y } = data(60, 4);
  await assert.rejects(LogisticRegression.fit(X, y, { lambda: 1e300 }), (err: unknown) => {
    assert.ok(err instanceof NumericError);
    assert.match((err as Error).message, /too badly scaled for float64/);
    assert.doesNotMatch((err as Error).message, /set lambda > 0/);
    return true;
  });
  // Without an intercept every direction is penalised: the exact answer theta = 0 (to float64).
  const m = await LogisticRegression.fit(X, y, { lambda: 1e300, fitIntercept: false });
  assert.ok(Number.isFinite(m.gradientNorm));
  for (const t of m.theta) assert.ok(Math.abs(t) < 1e-290);
});
