/** The numpy / scikit-learn reference runs of the harness, timed in their own process. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const script = join(dirname(fileURLToPath(import.meta.url)), '..', 'reference', 'glm_reference.py');

/** The interpreter with numpy, scipy and scikit-learn: $TDAKIT_PYTHON, else Debian's, else python3 on the path. */
export const pythonInterpreter =
  process.env.TDAKIT_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

/**
 * Runs one task of bench/reference/glm_reference.py on the .npy files in dir.
 * @param task - the reference task (fit, sklearn-fit, newton-retrain, ...)
 * @param dir - folder with X.npy, y.npy and the task's other inputs
 * @param params - the task's parameters
 * @returns the task's JSON record (seconds, iterations, gradientNorm, versions)
 */
export function reference(task: string, dir: string, params: object): Record<string, number | string> {
  const out = execFileSync(pythonInterpreter, [script, task, dir, JSON.stringify(params)], { maxBuffer: 1 << 26 });
  return JSON.parse(out.toString());
}
