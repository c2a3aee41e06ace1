"""NumPy reference for Daunce's perturbed logistic copies (bench/daunce-copies.ts): each copy
minimises (1/|D|) sum_{i in D} [l_i(theta) - 2 xi_i g0_i a_i^T theta] + (lam/2) ||w||^2 by Newton
(exact Hessian over the copy's rows, Cholesky solve, halving line search) from theta_0, then
computes the logistic loss of every training example and query. Prints JSON: seconds per copy
and the first copy's parameters (to check that both sides solve the same problem).

  python3 daunce_copies.py <dir with X.npy y.npy Xq.npy yq.npy theta0.npy rows.npy xi.npy> '{"lam": ..., "copies": B, "size": s, "tol": ...}'
"""
import json
import sys
import time

import numpy as np
from scipy.linalg import cho_factor, cho_solve


def softplus(z):
    return np.logaddexp(0.0, z)


def main():
    d, params = sys.argv[1], json.loads(sys.argv[2])
    X, y = np.load(f"{d}/X.npy"), np.load(f"{d}/y.npy")
    Xq, yq = np.load(f"{d}/Xq.npy"), np.load(f"{d}/yq.npy")
    theta0, rows, xi = np.load(f"{d}/theta0.npy"), np.load(f"{d}/rows.npy").astype(np.int64), np.load(f"{d}/xi.npy")
    lam, copies, size, tol = params["lam"], params["copies"], params["size"], params["tol"]
    A = np.hstack([X, np.ones((X.shape[0], 1))])
    Aq = np.hstack([Xq, np.ones((Xq.shape[0], 1))])
    p = A.shape[1]
    pen = np.ones(p)
    pen[-1] = 0.0
    g0 = 1.0 / (1.0 + np.exp(-(A @ theta0))) - y
    first = None
    iterations = 0
    t0 = time.perf_counter()
    for k in range(copies):
        r = rows[k * size:(k + 1) * size]
        Ad, yd = A[r], y[r]
        lin = -(2.0 * xi[k * size:(k + 1) * size] * g0[r]) @ Ad / size

        def obj(t):
            z = Ad @ t
            return (softplus(z) - yd * z).sum() / size + lin @ t + 0.5 * lam * (pen * t * t).sum()

        theta = theta0.copy()
        for _ in range(50):
            z = Ad @ theta
            mu = 1.0 / (1.0 + np.exp(-z))
            g = Ad.T @ (mu - yd) / size + lin + lam * pen * theta
            if np.linalg.norm(g) <= tol:
                break
            H = (Ad.T * (mu * (1 - mu) / size)) @ Ad + np.diag(lam * pen)
            step = cho_solve(cho_factor(H), g)
            f, s = obj(theta), 1.0
            while obj(theta - s * step) > f and s > 1e-8:
                s /= 2
            theta = theta - s * step
            iterations += 1
        zt, zq = A @ theta, Aq @ theta
        _ = softplus(zt) - y * zt, softplus(zq) - yq * zq
        if first is None:
            first = theta.tolist()
    seconds = (time.perf_counter() - t0) / copies
    print(json.dumps({"secondsPerCopy": seconds, "newtonIterationsPerCopy": iterations / copies, "firstTheta": first}))


if __name__ == "__main__":
    main()
