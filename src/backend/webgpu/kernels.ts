/**
 * The f32 WGSL kernels of the WebGPU backend. One strided matrix product serves the Daunce
 * scoring block and the MLP layers; one row kernel gives GLM margins, losses, slopes and
 * curvatures. Sums use Kahan compensation, so the error stays near f32 rounding of the inputs
 * rather than growing with the summation length (tolerance: see test/webgpu.test.ts).
 * Workgroups are 16 x 8 = 128 invocations, inside the compatibility-mode limit.
 */
import type { GpuContext } from './device.ts';

const MATMUL = /* wgsl */ `
struct Dims { M: u32, N: u32, K: u32, sAk: u32, sAi: u32, sBk: u32, sBj: u32, sCi: u32, sCj: u32, bias: u32, relu: u32, alpha: f32 }
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<uniform> dims: Dims;
var<workgroup> tA: array<array<f32, 16>, 16>;
var<workgroup> tB: array<array<f32, 8>, 16>;

// C(i, j) = alpha * sum_k A(k, i) B(k, j) [+ bias(j)] [relu], with A(k, i) = A[k sAk + i sAi] etc.
@compute @workgroup_size(16, 8)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let t = lid.y * 16u + lid.x;
  let i0 = gid.x - lid.x;
  let j0 = gid.y - lid.y;
  var sum = 0.0;
  var comp = 0.0;
  for (var k0 = 0u; k0 < dims.K; k0 += 16u) {
    for (var r = 0u; r < 2u; r++) {
      let idx = t + r * 128u;
      let kk = idx / 16u;
      let ii = idx % 16u;
      let gk = k0 + kk;
      let gi = i0 + ii;
      var v = 0.0;
      if (gk < dims.K && gi < dims.M) { v = A[gk * dims.sAk + gi * dims.sAi]; }
      tA[kk][ii] = v;
    }
    {
      let kk = t / 8u;
      let jj = t % 8u;
      let gk = k0 + kk;
      let gj = j0 + jj;
      var v = 0.0;
      if (gk < dims.K && gj < dims.N) { v = B[gk * dims.sBk + gj * dims.sBj]; }
      tB[kk][jj] = v;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk++) {
      let y = tA[kk][lid.x] * tB[kk][lid.y] - comp;
      let s = sum + y;
      comp = (s - sum) - y;
      sum = s;
    }
    workgroupBarrier();
  }
  if (gid.x < dims.M && gid.y < dims.N) {
    var out = dims.alpha * sum;
    if (dims.bias == 1u) { out = out + bias[gid.y]; }
    if (dims.relu == 1u) { out = max(out, 0.0); }
    C[gid.x * dims.sCi + gid.y * dims.sCj] = out;
  }
}`;

const POINTWISE = /* wgsl */ `
struct Dims { n: u32, d: u32, intercept: u32, family: u32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> theta: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> dims: Dims;

fn softplus(z: f32) -> f32 { if (z > 0.0) { return z + log(1.0 + exp(-z)); } return log(1.0 + exp(z)); }
fn sigmoid(z: f32) -> f32 { if (z >= 0.0) { return 1.0 / (1.0 + exp(-z)); } let e = exp(z); return e / (1.0 + e); }

// Per example: margin, loss, dl/dz, d2l/dz2 (logistic: family 0; squared: family 1).
@compute @workgroup_size(128)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x;
  if (i >= dims.n) { return; }
  var sum = 0.0;
  var comp = 0.0;
  for (var k = 0u; k < dims.d; k++) {
    let v = X[i * dims.d + k] * theta[k] - comp;
    let s = sum + v;
    comp = (s - sum) - v;
    sum = s;
  }
  var z = sum;
  if (dims.intercept == 1u) { z = z + theta[dims.d]; }
  let yi = y[i];
  var loss = 0.0; var slope = 0.0; var curv = 1.0;
  if (dims.family == 0u) {
    let p = sigmoid(z);
    loss = softplus(z) - yi * z; slope = p - yi; curv = p * sigmoid(-z);
  } else {
    let r = z - yi;
    loss = 0.5 * r * r; slope = r;
  }
  out[4u * i] = z; out[4u * i + 1u] = loss; out[4u * i + 2u] = slope; out[4u * i + 3u] = curv;
}`;

