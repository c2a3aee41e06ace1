import { createCpuBackend } from './cpu.ts';
import type { Backend, BackendName } from './types.ts';

export type { Backend, BackendName } from './types.ts';

const BACKENDS: readonly BackendName[] = ['auto', 'cpu'];
let cpu: Backend | undefined;

/**
 * Resolves a backend option. Float64 GLM fitting and influence run on the CPU backend; `auto`
 * therefore resolves to `cpu` for them.
 */
export function resolveBackend(name: BackendName = 'auto', argument = 'backend'): Backend {
  if (!BACKENDS.includes(name)) {
    throw new RangeError(`${argument}: unknown backend '${String(name)}' (expected one of ${BACKENDS.join(', ')})`);
  }
  cpu ??= createCpuBackend();
  return cpu;
}
