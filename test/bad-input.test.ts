import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { LogisticRegression, RidgeRegression, Matrix, NumericError } from '../src/index.ts';
import { logisticData, regressionData } from './helpers.ts';

const { X, y } = logisticData(50, 3, 1);

test('Matrix rejects the wrong element type, wrong length and non-finite values', () => {
  assert.throws(() => new Matrix(new Float32Array(6) as unknown as Float64Array, 2, 3), {
    name: 'TypeError',
    message: /Float64Array.*Float32Array/,
  });
  assert.throws(() => new Matrix(new Float64Array(5), 2, 3), { name: 'RangeError', message: /expected rows \* cols/ });
  assert.throws(
    () =>
      Matrix.fromArrays([
        [1, 2],
        [3, NaN],
      ]),
    { name: 'RangeError', message: /NaN at row 1, column 1/ },
  );
  assert.throws(
    () =>
      Matrix.fromArrays([
        [1, 2],
        [3, Infinity],
      ]),
    { message: /Infinity/ },
  );
  assert.throws(() => Matrix.fromArrays([[1, 2], [3]]), { message: /row 1 has 1 values/ });
});

test('fit rejects shape mismatches, bad labels and bad options with the argument named', async () => {
  await assert.rejects(LogisticRegression.fit(X, y.subarray(1)), {
    name: 'RangeError',
    message: /y: has 49 entries, expected 50/,
  });
  await assert.rejects(LogisticRegression.fit(X.toArrays() as unknown as Matrix, y), {
    name: 'TypeError',
    message: /X: must be a Matrix/,
  });
  const bad = y.slice();
  bad[7] = 2;
  await assert.rejects(LogisticRegression.fit(X, bad), {
    message: /label 7 is 2; logistic regression needs labels 0 or 1/,
  });
  const nan = y.slice();
  nan[3] = NaN;
  await assert.rejects(LogisticRegression.fit(X, nan), { message: /y: contains NaN at index 3/ });
  await assert.rejects(
    RidgeRegression.fit(
      X,
      Array.from(y, (v, i) => (i === 4 ? Infinity : v)),
    ),
    { message: /y: contains Infinity at index 4/ },
  );
  await assert.rejects(LogisticRegression.fit(X, y, { lambda: -1 }), {
    name: 'RangeError',
    message: /options.lambda: must be in \[0/,
  });
  await assert.rejects(LogisticRegression.fit(X, y, { lambda: NaN }), { message: /options.lambda: must be finite/ });
  await assert.rejects(LogisticRegression.fit(X, y, { regularization: 'sometimes' as never }), {
    message: /options.regularization/,
  });
  await assert.rejects(LogisticRegression.fit(X, y, { maxIter: 0 }), { message: /options.maxIter/ });
  await assert.rejects(LogisticRegression.fit(X, y, { sampleWeights: new Float64Array(50).fill(-1) }), {
    message: /sampleWeights: weight 0 is -1/,
  });
  await assert.rejects(LogisticRegression.fit(X, y, { backend: 'tpu' as never }), { message: /unknown backend 'tpu'/ });
  await assert.rejects(LogisticRegression.fit(new Matrix(new Float64Array(0), 0, 3), []), { message: /X has no rows/ });
  await assert.rejects(LogisticRegression.fit(X, new Float64Array(50)), { message: /every label is 0/ });
});

test('lambda = 0 on separable data is reported as such, not as NaN or a hang', async () => {
  const sepY = Float64Array.from({ length: 50 }, (_, i) => (X.get(i, 0) > 0 ? 1 : 0));
  await assert.rejects(LogisticRegression.fit(X, sepY, { lambda: 0 }), (err: unknown) => {
    assert.ok(err instanceof NumericError);
    assert.match(err.message, /LogisticRegression.fit: .*linearly separable.*set lambda > 0/);
    return true;
  });
  // The same data with regularisation fits.
  const m = await LogisticRegression.fit(X, sepY, { lambda: 0.1 });
  assert.ok(m.theta.every(Number.isFinite));
});

test('a singular Hessian is reported (ridge, lambda = 0, duplicated feature)', async () => {
  const { X: R, y: ry } = regressionData(30, 2, 3);
  const dup = Matrix.fromArrays(R.toArrays().map((r) => [r[0]!, r[1]!, r[0]!]));
  await assert.rejects(RidgeRegression.fit(dup, ry, { lambda: 0 }), (err: unknown) => {
    assert.ok(err instanceof NumericError);
    assert.match(err.message, /Hessian is singular.*set lambda > 0/);
    return true;
  });
  // More parameters than examples without a penalty is singular too.
  const wide = regressionData(3, 5, 1);
  await assert.rejects(RidgeRegression.fit(wide.X, wide.y, { lambda: 0 }), NumericError);
});

test('refit rejects bad exclusion sets', async () => {
  const m = await LogisticRegression.fit(X, y);
  await assert.rejects(m.refit({ exclude: [] }), { message: /exclude: is empty/ });
  await assert.rejects(m.refit({ exclude: [1, 1] }), { message: /index 1 appears more than once/ });
  await assert.rejects(m.refit({ exclude: [50] }), { message: /index 50 is out of range \[0, 50\)/ });
  await assert.rejects(m.refit({ exclude: [-1] }), { message: /out of range/ });
  await assert.rejects(m.refit({ exclude: [1.5] }), { message: /not an integer index/ });
  await assert.rejects(m.refit({ exclude: [...Array(50).keys()] }), { message: /no training examples are left/ });
  await assert.rejects(m.refit({} as never), { message: /expects \{ exclude: indices \} or \{ weights \}/ });
  await assert.rejects(m.refit({ weights: new Float64Array(3) }), { message: /weights: has 3 entries, expected 50/ });
  const removed = await m.refit({ exclude: [4] });
  await assert.rejects(removed.refit({ exclude: [4] }), { message: /example 4 is already removed/ });
});

test('refit that leaves a singular problem says so', async () => {
  // lambda = 0 ridge with exactly p examples left after removal -> removing one makes it singular.
  const { X: R, y: ry } = regressionData(4, 3, 5);
  const m = await RidgeRegression.fit(R, ry, { lambda: 0 });
  await assert.rejects(
    m.refit({ exclude: [0] }),
    (err: unknown) => err instanceof NumericError && /singular/.test(err.message),
  );
});

test('refit whose remaining rows are collinear (more rows than parameters) says so', async () => {
  // Without rows 4 and 5 every row has x2 = 2 x1: the two features are collinear, so with
  // lambda = 0 the reduced least-squares problem has many minimisers even though 4 rows remain
  // for 3 parameters. The refit must report it, not return one of them.
  const R = Matrix.fromArrays([
    [0, 0],
    [1, 2],
    [2, 4],
    [3, 6],
    [1, 0],
    [0, 1],
  ]);
  const ry = new Float64Array([0.5, 1.2, 2.9, 4.1, -0.3, 0.8]);
  const m = await RidgeRegression.fit(R, ry, { lambda: 0 });
  await assert.rejects(
    m.refit({ exclude: [4, 5] }),
    (err: unknown) => err instanceof NumericError && /singular/.test(err.message),
  );
});

test('prediction inputs are checked against the model', async () => {
  const m = await LogisticRegression.fit(X, y);
  await assert.rejects(m.predictProba(Matrix.fromArrays([[1, 2]])), {
    message: /X: has 2 columns, the model has 3 features/,
  });
  await assert.rejects(m.losses(X, y.subarray(0, 10)), { message: /y: has 10 entries, expected 50/ });
});

test('the native boundary validates types and lengths instead of crashing', async () => {
  const addon = createRequire(import.meta.url)('../build/Release/tdakit_native.node');
  assert.throws(() => addon.fit(), { name: 'TypeError', message: /expects one options object/ });
  assert.throws(() => addon.fit({ n: 2, d: 2, intercept: false, x: new Float32Array(4) }), {
    name: 'TypeError',
    message: /'x' must be a Float64Array/,
  });
  assert.throws(() => addon.fit({ n: 2, d: 2, intercept: false, x: new Float64Array(3) }), {
    name: 'RangeError',
    message: /'x' has 3 elements, expected 4/,
  });
  assert.throws(
    () =>
      addon.leverage({
        n: 2,
        d: 1,
        intercept: false,
        x: new Float64Array(2),
        factor: new Float64Array(4),
        coef: new Float64Array(2),
      }),
    { message: /'factor' has 4 elements, expected 1/ },
  );
  assert.throws(
    () =>
      addon.refit({
        family: 0,
        n: 2,
        d: 1,
        intercept: false,
        x: new Float64Array(2),
        y: new Float64Array(2),
        lambda: 1,
        tol: 1e-12,
        maxIter: 10,
        thetaStart: new Float64Array(1),
        hessian: new Float64Array(1),
        factor: new Float64Array(1),
        rows: Uint32Array.of(7),
        coef: new Float64Array(1),
        shift: 0,
      }),
    { name: 'RangeError', message: /index 7, out of range/ },
  );
});