const SCALED_ROWS = /* wgsl */ `
struct Dims { rows: u32, d: u32, p: u32, offset: u32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> coef: array<f32>;
@group(0) @binding(2) var<storage, read> offset: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> dims: Dims;

// Per-example gradients: row i = coef_i a_i (+ offset), a_i = [x_i, 1] when p > d.
@compute @workgroup_size(128)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let k = gid.x;
  let i = gid.y;
  if (k >= dims.p || i >= dims.rows) { return; }
  var a = 1.0;
  if (k < dims.d) { a = X[i * dims.d + k]; }
  var v = coef[i] * a;
  if (dims.offset == 1u) { v = v + offset[k]; }
  out[i * dims.p + k] = v;
}`;

interface Pipelines {
  matmul: GPUComputePipeline;
  pointwise: GPUComputePipeline;
  scaledRows: GPUComputePipeline;
}

const pipelines = new WeakMap<GPUDevice, Pipelines>();

function pipelinesFor(ctx: GpuContext): Pipelines {
  let p = pipelines.get(ctx.device);
  if (!p) {
    const make = (code: string) =>
      ctx.device.createComputePipeline({
        layout: 'auto',
        compute: { module: ctx.device.createShaderModule({ code }), entryPoint: 'main' },
      });
    p = { matmul: make(MATMUL), pointwise: make(POINTWISE), scaledRows: make(SCALED_ROWS) };
    pipelines.set(ctx.device, p);
  }
  return p;
}

const STORAGE = 0x80 | 0x08 | 0x04; // STORAGE | COPY_DST | COPY_SRC
const UNIFORM = 0x40 | 0x08; // UNIFORM | COPY_DST
const READBACK = 0x01 | 0x08; // MAP_READ | COPY_DST

/** A storage buffer holding f32 data (at least 4 bytes: empty bindings are not allowed). */
export function upload(ctx: GpuContext, data: Float32Array): GPUBuffer {
  const buffer = ctx.device.createBuffer({ size: Math.max(4, data.byteLength), usage: STORAGE });
  if (data.byteLength > 0) ctx.device.queue.writeBuffer(buffer, 0, data as Float32Array<ArrayBuffer>);
  return buffer;
}

export function storage(ctx: GpuContext, floats: number): GPUBuffer {
  return ctx.device.createBuffer({ size: Math.max(4, floats * 4), usage: STORAGE });
}

export async function download(ctx: GpuContext, buffer: GPUBuffer, floats: number): Promise<Float32Array> {
  const read = ctx.device.createBuffer({ size: Math.max(4, floats * 4), usage: READBACK });
  const enc = ctx.device.createCommandEncoder();
  enc.copyBufferToBuffer(buffer, 0, read, 0, Math.max(4, floats * 4));
  ctx.device.queue.submit([enc.finish()]);
  await read.mapAsync(1 /* GPUMapMode.READ */);
  const out = new Float32Array(read.getMappedRange().slice(0, floats * 4));
  read.unmap();
  read.destroy();
  return out;
}

/**
 * Binds `buffers` (in binding order) to a one-shot pipeline, dispatches it, reads `floats`
 * values back from `output`, and frees every buffer.
 */
async function runOnce(
  ctx: GpuContext,
  pipeline: GPUComputePipeline,
  buffers: GPUBuffer[],
  groups: [number, number],
  output: GPUBuffer,
  floats: number,
): Promise<Float32Array> {
  const group = ctx.device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  const enc = ctx.device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, group);
  pass.dispatchWorkgroups(groups[0], groups[1]);
  pass.end();
  ctx.device.queue.submit([enc.finish()]);
  const result = await download(ctx, output, floats);
  for (const b of buffers) b.destroy();
  return result;
}

