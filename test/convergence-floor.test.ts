// Issue 14 item 1: the Newton fit stops at the rounding floor of its own gradient, not at a
// fixed 1e-10 x gradientScale. Checked against an independent reference: NumPy iterative
// refinement whose gradient is summed in extended precision (np.longdouble, 64-bit mantissa),
// so the reference optimum and the true gradient at our theta are both known below float64's
// rounding.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LogisticRegression, Matrix } from '../src/index.ts';
import { lehmer, pythonHas } from './helpers.ts';

const REFERENCE = `
import sys, numpy as np
d = sys.argv[1]
n, p = int(sys.argv[2]), int(sys.argv[3])
lam = float(sys.argv[4])
X = np.fromfile(d + '/x.bin').reshape(n, p - 1)
y = np.fromfile(d + '/y.bin')
ours = np.fromfile(d + '/theta.bin')
A = np.hstack([X, np.ones((n, 1))])
AL = A.astype(np.longdouble)
pen = np.ones(p); pen[-1] = 0.0
def grad(theta):
    t = theta.astype(np.longdouble)
    z = AL @ t
    prob = 1 / (1 + np.exp(-z))
    return AL.T @ (prob - y) + lam * pen * t, np.abs(prob - y) @ np.linalg.norm(A, axis=1)
theta = np.zeros(p)
for it in range(60):
    g, scale = grad(theta)
    z = A @ theta
    s = 1 / (1 + np.exp(-z)); c = s * (1 - s)
    H = A.T @ (A * c[:, None]) + lam * np.diag(pen)
    step = np.linalg.solve(H, g.astype(np.float64))
    theta = theta - step
    if np.linalg.norm(step) <= 1e-18 * np.linalg.norm(theta): break
g_ref, scale = grad(theta)
g_ours, _ = grad(ours)
out = np.array([np.linalg.norm(theta - ours) / np.linalg.norm(theta), float(np.linalg.norm(g_ours)),
                float(np.linalg.norm(g_ref)), float(scale)])
out.tofile(d + '/out.bin')
`;

// Uniform-sum noise features with a few informative ones (the shape of the case).
function synthetic(n: number, d: number, seed: number): { X: Matrix; y: Float64Array } {
  const rnd = lehmer(seed);
  const X = new Float64Array(n * d);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let z = 0.3;
    for (let j = 0; j < d; j++) {
      const v = rnd() + rnd() + rnd() - 1.5;
      X[i * d + j] = v;
      if (j < 8) z += (j % 2 ? 1.5 : -1) * v;
    }
    y[i] = rnd() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  return { X: new Matrix(X, n, d), y };
}

function reference(X: Matrix, y: Float64Array, theta: Float64Array, lambda: number) {
  const dir = mkdtempSync(join(tmpdir(), 'tdakit-floor-'));
  try {
    writeFileSync(join(dir, 'x.bin'), X.data);
    writeFileSync(join(dir, 'y.bin'), y);
    writeFileSync(join(dir, 'theta.bin'), theta);
    execFileSync('python3', ['-c', REFERENCE, dir, String(X.rows), String(theta.length), String(lambda)], {
      stdio: 'inherit',
    });
    const buf = readFileSync(join(dir, 'out.bin'));
    const [relError, trueGradient, referenceGradient, scale] = new Float64Array(buf.buffer, buf.byteOffset, 4);
    return { relError: relError!, trueGradient: trueGradient!, referenceGradient: referenceGradient!, scale: scale! };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const skip = pythonHas('numpy') ? false : 'python3 with numpy is not available';

test('the fit reaches its own tolerance and the extended-precision optimum', { skip }, async () => {
  const { X, y } = synthetic(8000, 32, 11);
  const m = await LogisticRegression.fit(X, y, { lambda: 1 });
  const d = m.diagnostics;
  assert.equal(d.stoppedBy, 'tolerance');
  assert.ok(
    d.gradientNorm <= 1e-14 * d.gradientScale,
    `||grad|| ${d.gradientNorm} vs target ${1e-14 * d.gradientScale}`,
  );
  const ref = reference(X, y, m.theta, 1);
  assert.ok(ref.relError <= 1e-12, `theta differs from the reference by ${ref.relError} (relative)`);
  // The true gradient at our theta (summed in extended precision) is as small as float64 allows.
  assert.ok(ref.trueGradient <= 1e-14 * ref.scale, `true ||grad|| ${ref.trueGradient} at scale ${ref.scale}`);
});

test('asked for more than float64 resolves, the fit runs to the rounding floor and says so', { skip }, async () => {
  const { X, y } = synthetic(8000, 32, 12);
  const m = await LogisticRegression.fit(X, y, { lambda: 1, tol: 1e-300 });
  const d = m.diagnostics;
  assert.equal(d.stoppedBy, 'rounding-floor');
  // The floor is of order eps x gradientScale (not the former 1e-10 x gradientScale).
  assert.ok(
    d.roundingFloor! <= 64 * Number.EPSILON * d.gradientScale,
    `floor ${d.roundingFloor} at scale ${d.gradientScale}`,
  );
  assert.ok(d.gradientNorm <= d.roundingFloor!, `||grad|| ${d.gradientNorm} above the floor ${d.roundingFloor}`);
  const ref = reference(X, y, m.theta, 1);
  assert.ok(ref.relError <= 1e-12, `theta differs from the reference by ${ref.relError} (relative)`);
  assert.ok(
    ref.trueGradient <= 64 * Number.EPSILON * ref.scale,
    `true ||grad|| ${ref.trueGradient} at scale ${ref.scale}`,
  );
});
