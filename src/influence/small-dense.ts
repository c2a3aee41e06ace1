/**
 * Dense kernels for the small systems of multiclass influence: (C-1) x (C-1) leverage blocks
 * and the |T|(C-1) block-Woodbury system. Row-major, plain JS (these sizes are far below
 * where BLAS pays off); nothing here ever forms an inverse.
 */

/** Solves A x = b for one or more right-hand sides (b: n x nrhs row-major) by LU with partial pivoting. Returns null when A is singular. */
export function luSolve(A: Float64Array, n: number, b: Float64Array, nrhs = 1): Float64Array | null {
  const a = A.slice();
  const x = b.slice();
  let scale = 0;
  for (const v of a) scale = Math.max(scale, Math.abs(v));
  const tiny = scale * n * 2.220446049250313e-16;
  for (let k = 0; k < n; k++) {
    let piv = k;
    for (let r = k + 1; r < n; r++) if (Math.abs(a[r * n + k]!) > Math.abs(a[piv * n + k]!)) piv = r;
    if (!(Math.abs(a[piv * n + k]!) > tiny)) return null;
    if (piv !== k) {
      for (let c = 0; c < n; c++) [a[k * n + c], a[piv * n + c]] = [a[piv * n + c]!, a[k * n + c]!];
      for (let c = 0; c < nrhs; c++) [x[k * nrhs + c], x[piv * nrhs + c]] = [x[piv * nrhs + c]!, x[k * nrhs + c]!];
    }
    const d = a[k * n + k]!;
    for (let r = k + 1; r < n; r++) {
      const f = a[r * n + k]! / d;
      if (f === 0) continue;
      for (let c = k + 1; c < n; c++) a[r * n + c]! -= f * a[k * n + c]!;
      for (let c = 0; c < nrhs; c++) x[r * nrhs + c]! -= f * x[k * nrhs + c]!;
    }
  }
  for (let k = n - 1; k >= 0; k--) {
    for (let c = 0; c < nrhs; c++) {
      let s = x[k * nrhs + c]!;
      for (let j = k + 1; j < n; j++) s -= a[k * n + j]! * x[j * nrhs + c]!;
      x[k * nrhs + c] = s / a[k * n + k]!;
    }
  }
  return x;
}

/** Eigen-decomposition of a symmetric n x n matrix by cyclic Jacobi: values and row-major eigenvectors (columns). */
export function symmetricEigen(S: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const a = S.slice();
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0,
      diag = 0;
    for (let i = 0; i < n; i++) {
      diag += a[i * n + i]! ** 2;
      for (let j = i + 1; j < n; j++) off += a[i * n + j]! ** 2;
    }
    if (off <= 1e-32 * diag || off === 0) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (apq === 0) continue;
        const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1),
          s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!,
            akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!,
            aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!,
            vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: Float64Array.from({ length: n }, (_, i) => a[i * n + i]!), vectors: v };
}

/** The symmetric square root of a positive semidefinite matrix (tiny negative eigenvalues from rounding clamp to 0). */
export function symmetricSqrt(S: Float64Array, n: number): Float64Array {
  const { values, vectors } = symmetricEigen(S, n);
  const out = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const r = Math.sqrt(Math.max(0, values[k]!));
    if (r === 0) continue;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) out[i * n + j]! += r * vectors[i * n + k]! * vectors[j * n + k]!;
  }
  return out;
}
