import { createCpuBackend } from './cpu.ts';
import type { Backend, BackendName } from './types.ts';

export type { Backend, BackendName } from './types.ts';

const BACKENDS: readonly BackendName[] = ['auto', 'cpu', 'webgpu'];
let cpu: Backend | undefined;

function checkName(name: BackendName, argument: string): void {
  if (!BACKENDS.includes(name)) {
    throw new RangeError(`${argument}: unknown backend '${String(name)}' (expected one of ${BACKENDS.join(', ')})`);
  }
}

/**
 * The backend of the float64 models (fitting, influence, refits): always the CPU. `webgpu`
 * is f32 and serves scoring and evaluation through selectBackend().
 * @param name - 'auto' or 'cpu' ('webgpu' is refused: it is f32)
 * @param argument - argument name for error messages
 * @returns the CPU backend
 */
export function resolveBackend(name: BackendName = 'auto', argument = 'backend'): Backend {
  checkName(name, argument);
  if (name === 'webgpu')
    throw new RangeError(
      `${argument}: 'webgpu' runs f32 scoring kernels (Daunce scores, evaluation); float64 fitting runs on 'cpu'`,
    );
  cpu ??= createCpuBackend();
  return cpu;
}

/**
 * The backend for f32-tolerant work (Daunce scoring, per-example losses and logits): 'auto'
 * takes WebGPU only on a hardware adapter and the CPU otherwise; 'webgpu' takes any adapter,
 * software ones included, and throws when there is none.
 * @param name - 'auto', 'cpu' or 'webgpu'
 * @param argument - argument name for error messages
 * @returns the chosen backend
 */
export async function selectBackend(name: BackendName = 'auto', argument = 'backend'): Promise<Backend> {
  checkName(name, argument);
  cpu ??= createCpuBackend();
  if (name === 'cpu') return cpu;
  const { gpuContext } = await import('./webgpu/device.ts');
  const ctx = await gpuContext();
  if (!ctx || (name === 'auto' && !ctx.hardware)) {
    if (name === 'webgpu') {
      throw new Error(
        `${argument}: no WebGPU adapter found (install the optional 'webgpu' package; without a GPU, Mesa's EGL and llvmpipe: apt-get install libegl1 libegl-mesa0 libgl1-mesa-dri)`,
      );
    }
    return cpu;
  }
  const { createWebGpuBackend } = await import('./webgpu/index.ts');
  return createWebGpuBackend(ctx, cpu);
}
