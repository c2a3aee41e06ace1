/**
 * Finding a WebGPU device through Dawn (the optional `webgpu` package). Hardware adapters
 * (Vulkan) come first; on GPU-less machines Mesa's llvmpipe through EGL in compatibility mode.
 * The object returned by create() is held at module level for the life of the process:
 * if it is collected, Dawn destroys its instance under live devices and the process dies.
 */

export interface GpuContext {
  device: GPUDevice;
  /** Adapter description (e.g. "NVIDIA H100", "llvmpipe ..."). */
  description: string;
  /** False for software adapters (llvmpipe, SwiftShader, lavapipe) and fallback adapters. */
  hardware: boolean;
  /** Compatibility mode: at most 128 invocations per workgroup. */
  compatibility: boolean;
}

// Strong references to every Dawn instance and adapter created (see the module comment).
const keepAlive: unknown[] = [];
let pending: Promise<GpuContext | null> | undefined;

const SOFTWARE = /llvmpipe|swiftshader|lavapipe|softpipe|software/i;

async function acquire(): Promise<GpuContext | null> {
  let mod: { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
  try {
    mod = (await import('webgpu')) as unknown as typeof mod;
  } catch {
    return null; // the optional package is not installed
  }
  Object.assign(globalThis, mod.globals);
  process.env.EGL_PLATFORM ??= 'surfaceless';
  const attempts: {
    flags: string[];
    options: GPURequestAdapterOptions & { featureLevel?: string };
    compatibility: boolean;
  }[] = [
    { flags: [], options: { powerPreference: 'high-performance' }, compatibility: false },
    { flags: ['backend=opengles'], options: { featureLevel: 'compatibility' }, compatibility: true },
  ];
  for (const a of attempts) {
    try {
      const gpu = mod.create(a.flags);
      keepAlive.push(gpu);
      const adapter = await gpu.requestAdapter(a.options as GPURequestAdapterOptions);
      if (!adapter) continue;
      keepAlive.push(adapter);
      const info = adapter.info;
      const description =
        [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ').trim() ||
        'unknown adapter';
      const device = await adapter.requestDevice();
      keepAlive.push(device);
      device.lost.then(() => {
        pending = undefined; // the next request looks for a device again
      });
      const fallback = (info as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
      return {
        device,
        description,
        hardware: !fallback && !SOFTWARE.test(description),
        compatibility: a.compatibility,
      };
    } catch {
      // try the next way of finding an adapter
    }
  }
  return null;
}

/** The shared device, or null when no WebGPU adapter can be found. */
export function gpuContext(): Promise<GpuContext | null> {
  pending ??= acquire();
  return pending;
}
