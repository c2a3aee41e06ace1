/**
 * The backend seam. Algorithms (fitting, influence, scoring) call only these kernels; each
 * backend (the native CPU core, and WebGPU for the f32 kernels it has) implements them. Arrays are float64,
 * matrices row-major with one example per row unless a kernel says column-major (factors,
 * solutions: they go straight to LAPACK).
 */
import type { NativeAddon } from '../native.ts';

export type { NativeDesign as Design, NativeReduced as ReducedHessianSpec, NativeScoreInputs as ScoreInputs } from '../native.ts';

/** Backends a caller may ask for. `auto` picks WebGPU on a hardware adapter, else the CPU. */
export type BackendName = 'auto' | 'cpu' | 'webgpu';

export type Kernels = Omit<NativeAddon, 'blasInfo' | 'dgemmRate'>;

export interface Backend extends Kernels {
  readonly name: Exclude<BackendName, 'auto'>;
  /** One line describing the implementation (BLAS build, device). */
  describe(): string;
}
