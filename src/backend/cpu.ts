/** The CPU backend: the native addon (OpenBLAS + LAPACKE), every kernel on the libuv pool. */
import { nativeAddon } from '../native.ts';
import type { Backend } from './types.ts';

export function createCpuBackend(): Backend {
  const a = nativeAddon();
  return {
    name: 'cpu',
    describe: () => {
      const info = a.blasInfo();
      return `cpu (${info.config.trim()}, ${info.threads} threads)`;
    },
    fit: (o) => a.fit(o),
    refit: (o) => a.refit(o),
    reducedSolve: (o) => a.reducedSolve(o),
    pointwise: (o) => a.pointwise(o),
    hessian: (o) => a.hessian(o),
    factor: (o) => a.factor(o),
    leverage: (o) => a.leverage(o),
    choleskySolve: (o) => a.choleskySolve(o),
    scoreMatrix: (o) => a.scoreMatrix(o),
    scoreTopK: (o) => a.scoreTopK(o),
    covarianceScores: (o) => a.covarianceScores(o),
    scaledRows: (o) => a.scaledRows(o),
    transposeTimes: (o) => a.transposeTimes(o),
    multinomialFit: (o) => a.multinomialFit(o),
    multinomialLogits: (o) => a.multinomialLogits(o),
    multinomialHessian: (o) => a.multinomialHessian(o),
    multinomialLeverageBlocks: (o) => a.multinomialLeverageBlocks(o),
    mlpInit: (o) => a.mlpInit(o),
    mlpTrain: (o) => a.mlpTrain(o),
    mlpLogits: (o) => a.mlpLogits(o),
    mlpLosses: (o) => a.mlpLosses(o),
    mlpGradients: (o) => a.mlpGradients(o),
  };
}
