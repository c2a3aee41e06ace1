"""NumPy reference for Daunce's perturbed softmax-regression copies (bench/daunce-softmax-copies.ts):
each copy minimises (1/|D|) sum_{i in D} [l_i(theta) - 2 xi_i dl0_i^T z_i] + (lam/2) sum_c ||w_c||^2
(l the cross-entropy with the last class as reference, z the C - 1 free logits, dl0 = softmax - e_y
at theta_0) by Newton (exact Hessian over the copy's rows, Cholesky solve, halving line search) from
theta_0, then computes the cross-entropy of every training example and query. Prints JSON: seconds
per copy and the first copy's parameters (to check that both sides solve the same problem).

  python3 daunce_softmax_copies.py <dir with X.npy y.npy Xq.npy yq.npy theta0.npy rows.npy xi.npy> '{"lam": ..., "classes": C, "copies": B, "size": s, "tol": ...}'
"""
import numpy as np

from copies_common import load_inputs, newton, time_copies, with_intercept


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
    X, y, Xq, yq, theta0, rows, xi, params = load_inputs(integer_labels=True)
    lam, C, copies, size, tol = params["lam"], params["classes"], params["copies"], params["size"], params["tol"]
    K = C - 1
    A = with_intercept(X)
    Aq = with_intercept(Xq)
    p = A.shape[1]
    pen = np.tile(np.r_[np.ones(p - 1), 0.0], K)
    onehot = np.eye(C)[y][:, :K]
    dl0 = softmax(logits(A, theta0, K))[:, :K] - onehot

    def fit_copy(k):
        r = rows[k * size:(k + 1) * size]
        Ad, yd, hd = A[r], y[r], onehot[r]
        coef = -2.0 * xi[k * size:(k + 1) * size, None] * dl0[r] / size
        lin = (Ad.T @ coef).T.reshape(-1)

        def obj(t):
            return cross_entropy(logits(Ad, t, K), yd).sum() / size + lin @ t + 0.5 * lam * (pen * t * t).sum()

        def derivatives(theta):
            pr = softmax(logits(Ad, theta, K))[:, :K]
            g = (Ad.T @ (pr - hd)).T.reshape(-1) / size + lin + lam * pen * theta

            def hessian():
                H = np.diag(lam * pen)
                for a in range(K):
                    for b in range(a + 1):
                        w = ((a == b) * pr[:, a] - pr[:, a] * pr[:, b]) / size
                        blk = (Ad.T * w) @ Ad
                        H[a * p:(a + 1) * p, b * p:(b + 1) * p] += blk
                        if a != b:
                            H[b * p:(b + 1) * p, a * p:(a + 1) * p] += blk.T
                return H

            return g, hessian

        theta, steps = newton(theta0, obj, derivatives, tol)
        _ = cross_entropy(logits(A, theta, K), y), cross_entropy(logits(Aq, theta, K), yq)
        return theta, steps

    time_copies(copies, fit_copy)


if __name__ == "__main__":
    main()
