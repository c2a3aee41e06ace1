/** The machine a harness run measured: BLAS, threads, load and its dgemm rate. */
import { loadavg } from 'node:os';
import { nativeAddon } from '../../src/native.ts';
import { runStats, type RunStats } from './measure.ts';

/** Measured dgemm rate (GFLOP/s of square products, one value per sample). */
export interface DgemmRate extends RunStats {
  mean: number;
  size: number;
}

/**
 * Measures this machine's dgemm rate now (the reference of every kernel ratio, so it is taken
 * next to each kernel: the machine may be shared).
 * @param samples - number of measurements (each 2 products)
 * @param size - the matrices' order (2048 for the reference rate; smaller for smoke tests)
 * @returns the rates in GFLOP/s (min/median/mean over samples)
 */
export async function dgemmRate(samples = 5, size = 2048): Promise<DgemmRate> {
  const addon = nativeAddon();
  const rates: number[] = [];
  for (let s = 0; s < samples; s++) rates.push(await addon.dgemmRate({ size, reps: 2 }));
  return { ...runStats(rates), mean: rates.reduce((a, b) => a + b, 0) / rates.length, size };
}

/**
 * The environment record saved with every result.
 * @returns BLAS configuration, threads, OPENBLAS_CORETYPE, Node version and the load average
 */
export function environment() {
  const addon = nativeAddon();
  const blas = addon.blasInfo();
  return {
    blas: blas.config.trim(),
    threads: blas.threads,
    OPENBLAS_CORETYPE: process.env.OPENBLAS_CORETYPE ?? '(unset)',
    node: process.version,
    loadAverage: loadavg(),
  };
}
