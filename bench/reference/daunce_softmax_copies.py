"""NumPy reference for Daunce's perturbed softmax-regression copies (bench/daunce-softmax-copies.ts):
each copy minimises (1/|D|) sum_{i in D} [l_i(theta) - 2 xi_i dl0_i^T z_i] + (lam/2) sum_c ||w_c||^2
(l the cross-entropy with the last class as reference, z the C - 1 free logits, dl0 = softmax - e_y
at theta_0) by Newton (exact Hessian over the copy's rows, Cholesky solve, halving line search) from
theta_0, then computes the cross-entropy of every training example and query. Prints JSON: seconds
per copy and the first copy's parameters (to check that both sides solve the same problem).

  python3 daunce_softmax_copies.py <dir with X.npy y.npy Xq.npy yq.npy theta0.npy rows.npy xi.npy> '{"lam": ..., "classes": C, "copies": B, "size": s, "tol": ...}'
"""
import json
import sys
import time

import numpy as np
from scipy.linalg import cho_factor, cho_solve


def logits(A, theta, K):
    """All C logits (reference class last, 0) of theta (K blocks of p)."""
    p = A.shape[1]
    z = A @ theta.reshape(K, p).T
    return np.hstack([z, np.zeros((A.shape[0], 1))])


def cross_entropy(z, y):
    return np.logaddexp.reduce(z, axis=1) - z[np.arange(len(y)), y]


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def main():
    d, params = sys.argv[1], json.loads(sys.argv[2])
    X, y = np.load(f"{d}/X.npy"), np.load(f"{d}/y.npy").astype(np.int64)
    Xq, yq = np.load(f"{d}/Xq.npy"), np.load(f"{d}/yq.npy").astype(np.int64)
    theta0, rows, xi = np.load(f"{d}/theta0.npy"), np.load(f"{d}/rows.npy").astype(np.int64), np.load(f"{d}/xi.npy")
    lam, C, copies, size, tol = params["lam"], params["classes"], params["copies"], params["size"], params["tol"]
    K = C - 1
    A = np.hstack([X, np.ones((X.shape[0], 1))])
    Aq = np.hstack([Xq, np.ones((Xq.shape[0], 1))])
    p = A.shape[1]
    pen = np.tile(np.r_[np.ones(p - 1), 0.0], K)
    onehot = np.eye(C)[y][:, :K]
    dl0 = softmax(logits(A, theta0, K))[:, :K] - onehot
    first = None
    iterations = 0
    t0 = time.perf_counter()
    for k in range(copies):
        r = rows[k * size:(k + 1) * size]
        Ad, yd, hd = A[r], y[r], onehot[r]
        coef = -2.0 * xi[k * size:(k + 1) * size, None] * dl0[r] / size
        lin = (Ad.T @ coef).T.reshape(-1)

        def obj(t):
            return cross_entropy(logits(Ad, t, K), yd).sum() / size + lin @ t + 0.5 * lam * (pen * t * t).sum()

        theta = theta0.copy()
        for _ in range(50):
            pr = softmax(logits(Ad, theta, K))[:, :K]
            g = (Ad.T @ (pr - hd)).T.reshape(-1) / size + lin + lam * pen * theta
            if np.linalg.norm(g) <= tol:
                break
            H = np.diag(lam * pen)
            for a in range(K):
                for b in range(a + 1):
                    w = ((a == b) * pr[:, a] - pr[:, a] * pr[:, b]) / size
                    blk = (Ad.T * w) @ Ad
                    H[a * p:(a + 1) * p, b * p:(b + 1) * p] += blk
                    if a != b:
                        H[b * p:(b + 1) * p, a * p:(a + 1) * p] += blk.T
            step = cho_solve(cho_factor(H), g)
            f, s = obj(theta), 1.0
            while obj(theta - s * step) > f and s > 1e-8:
                s /= 2
            theta = theta - s * step
            iterations += 1
        _ = cross_entropy(logits(A, theta, K), y), cross_entropy(logits(Aq, theta, K), yq)
        if first is None:
            first = theta.tolist()
    seconds = (time.perf_counter() - t0) / copies
    print(json.dumps({"secondsPerCopy": seconds, "newtonIterationsPerCopy": iterations / copies, "firstTheta": first}))


if __name__ == "__main__":
    main()
