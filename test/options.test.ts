/** Unknown option keys are errors that name the key and the closest valid one. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LogisticRegression,
  RidgeRegression,
  SoftmaxRegression,
  MultilayerPerceptron,
  Influence,
  daunce,
  evaluateMethods,
  lds,
  trakScores,
  subsetRemoval,
  benchmarkRemoval,
  Matrix,
} from '../src/index.ts';
import { closest } from '../src/options-check.ts';
import { logisticData } from './helpers.ts';

const unknown = (key: string, suggestion?: string) => (e: Error) => {
  assert.ok(e instanceof TypeError, e.message);
  assert.match(e.message, new RegExp(`unknown option '${key}'`));
  if (suggestion) assert.match(e.message, new RegExp(`did you mean '${suggestion}'\\?`));
  return true;
};

test('the issue example: { lamda: 100 } is rejected, naming lambda', async () => {
  const { X, y } = logisticData(40, 3, 5);
  await assert.rejects(LogisticRegression.fit(X, y, { lamda: 100 } as never), (e: Error) => {
    assert.match(e.message, /unknown option 'lamda'; did you mean 'lambda'\?/);
    return true;
  });
  await assert.rejects(
    RidgeRegression.fit(X, y, { fitIntercpt: false } as never),
    unknown('fitIntercpt', 'fitIntercept'),
  );
  await assert.rejects(SoftmaxRegression.fit(X, y, { maxiter: 3 } as never), unknown('maxiter', 'maxIter'));
  await assert.rejects(MultilayerPerceptron.fit(X, y, { hiden: [4] } as never), unknown('hiden', 'hidden'));
});

test('every public entry point with options checks their keys', async () => {
  const { X, y } = logisticData(40, 3, 6);
  const q = logisticData(3, 3, 7);
  const model = await LogisticRegression.fit(X, y, { lambda: 1 });
  const inf = await Influence.of(model);
  await assert.rejects(
    model.refit({ exclude: [1] }, { keepHesian: true } as never),
    unknown('keepHesian', 'keepHessian'),
  );
  await assert.rejects(inf.removalEffect([1], { methd: 'if' } as never), unknown('methd', 'method'));
  await assert.rejects(inf.scores(q.X, q.y, { targt: 'loss' } as never), unknown('targt', 'target'));
  await assert.rejects(inf.topK(q.X, q.y, { K: 3 } as never), unknown('K', 'k'));
  await assert.rejects(daunce({ model, queries: q, k: 5 } as never), unknown('k', 'K'));
  await assert.rejects(evaluateMethods({ model, queries: q, method: ['if'] } as never), unknown('method', 'methods'));
  await assert.rejects(
    lds({ model, queries: q, scores: new Float64Array(120), subset: 4 } as never),
    unknown('subset', 'subsets'),
  );
  await assert.rejects(trakScores({ model, queries: q, ensembel: 2 } as never), unknown('ensembel', 'ensemble'));
  await assert.rejects(
    subsetRemoval({ model, queries: q, scores: new Float64Array(120), sizes: [1], seedz: 1 } as never),
    unknown('seedz'),
  );
  await assert.rejects(
    benchmarkRemoval({ data: { X, y: Array.from(y), name: 'x' }, lamda: 1 } as never),
    unknown('lamda', 'lambda'),
  );
  await assert.rejects(
    Matrix.fromCSV('/nonexistent.csv', { delimeter: ';' } as never),
    unknown('delimeter', 'delimiter'),
  );
});

test('far-off keys list the valid options instead of guessing', async () => {
  const { X, y } = logisticData(20, 2, 8);
  await assert.rejects(LogisticRegression.fit(X, y, { verbose: true } as never), (e: Error) => {
    assert.match(e.message, /unknown option 'verbose'; valid options: 'lambda', 'fitIntercept'/);
    return true;
  });
  assert.equal(closest('lamda', ['lambda', 'tol']), 'lambda');
  assert.equal(closest('maxIterations', ['maxIter', 'tol']), undefined);
  assert.equal(closest('ration', ['ratio', 'K']), 'ratio');
});
