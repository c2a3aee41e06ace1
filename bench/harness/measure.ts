/**
 * Repeated timings for the benchmark harness (issue 14 item 4): kernel micro-benchmarks with the
 * `benchmark` package (mean ± relative margin of error over repeated samples) and end-to-end
 * timings as min/median of several runs.
 */
import Benchmark from 'benchmark';

// Closures over the benchmark's data: call the function itself instead of benchmark.js
// recompiling its source (which would lose the closure).
Benchmark.support.decompilation = false;

/** A micro-benchmark's statistics (seconds per call). */
export interface MicroStats {
  meanSeconds: number;
  /** Relative margin of error of the mean at 95% confidence, in percent. */
  rmePercent: number;
  samples: number;
}

/**
 * Times an asynchronous kernel call with benchmark.js: at least `minSamples` calls, until
 * `maxSeconds` of sampling have passed.
 * @param name - label of the benchmark
 * @param fn - the call to time (awaited)
 * @param minSamples - fewest samples
 * @param maxSeconds - sampling time after which no further sample is started
 * @returns the mean and its relative margin of error
 */
export function micro(name: string, fn: () => Promise<unknown>, minSamples = 5, maxSeconds = 1): Promise<MicroStats> {
  return new Promise((resolve, reject) => {
    const bench = new Benchmark(name, {
      defer: true,
      minSamples,
      maxTime: maxSeconds,
      fn(deferred: { resolve(): void }) {
        fn().then(
          () => deferred.resolve(),
          (err: unknown) => reject(err),
        );
      },
    });
    bench.on('complete', () => {
      if (bench.error) reject(bench.error);
      else resolve({ meanSeconds: bench.stats.mean, rmePercent: bench.stats.rme, samples: bench.stats.sample.length });
    });
    bench.run({ async: true });
  });
}

/** End-to-end timings of several runs (seconds). */
export interface RunStats {
  min: number;
  median: number;
  runs: number[];
}

/**
 * Summarises run times.
 * @param seconds - one time per run
 * @returns min, median and the runs
 */
export function runStats(seconds: number[]): RunStats {
  const s = [...seconds].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { min: s[0]!, median, runs: seconds };
}

/**
 * Runs fn `runs` times and times each run.
 * @param runs - number of runs
 * @param fn - one run; its last result is returned
 * @returns the run statistics and the last run's result
 */
export async function repeat<T>(runs: number, fn: () => Promise<T>): Promise<{ stats: RunStats; last: T }> {
  const seconds: number[] = [];
  let last!: T;
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    last = await fn();
    seconds.push((performance.now() - t) / 1000);
  }
  return { stats: runStats(seconds), last };
}
