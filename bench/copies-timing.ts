/**
 * Shared by the Daunce copy benchmarks (daunce-copies.ts, daunce-softmax-copies.ts): timing per
 * copy, interleaved rounds, the earlier build's trainer in a child process, and the NumPy
 * reference run on the same copies.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Matrix, type Perturbation, writeNpy } from '../src/index.ts';
import type { PerturbableModel, PerturbationObjective } from '../src/daunce/runner.ts';

/** Wall-clock and CPU (all threads of the process, user + system) seconds per copy. */
export interface Timing {
  seconds: number;
  cpuSeconds: number;
}

/** A standard normal draw (Box-Muller); stringified into the baseline child scripts too. */
export function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** The statement that times `copies` copies of `trainOne(p)` and prints a Timing as JSON. */
export function childTimingLoop(copies: number, trainOne: string): string {
  return `const c0 = process.cpuUsage();
const t0 = performance.now();
for (const p of ps) { ${trainOne} }
const cpu = process.cpuUsage(c0);
console.log(JSON.stringify({ seconds: (performance.now() - t0) / 1000 / ${copies}, cpuSeconds: (cpu.user + cpu.system) / 1e6 / ${copies} }));
`;
}

/** Runs a script in the checkout (its own build and sources) and returns the Timing it printed. */
export function childSeconds(checkout: string, prefix: string, script: string): Timing {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const file = join(dir, 'baseline.mts');
  writeFileSync(file, script);
  const out = execFileSync(process.execPath, ['--import', 'tsx', file], { cwd: checkout, maxBuffer: 1 << 24 })
    .toString()
    .trim()
    .split('\n');
  rmSync(dir, { recursive: true, force: true });
  return JSON.parse(out[out.length - 1]!) as Timing;
}

/** Seconds per copy of `f`, which trains (and evaluates) `copies` copies. */
export async function timed(copies: number, f: () => Promise<unknown>): Promise<Timing> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await f();
  const cpu = process.cpuUsage(c0);
  return { seconds: (performance.now() - t0) / 1000 / copies, cpuSeconds: (cpu.user + cpu.system) / 1e6 / copies };
}

/**
 * Rounds interleave the paths (and the baseline build's child process), so that a change of
 * load on the shared machine hits all of them; each path reports its fastest round.
 */
export async function interleavedRounds<P extends string>(
  rounds: number,
  copies: number,
  paths: Record<P, () => Promise<unknown>>,
  baseline: (() => Timing) | undefined,
): Promise<Record<P | 'baseline', Timing[]>> {
  const names = Object.keys(paths) as P[];
  const samples = Object.fromEntries([...names, 'baseline'].map((k) => [k, []])) as unknown as Record<
    P | 'baseline',
    Timing[]
  >;
  for (let round = 0; round < rounds; round++) {
    for (const name of names) samples[name].push(await timed(copies, paths[name]));
    if (baseline) samples.baseline.push(baseline());
  }
  return samples;
}

/** The fastest round's wall-clock seconds per copy. */
export const fastest = (a: Timing[]): number => Math.min(...a.map((t) => t.seconds));
/** The least CPU seconds per copy over the rounds. */
export const leastCpu = (a: Timing[]): number => Math.min(...a.map((t) => t.cpuSeconds));

/**
 * Per-copy seconds and CPU seconds of every path (the unbatched one named `unbatchedName`), and the
 * batched copies' speedups over the baseline checkout (when timed), the unbatched path and NumPy.
 */
