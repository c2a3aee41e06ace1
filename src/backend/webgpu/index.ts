/**
 * The WebGPU backend: f32 kernels for the steps that dominate large runs (Daunce scoring, GLM
 * per-example margins, losses and gradients, the MLP forward pass); every other kernel is
 * the CPU backend's.
 * Centring and scaling stay in float64 on the CPU; only the products run in f32.
 */
import { checkArchitecture, checkCount, checkDesign, checkFloat64, checkOneOf } from '../check.ts';
import { GLM_FAMILIES, type Backend } from '../types.ts';
import type { GpuContext } from './device.ts';
import { download, encodeMatmul, pointwiseRows, scaledRowsChunk, storage, upload } from './kernels.ts';

/** Bytes per buffer kept well under every adapter's binding limit (llvmpipe: 128 MiB). */
const MAX_BUFFER_BYTES = 64 << 20;

type TopK = {
  k: number;
  topIndex: Int32Array;
  topValue: Float64Array;
  bottomIndex: Int32Array;
  bottomValue: Float64Array;
};

/** k largest and k smallest per column over streamed row blocks; ties keep the lower index. */
class StreamingTopK {
  private readonly top: Float64Array;
  private readonly topI: Int32Array;
  private readonly bot: Float64Array;
  private readonly botI: Int32Array;
  private readonly fill: Int32Array;
  constructor(
    private readonly m: number,
    private readonly k: number,
  ) {
    this.top = new Float64Array(m * k).fill(-Infinity);
    this.topI = new Int32Array(m * k).fill(-1);
    this.bot = new Float64Array(m * k).fill(Infinity);
    this.botI = new Int32Array(m * k).fill(-1);
    this.fill = new Int32Array(m);
  }
  add(row: number, values: ArrayLike<number>, offset: number): void {
    const { k } = this;
    for (let j = 0; j < this.m; j++) {
      const v = values[offset + j]!;
      const base = j * k;
      if (this.fill[j]! < k) this.fill[j]!++;
      // Insert into the descending list (strict comparison keeps earlier rows first on ties).
      if (v > this.top[base + k - 1]! || this.topI[base + k - 1] === -1) {
        let p = k - 1;
        while (p > 0 && (this.topI[base + p - 1] === -1 || v > this.top[base + p - 1]!)) {
          this.top[base + p] = this.top[base + p - 1]!;
          this.topI[base + p] = this.topI[base + p - 1]!;
          p--;
        }
        this.top[base + p] = v;
        this.topI[base + p] = row;
      }
      if (v < this.bot[base + k - 1]! || this.botI[base + k - 1] === -1) {
        let p = k - 1;
        while (p > 0 && (this.botI[base + p - 1] === -1 || v < this.bot[base + p - 1]!)) {
          this.bot[base + p] = this.bot[base + p - 1]!;
          this.botI[base + p] = this.botI[base + p - 1]!;
          p--;
        }
        this.bot[base + p] = v;
        this.botI[base + p] = row;
      }
    }
  }
  result(): TopK {
    return { k: this.k, topIndex: this.topI, topValue: this.top, bottomIndex: this.botI, bottomValue: this.bot };
  }
}

/** 2^e for |e| <= 1000 (exact: `**` is exact for powers of two in range). */
const pow2 = (e: number) => 2 ** e;

/**
 * For each column of a rows x cols row-major block, the exponent e (clamped to +-1000) with
 * the column's largest magnitude in [2^(e-1), 2^e): dividing by 2^e brings it into f32 range.
 */
function columnExponents(a: Float64Array, rows: number, cols: number): Int32Array {
  const largest = new Float64Array(cols);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) largest[c] = Math.max(largest[c]!, Math.abs(a[r * cols + c]!));
  const e = new Int32Array(cols);
  for (let c = 0; c < cols; c++) {
    const v = largest[c]!;
    e[c] = v > 0 && Number.isFinite(v) ? Math.max(-1000, Math.min(1000, Math.floor(Math.log2(v)) + 1)) : 0;
  }
  return e;
}

