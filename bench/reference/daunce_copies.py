"""NumPy reference for Daunce's perturbed logistic copies (bench/daunce-copies.ts): each copy
minimises (1/|D|) sum_{i in D} [l_i(theta) - 2 xi_i g0_i a_i^T theta] + (lam/2) ||w||^2 by Newton
(exact Hessian over the copy's rows, Cholesky solve, halving line search) from theta_0, then
computes the logistic loss of every training example and query. Prints JSON: seconds per copy
and the first copy's parameters (to check that both sides solve the same problem).

  python3 daunce_copies.py <dir with X.npy y.npy Xq.npy yq.npy theta0.npy rows.npy xi.npy> '{"lam": ..., "copies": B, "size": s, "tol": ...}'
"""
import numpy as np

from copies_common import load_inputs, newton, time_copies, with_intercept


def softplus(z):
    return np.logaddexp(0.0, z)


def main():
    X, y, Xq, yq, theta0, rows, xi, params = load_inputs(integer_labels=False)
    lam, copies, size, tol = params["lam"], params["copies"], params["size"], params["tol"]
    A = with_intercept(X)
    Aq = with_intercept(Xq)
    p = A.shape[1]
    pen = np.ones(p)
    pen[-1] = 0.0
    g0 = 1.0 / (1.0 + np.exp(-(A @ theta0))) - y

    def fit_copy(k):
        r = rows[k * size:(k + 1) * size]
        Ad, yd = A[r], y[r]
        lin = -(2.0 * xi[k * size:(k + 1) * size] * g0[r]) @ Ad / size

        def obj(t):
            z = Ad @ t
            return (softplus(z) - yd * z).sum() / size + lin @ t + 0.5 * lam * (pen * t * t).sum()

        def derivatives(theta):
            z = Ad @ theta
            mu = 1.0 / (1.0 + np.exp(-z))
            g = Ad.T @ (mu - yd) / size + lin + lam * pen * theta
            return g, lambda: (Ad.T * (mu * (1 - mu) / size)) @ Ad + np.diag(lam * pen)

        theta, steps = newton(theta0, obj, derivatives, tol)
        zt, zq = A @ theta, Aq @ theta
        _ = softplus(zt) - y * zt, softplus(zq) - yq * zq
        return theta, steps

    time_copies(copies, fit_copy)


if __name__ == "__main__":
    main()