export function copyTimings<P extends string>(
  samples: Record<P | 'one' | 'batched' | 'baseline', Timing[]>,
  unbatchedName: P,
  numpySeconds: number,
  hasBaseline: boolean,
) {
  const unbatched = fastest(samples[unbatchedName]),
    batched = fastest(samples.batched);
  const baseline = hasBaseline ? fastest(samples.baseline) : undefined;
  const upper = unbatchedName.charAt(0).toUpperCase() + unbatchedName.slice(1);
  return {
    secondsPerCopy: {
      ...(baseline !== undefined ? { baselineCheckout: baseline } : {}),
      [unbatchedName]: unbatched,
      nativeOneAtATime: fastest(samples.one),
      nativeBatched: batched,
      numpyNewton: numpySeconds,
    },
    // CPU time of all the process's threads: less sensitive to the other users of the machine.
    cpuSecondsPerCopy: {
      ...(baseline !== undefined ? { baselineCheckout: leastCpu(samples.baseline) } : {}),
      [unbatchedName]: leastCpu(samples[unbatchedName]),
      nativeOneAtATime: leastCpu(samples.one),
      nativeBatched: leastCpu(samples.batched),
    },
    ...(baseline !== undefined
      ? {
          speedupOverBaselineCheckout: baseline / batched,
          cpuSpeedupOverBaselineCheckout: leastCpu(samples.baseline) / leastCpu(samples.batched),
        }
      : {}),
    [`speedupOver${upper}`]: unbatched / batched,
    speedupOverNumpy: numpySeconds / batched,
  };
}

/** What the NumPy reference prints: its time and Newton iterations per copy, and the first copy's parameters. */
export interface NumpyReference {
  secondsPerCopy: number;
  newtonIterationsPerCopy: number;
  firstTheta: number[];
}

/**
 * Writes the data, the start and the copies' rows and weights to .npy files and runs the NumPy
 * reference script (bench/reference/<script>) on them, with `params` as its JSON argument.
 */
export async function numpyReference(
  script: string,
  data: { X: Matrix; y: Float64Array; Xq: Matrix; yq: Float64Array; theta0: Float64Array; ps: Perturbation[] },
  params: Record<string, number>,
): Promise<NumpyReference> {
  const { X, y, Xq, yq, theta0, ps } = data;
  const tmp = mkdtempSync(join(tmpdir(), 'tdakit-copies-reference-'));
  const copies = ps.length,
    size = ps[0]!.subset.length;
  await writeNpy(join(tmp, 'X.npy'), X.data, [X.rows, X.cols]);
  await writeNpy(join(tmp, 'y.npy'), y, [y.length]);
  await writeNpy(join(tmp, 'Xq.npy'), Xq.data, [Xq.rows, Xq.cols]);
  await writeNpy(join(tmp, 'yq.npy'), yq, [yq.length]);
  await writeNpy(join(tmp, 'theta0.npy'), theta0, [theta0.length]);
  const rows = new Float64Array(copies * size),
    xi = new Float64Array(copies * size);
  ps.forEach((p, k) => {
    rows.set(p.subset, k * size);
    xi.set(p.xi, k * size);
  });
  await writeNpy(join(tmp, 'rows.npy'), new Int32Array(rows), [copies * size]);
  await writeNpy(join(tmp, 'xi.npy'), xi, [copies * size]);
  const ref = JSON.parse(
    execFileSync('/usr/bin/python3', [script, tmp, JSON.stringify({ ...params, copies, size, tol: 1e-10 })], {
      maxBuffer: 1 << 26,
    }).toString(),
  ) as NumpyReference;
  rmSync(tmp, { recursive: true, force: true });
  return ref;
}

/**
 * The native paths that `interleavedRounds` times: copies one at a time (`train`) and 32 per call
 * (`trainBatch`, what `daunce` uses), each copy with the losses of the training set and queries.
 */
export function copyPaths<H>(
  ps: Perturbation[],
  pm: PerturbableModel<H>,
  objective: PerturbationObjective,
  onBatch?: (hs: H[]) => void,
) {
  const losses = async (h: H) => {
    await pm.losses(h, 'train');
    await pm.losses(h, 'queries');
  };
  return {
    one: async () => {
      for (const p of ps) await losses(await pm.train(p, objective));
    },
    batched: async () => {
      for (let k = 0; k < ps.length; k += 32) {
        const hs = await pm.trainBatch!(ps.slice(k, k + 32), objective);
        onBatch?.(hs);
        for (const h of hs) await losses(h);
      }
    },
  };
}
