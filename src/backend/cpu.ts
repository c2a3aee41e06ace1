/** The CPU backend: the native addon (OpenBLAS + LAPACKE), every kernel on the libuv pool. */
import { nativeAddon, type NativeCode } from '../native.ts';
import { GLM_FAMILIES, LOGIT_OBJECTIVES, type Backend, type GlmFamily, type LogitObjective } from './types.ts';

/** The addon's integer code of an enum name, or a RangeError naming the argument. */
function code<N extends string>(
  table: Readonly<Record<N, NativeCode>>,
  names: readonly N[],
  kernel: string,
  key: string,
  name: N,
): NativeCode {
  if (!names.includes(name)) {
    throw new RangeError(`tdakit ${kernel}: '${key}' = ${JSON.stringify(name)} is not one of ${names.join(', ')}`);
  }
  return table[name];
}

export function createCpuBackend(): Backend {
  const a = nativeAddon();
  const family = (kernel: string, f: GlmFamily) => code(a.codes.family, GLM_FAMILIES, kernel, 'family', f);
  const objective = (kernel: string, o: LogitObjective) =>
    code(a.codes.objective, LOGIT_OBJECTIVES, kernel, 'objective', o);
  return {
    name: 'cpu',
    describe: () => {
      const info = a.blasInfo();
      return `cpu (${info.config.trim()}, ${info.threads} threads)`;
    },
    fit: (o) => a.fit({ ...o, family: family('fit', o.family) }),
    refit: (o) => a.refit({ ...o, family: family('refit', o.family) }),
    refitCache: () => a.refitCache(),
    reducedSolve: (o) => a.reducedSolve(o),
    pointwise: (o) => a.pointwise({ ...o, family: family('pointwise', o.family) }),
    hessian: (o) => a.hessian(o),
    factor: (o) => a.factor(o),
    leverage: (o) => a.leverage(o),
    choleskySolve: (o) => a.choleskySolve(o),
    scoreMatrix: (o) => a.scoreMatrix(o),
    scoreTopK: (o) => a.scoreTopK(o),
    covarianceScores: (o) => a.covarianceScores(o),
    scaledRows: (o) => a.scaledRows(o),
    transposeTimes: (o) => a.transposeTimes(o),
    multinomialFit: (o) =>
      a.multinomialFit({
        ...o,
        objective: o.objective === undefined ? undefined : objective('multinomialFit', o.objective),
      }),
    multinomialLogits: (o) => a.multinomialLogits(o),
    multinomialHessian: (o) => a.multinomialHessian(o),
    multinomialLeverageBlocks: (o) => a.multinomialLeverageBlocks(o),
    mlpInit: (o) => a.mlpInit(o),
    mlpTrain: (o) => a.mlpTrain({ ...o, objective: objective('mlpTrain', o.objective) }),
    mlpLogits: (o) => a.mlpLogits(o),
    mlpLosses: (o) => a.mlpLosses(o),
    mlpGradients: (o) => a.mlpGradients(o),
    glmCopies: (o) => a.glmCopies({ ...o, family: family('glmCopies', o.family) }),
    multinomialCopies: (o) => a.multinomialCopies({ ...o, objective: objective('multinomialCopies', o.objective) }),
  };
}