function uniform(ctx: GpuContext, values: Uint32Array<ArrayBuffer> | ArrayBuffer): GPUBuffer {
  const b = ctx.device.createBuffer({ size: Math.max(16, values.byteLength), usage: UNIFORM });
  ctx.device.queue.writeBuffer(b, 0, values);
  return b;
}

export interface MatmulShape {
  M: number;
  N: number;
  K: number;
  sAk: number;
  sAi: number;
  sBk: number;
  sBj: number;
  sCi: number;
  sCj: number;
  alpha?: number;
  bias?: GPUBuffer;
  relu?: boolean;
}

/**
 * Records C = alpha A^T B (+ bias, relu) with the strides of `s` into the encoder. Returns the
 * buffers it created (the dimensions, a placeholder bias): the caller frees them once the
 * encoder's work has been submitted.
 */
export function encodeMatmul(
  ctx: GpuContext,
  enc: GPUCommandEncoder,
  A: GPUBuffer,
  B: GPUBuffer,
  C: GPUBuffer,
  s: MatmulShape,
): GPUBuffer[] {
  const { matmul } = pipelinesFor(ctx);
  const u = new ArrayBuffer(48);
  new Uint32Array(u, 0, 11).set([
    s.M,
    s.N,
    s.K,
    s.sAk,
    s.sAi,
    s.sBk,
    s.sBj,
    s.sCi,
    s.sCj,
    s.bias ? 1 : 0,
    s.relu ? 1 : 0,
  ]);
  new Float32Array(u, 44, 1)[0] = s.alpha ?? 1;
  const dims = uniform(ctx, u);
  const created = [dims];
  const bias = s.bias ?? storage(ctx, 1);
  if (!s.bias) created.push(bias);
  const group = ctx.device.createBindGroup({
    layout: matmul.getBindGroupLayout(0),
    entries: [A, B, C, bias, dims].map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  const pass = enc.beginComputePass();
  pass.setPipeline(matmul);
  pass.setBindGroup(0, group);
  pass.dispatchWorkgroups(Math.ceil(s.M / 16), Math.ceil(s.N / 8));
  pass.end();
  return created;
}

/** Margins, losses, slopes and curvatures of rows [first, first + rows) of X (n x d, f32). */
export async function pointwiseRows(
  ctx: GpuContext,
  X: Float32Array,
  rows: number,
  d: number,
  theta: Float32Array,
  y: Float32Array,
  intercept: boolean,
  family: 'logistic' | 'squared',
): Promise<Float32Array> {
  const out = storage(ctx, 4 * rows);
  const buffers = [
    upload(ctx, X),
    upload(ctx, theta),
    upload(ctx, y),
    out,
    uniform(ctx, new Uint32Array([rows, d, intercept ? 1 : 0, family === 'logistic' ? 0 : 1])),
  ]; // the shader's family code;
  return runOnce(ctx, pipelinesFor(ctx).pointwise, buffers, [Math.ceil(rows / 128), 1], out, 4 * rows);
}

/** Rows coef_i a_i (+ offset) of rows [0, rows) of X (rows x d, f32): rows x p. */
export async function scaledRowsChunk(
  ctx: GpuContext,
  X: Float32Array,
  rows: number,
  d: number,
  p: number,
  coef: Float32Array,
  offset?: Float32Array,
): Promise<Float32Array> {
  const out = storage(ctx, rows * p);
  const buffers = [
    upload(ctx, X),
    upload(ctx, coef),
    upload(ctx, offset ?? new Float32Array(1)),
    out,
    uniform(ctx, new Uint32Array([rows, d, p, offset ? 1 : 0])),
  ];
  return runOnce(ctx, pipelinesFor(ctx).scaledRows, buffers, [Math.ceil(p / 128), rows], out, rows * p);
}