export function createWebGpuBackend(ctx: GpuContext, cpu: Backend): Backend {
  const guard = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      throw new Error(
        `webgpu backend: ${what} failed (${(err as Error).message}); the device may have been lost, use backend 'cpu'`,
        { cause: err },
      );
    }
  };
  return {
    ...cpu,
    name: 'webgpu',
    describe: () =>
      `webgpu (${ctx.description}; ${ctx.hardware ? 'hardware' : 'software'} adapter${ctx.compatibility ? ', compatibility mode' : ''})`,

    covarianceScores: (o) => {
      const n = checkCount('covarianceScores', 'n', o.n),
        m = checkCount('covarianceScores', 'm', o.m);
      const K = checkCount('covarianceScores', 'models', o.models, 2);
      checkFloat64('covarianceScores', 'train', o.train, K * n);
      checkFloat64('covarianceScores', 'query', o.query, K * m);
      checkFloat64('covarianceScores', 'trainMean', o.trainMean, n);
      checkFloat64('covarianceScores', 'queryMean', o.queryMean, m);
      checkFloat64('covarianceScores', 'trainScale', o.trainScale, n, true);
      checkFloat64('covarianceScores', 'queryScale', o.queryScale, m, true);
      if (o.k !== undefined) checkCount('covarianceScores', 'k', o.k);
      return guard('covarianceScores', async () => {
        // Centred (and scaled) values in float64, then each training example's and each query's
        // K-vector normalised by a power of two to a largest magnitude in [0.5, 1): f32 can then
        // neither overflow (losses near 1e20) nor underflow (near 1e-25), and the float64 result
        // is multiplied back exactly.
        const q64 = new Float64Array(K * m);
        for (let k = 0; k < K; k++)
          for (let j = 0; j < m; j++)
            q64[k * m + j] = (o.query[k * m + j]! - o.queryMean[j]!) * (o.queryScale ? o.queryScale[j]! : 1);
        const queryExp = columnExponents(q64, K, m);
        const q = new Float32Array(K * m);
        for (let k = 0; k < K; k++) for (let j = 0; j < m; j++) q[k * m + j] = q64[k * m + j]! * pow2(-queryExp[j]!);
        const bQ = upload(ctx, q);
        const block = Math.max(1, Math.min(n, Math.floor(MAX_BUFFER_BYTES / 4 / Math.max(m, K))));
        const full = o.k === undefined ? new Float64Array(n * m) : undefined;
        const top = o.k === undefined ? undefined : new StreamingTopK(m, Math.min(o.k, n));
        const bOut = storage(ctx, block * m);
        const t64 = new Float64Array(K * block);
        const t = new Float32Array(K * block);
        const unscaled = new Float64Array(block * m);
        for (let first = 0; first < n; first += block) {
          const b = Math.min(block, n - first);
          for (let k = 0; k < K; k++) {
            for (let r = 0; r < b; r++) {
              const i = first + r;
              t64[k * b + r] = (o.train[k * n + i]! - o.trainMean[i]!) * (o.trainScale ? o.trainScale[i]! : 1);
            }
          }
          const trainExp = columnExponents(t64, K, b);
          for (let k = 0; k < K; k++) for (let r = 0; r < b; r++) t[k * b + r] = t64[k * b + r]! * pow2(-trainExp[r]!);
          const bT = upload(ctx, t.subarray(0, K * b));
          const enc = ctx.device.createCommandEncoder();
          const temporaries = encodeMatmul(ctx, enc, bT, bQ, bOut, {
            M: b,
            N: m,
            K,
            sAk: b,
            sAi: 1,
            sBk: m,
            sBj: 1,
            sCi: m,
            sCj: 1,
            alpha: 1 / (K - 1),
          });
          ctx.device.queue.submit([enc.finish()]);
          const s = await download(ctx, bOut, b * m);
          for (const buffer of [bT, ...temporaries]) buffer.destroy();
          for (let r = 0; r < b; r++) {
            const rowScale = pow2(trainExp[r]!);
            for (let j = 0; j < m; j++) unscaled[r * m + j] = s[r * m + j]! * rowScale * pow2(queryExp[j]!);
          }
          if (full) full.set(unscaled.subarray(0, b * m), first * m);
          else for (let r = 0; r < b; r++) top!.add(first + r, unscaled, r * m);
        }
        bQ.destroy();
        bOut.destroy();
        return full ?? top!.result();
      });
    },

    pointwise: (o) => {
      const family = checkOneOf('pointwise', 'family', o.family, GLM_FAMILIES);
      // The squared-loss family stays on the CPU.
      if (family === 'logisticLossSquared' || o.offset) return cpu.pointwise(o);
      const p = checkDesign('pointwise', o);
      checkFloat64('pointwise', 'theta', o.theta, p);
      checkFloat64('pointwise', 'y', o.y, o.n, true);
      return guard('pointwise', async () => {
        const { n, d } = o;
        const rowsPerChunk = Math.max(1, Math.floor(MAX_BUFFER_BYTES / 4 / Math.max(1, d)));
        const margin = new Float64Array(n),
          loss = new Float64Array(n),
          slope = new Float64Array(n),
          curvature = new Float64Array(n);
        const theta = Float32Array.from(o.theta.subarray(0, p));
        for (let first = 0; first < n; first += rowsPerChunk) {
          const rows = Math.min(rowsPerChunk, n - first);
          const x = Float32Array.from(o.x.subarray(first * d, (first + rows) * d));
          const y = o.y ? Float32Array.from(o.y.subarray(first, first + rows)) : new Float32Array(rows);
          const out = await pointwiseRows(ctx, x, rows, d, theta, y, o.intercept, family);
          for (let r = 0; r < rows; r++) {
            margin[first + r] = out[4 * r]!;
            loss[first + r] = out[4 * r + 1]!;
            slope[first + r] = out[4 * r + 2]!;
            curvature[first + r] = out[4 * r + 3]!;
          }
        }
        return o.y ? { margin, loss, slope, curvature } : { margin };
      });
    },

    scaledRows: (o) => {
      const p = checkDesign('scaledRows', o);
      checkFloat64('scaledRows', 'coef', o.coef, o.n);
      checkFloat64('scaledRows', 'offset', o.offset, p, true);
      return guard('scaledRows', async () => {
        const { n, d } = o;
        // Rows per chunk: the output (rows x p) under the buffer cap and within one dispatch dimension.
        const chunk = Math.max(1, Math.min(65535, Math.floor(MAX_BUFFER_BYTES / 4 / p)));
        const out = new Float64Array(n * p);
        const offset = o.offset ? Float32Array.from(o.offset) : undefined;
        for (let first = 0; first < n; first += chunk) {
          const rows = Math.min(chunk, n - first);
          const r = await scaledRowsChunk(
            ctx,
            Float32Array.from(o.x.subarray(first * d, (first + rows) * d)),
            rows,
            d,
            p,
            Float32Array.from(o.coef.subarray(first, first + rows)),
            offset,
          );
          for (let x = 0; x < r.length; x++) out[first * p + x] = r[x]!;
        }
        return out;
      });
    },

    mlpLogits: (o) => {
      const parameters = checkArchitecture('mlpLogits', o);
      checkCount('mlpLogits', 'n', o.n);
      checkFloat64('mlpLogits', 'x', o.x, o.n * o.d);
      checkFloat64('mlpLogits', 'theta', o.theta, parameters);
      return guard('mlpLogits', async () => {
        const sizes = [o.d, ...o.hidden, o.classes];
        // Upload each layer's W (out x in, column-major) and b once.
        const layers: { W: GPUBuffer; b: GPUBuffer; out: number; inp: number }[] = [];
        let at = 0;
        for (let l = 1; l < sizes.length; l++) {
          const out = sizes[l]!,
            inp = sizes[l - 1]!;
          layers.push({
            W: upload(ctx, Float32Array.from(o.theta.subarray(at, at + out * inp))),
            b: upload(ctx, Float32Array.from(o.theta.subarray(at + out * inp, at + out * inp + out))),
            out,
            inp,
          });
          at += out * inp + out;
        }
        const widest = Math.max(...sizes);
        const chunk = Math.max(1, Math.min(o.n, Math.floor(MAX_BUFFER_BYTES / 4 / widest)));
        const logits = new Float64Array(o.n * o.classes);
        for (let first = 0; first < o.n; first += chunk) {
          const rows = Math.min(chunk, o.n - first);
          let h = upload(ctx, Float32Array.from(o.x.subarray(first * o.d, (first + rows) * o.d)));
          const enc = ctx.device.createCommandEncoder();
          const temporaries: GPUBuffer[] = [h];
          layers.forEach((L, l) => {
            const z = storage(ctx, rows * L.out);
            temporaries.push(z);
            // Z (rows x out, row-major) = H (rows x in) W^T + b, ReLU on the hidden layers.
            temporaries.push(
              ...encodeMatmul(ctx, enc, h, L.W, z, {
                M: rows,
                N: L.out,
                K: L.inp,
                sAk: 1,
                sAi: L.inp,
                sBk: L.out,
                sBj: 1,
                sCi: L.out,
                sCj: 1,
                bias: L.b,
                relu: l < layers.length - 1,
              }),
            );
            h = z;
          });
          ctx.device.queue.submit([enc.finish()]);
          const g = await download(ctx, h, rows * o.classes);
          for (let x = 0; x < g.length; x++) logits[first * o.classes + x] = g[x]!;
          for (const b of temporaries) b.destroy();
        }
        for (const L of layers) {
          L.W.destroy();
          L.b.destroy();
        }
        return logits;
      });
    },
  };
}
