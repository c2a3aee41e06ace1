/**
 * Kernel targets of issue 14 item 3: Daunce scoring (top-k covariance) and Influence top-k at
 * n training examples, d = K = 128, m queries, as GFLOP/s (2 n m d flops) against the dgemm
 * rate measured right before and after each kernel.
 */
import { LossCovariance } from '../../src/index.ts';
import { nativeAddon } from '../../src/native.ts';
import { seededRandom } from '../../src/random.ts';
import { dgemmRate, type DgemmRate } from './environment.ts';
import { micro, type MicroStats } from './measure.ts';

/** One kernel's measurement. */
export interface KernelResult {
  kernel: string;
  n: number;
  m: number;
  d: number;
  k: number;
  stats: MicroStats;
  gflops: number;
  /** dgemm measured right before and right after the kernel (the machine may be shared). */
  dgemmBefore: DgemmRate;
  dgemmAfter: DgemmRate;
  /** The mean of the two medians: the rate the kernel is divided by. */
  dgemmGflops: number;
  fractionOfDgemm: number;
}

const shared = (length: number) => new Float64Array(new SharedArrayBuffer(length * 8));

async function measured(
  kernel: string,
  n: number,
  m: number,
  d: number,
  k: number,
  samples: number,
  dgemmSize: number,
  maxSeconds: number,
  fn: () => Promise<unknown>,
): Promise<KernelResult> {
  const dgemmBefore = await dgemmRate(samples, dgemmSize);
  const stats = await micro(kernel, fn, samples, maxSeconds);
  const dgemmAfter = await dgemmRate(samples, dgemmSize);
  const gflops = (2 * n * m * d) / stats.meanSeconds / 1e9;
  const dgemmGflops = (dgemmBefore.median + dgemmAfter.median) / 2;
  return {
    kernel,
    n,
    m,
    d,
    k,
    stats,
    gflops,
    dgemmBefore,
    dgemmAfter,
    dgemmGflops,
    fractionOfDgemm: gflops / dgemmGflops,
  };
}

/**
 * Daunce scoring through the public accumulator: LossCovariance.topK(k, 'covariance') over K
 * models' synthetic losses (a few latent directions shared by examples and queries).
 * @param n - training examples
 * @param m - queries
 * @param K - perturbed models
 * @param k - scores kept per query at each end
 * @param samples - benchmark samples (and dgemm measurements)
 * @param dgemmSize - order of the reference dgemm
 * @param maxSeconds - sampling time after which no further sample starts
 * @returns the kernel's rate against dgemm
 */
export async function daunceScoring(
  n: number,
  m: number,
  K: number,
  k: number,
  samples: number,
  dgemmSize = 2048,
  maxSeconds = 1,
): Promise<KernelResult> {
  const random = seededRandom(1);
  const acc = new LossCovariance(n, m, K);
  const latent = 4;
  const loadT = Float64Array.from({ length: n * latent }, () => random() - 0.5);
  const loadQ = Float64Array.from({ length: m * latent }, () => random() - 0.5);
  const t = new Float64Array(n),
    q = new Float64Array(m);
  for (let model = 0; model < K; model++) {
    const f = Float64Array.from({ length: latent }, () => random() - 0.5);
    for (let i = 0; i < n; i++)
      t[i] =
        0.7 +
        loadT[4 * i]! * f[0]! +
        loadT[4 * i + 1]! * f[1]! +
        loadT[4 * i + 2]! * f[2]! +
        loadT[4 * i + 3]! * f[3]! +
        0.1 * random();
    for (let j = 0; j < m; j++)
      q[j] =
        0.7 +
        loadQ[4 * j]! * f[0]! +
        loadQ[4 * j + 1]! * f[1]! +
        loadQ[4 * j + 2]! * f[2]! +
        loadQ[4 * j + 3]! * f[3]! +
        0.1 * random();
    acc.add(t, q, model);
  }
  return measured('Daunce scoring (top-k covariance)', n, m, K, k, samples, dgemmSize, maxSeconds, () =>
    acc.topK(k, 'covariance'),
  );
}

/**
 * Influence top-k: the native scorer behind Influence.topK (scores f_i (u_i a_i^T V_j)) on a
 * design with an intercept; inputs in shared memory, as the kernel reads them in place.
 * @param n - training examples
 * @param m - queries
 * @param d - features
 * @param k - scores kept per query at each end
 * @param samples - benchmark samples (and dgemm measurements)
 * @param dgemmSize - order of the reference dgemm
 * @param maxSeconds - sampling time after which no further sample starts
 * @returns the kernel's rate against dgemm
 */
export async function influenceTopK(
  n: number,
  m: number,
  d: number,
  k: number,
  samples: number,
  dgemmSize = 2048,
  maxSeconds = 1,
): Promise<KernelResult> {
  const random = seededRandom(2);
  const x = shared(n * d);
  for (let i = 0; i < x.length; i++) x[i] = random() - 0.5;
  const v = shared((d + 1) * m);
  for (let i = 0; i < v.length; i++) v[i] = random() - 0.5;
  const rowCoef = shared(n),
    rowFactor = shared(n);
  for (let i = 0; i < n; i++) {
    rowCoef[i] = random() - 0.5;
    rowFactor[i] = 1 / (1 - 0.5 * random());
  }
  const addon = nativeAddon();
  return measured('Influence top-k (RIF scores)', n, m, d, k, samples, dgemmSize, maxSeconds, () =>
    addon.scoreTopK({ x, n, d, intercept: true, v, m, rowCoef, rowFactor, k }),
  );
}
