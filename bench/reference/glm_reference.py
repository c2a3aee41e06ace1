"""numpy/scipy reference implementations that tdakit's benchmarks time on the same data.

Written the way a researcher would write them (the RIF paper's code style): dense numpy
algebra, an explicit Hessian inverse for influence, scipy's L-BFGS-B for retraining.
Usage: python3 glm_reference.py TASK DATA_DIR PARAMS_JSON  ->  one JSON object on stdout.
"""
import json
import sys
import time

import numpy as np
from scipy.linalg import cho_factor, cho_solve
from scipy.optimize import minimize
from scipy.special import expit


def design(X):
    return np.hstack([X, np.ones((X.shape[0], 1))])


def objective(A, y, w, theta, lam, P):
    z = A @ theta
    return float(np.sum(w * (np.logaddexp(0.0, z) - y * z)) + 0.5 * lam * np.sum((P * theta) ** 2))


def gradient(A, y, w, theta, lam, P):
    r = w * (expit(A @ theta) - y)
    return A.T @ r + lam * P * theta, r


def newton_fit(X, y, lam, tol, max_iter=100, w=None, theta0=None):
    """Damped Newton with a Cholesky solve, the same stopping rule as tdakit."""
    A = design(X)
    n, p = A.shape
    P = np.ones(p)
    P[-1] = 0.0
    w = np.ones(n) if w is None else w
    row_norms = np.linalg.norm(A, axis=1)
    theta = np.zeros(p) if theta0 is None else theta0.copy()
    it = 0
    stalls = 0
    prev = np.inf
    for it in range(max_iter):
        g, r = gradient(A, y, w, theta, lam, P)
        gn = np.linalg.norm(g)
        scale = np.sum(np.abs(r) * row_norms) + lam * np.linalg.norm(P * theta)
        if gn <= tol * scale:
            break
        stalls = stalls + 1 if gn >= 0.5 * prev else 0
        if stalls >= 2 and gn <= 1e-7 * scale:
            break
        prev = gn
        p_ = expit(A @ theta)
        s = p_ * (1 - p_)
        H = A.T @ (A * (w * s)[:, None]) + lam * np.diag(P)
        step = -cho_solve(cho_factor(H, lower=True), g)
        f0 = objective(A, y, w, theta, lam, P)
        slope = g @ step
        t = 1.0
        if -slope > 64 * np.finfo(float).eps * (abs(f0) + 1):
            while objective(A, y, w, theta + t * step, lam, P) > f0 + 1e-4 * t * slope and t > 1e-12:
                t *= 0.5
        theta = theta + t * step
    g, _ = gradient(A, y, w, theta, lam, P)
    return theta, it, float(np.linalg.norm(g))


def sklearn_fit(X, y, lam, tol):
    """scikit-learn's newton-cholesky solver on the same objective (C = 1 / lambda, intercept
    unpenalised); the gradient norm is tdakit's (sum form) at sklearn's solution."""
    from sklearn.linear_model import LogisticRegression
    model = LogisticRegression(C=1.0 / lam, solver="newton-cholesky", tol=tol, max_iter=1000)
    t = time.perf_counter()
    model.fit(X, y)
    seconds = time.perf_counter() - t
    theta = np.concatenate([model.coef_.ravel(), model.intercept_])
    A = design(X)
    P = np.ones(A.shape[1])
    P[-1] = 0.0
    g, _ = gradient(A, y, np.ones(A.shape[0]), theta, lam, P)
    return seconds, int(model.n_iter_[0]), float(np.linalg.norm(g))


def influence(X, y, theta, Xq, yq, lam):
    """Leverage, IF and RIF scores of every training example against every query."""
    A, Aq = design(X), design(Xq)
    p = A.shape[1]
    P = np.ones(p)
    P[-1] = 0.0
    prob = expit(A @ theta)
    s = prob * (1 - prob)
    H = A.T @ (A * s[:, None]) + lam * np.diag(P)
    H_inv = np.linalg.inv(H)
    leverage = s * np.sum((A @ H_inv) * A, axis=1)
    G = (prob - y)[:, None] * A
    Gq = (expit(Aq @ theta) - yq)[:, None] * Aq
    scores_if = G @ (H_inv @ Gq.T)
    scores_rif = scores_if / (1 - leverage)[:, None]
    return leverage, scores_if, scores_rif


def retrain(X, y, theta0, remove, lam, gtol):
    A = design(X)
    n, p = A.shape
    P = np.ones(p)
    P[-1] = 0.0
    w = np.ones(n)
    w[remove] = 0.0

    def fun(theta):
        g, _ = gradient(A, y, w, theta, lam, P)
        return objective(A, y, w, theta, lam, P), g

    res = minimize(fun, theta0, jac=True, method="L-BFGS-B",
                   options={"maxiter": 100000, "maxfun": 100000, "gtol": gtol, "ftol": 0.0})
    g, _ = gradient(A, y, w, res.x, lam, P)
    return res, float(np.linalg.norm(g))


def main():
    task, data_dir, params = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    X = np.load(f"{data_dir}/X.npy")
    y = np.load(f"{data_dir}/y.npy")
    lam = params["lambda"]
    out = {"numpy": np.__version__}
    if task == "fit":
        t = time.perf_counter()
        theta, it, gn = newton_fit(X, y, lam, params["tol"])
        out.update(seconds=time.perf_counter() - t, iterations=it, gradientNorm=gn)
        np.save(f"{data_dir}/theta_numpy.npy", theta)
    elif task == "sklearn-fit":
        import sklearn
        seconds, it, gn = sklearn_fit(X, y, lam, params["tol"])
        out.update(sklearn=sklearn.__version__, seconds=seconds, iterations=it, gradientNorm=gn, tol=params["tol"])
    elif task == "newton-retrain":
        theta0 = np.load(f"{data_dir}/theta.npy")
        w = np.load(f"{data_dir}/weights.npy")
        t = time.perf_counter()
        _, it, gn = newton_fit(X, y, lam, params["tol"], w=w, theta0=theta0)
        out.update(seconds=time.perf_counter() - t, iterations=it, gradientNorm=gn)
    elif task == "influence":
        theta = np.load(f"{data_dir}/theta.npy")
        Xq, yq = np.load(f"{data_dir}/Xq.npy"), np.load(f"{data_dir}/yq.npy")
        t = time.perf_counter()
        leverage, s_if, s_rif = influence(X, y, theta, Xq, yq, lam)
        out.update(seconds=time.perf_counter() - t)
        np.save(f"{data_dir}/leverage_numpy.npy", leverage)
        np.save(f"{data_dir}/rif_numpy.npy", s_rif)
    elif task == "retrain":
        theta = np.load(f"{data_dir}/theta.npy")
        remove = np.array(params["remove"], dtype=int)
        t = time.perf_counter()
        res, gn = retrain(X, y, theta, remove, lam, params["gtol"])
        out.update(seconds=time.perf_counter() - t, iterations=int(res.nit), evaluations=int(res.nfev),
                   gradientNorm=gn, message=str(res.message))
        np.save(f"{data_dir}/theta_retrain_numpy.npy", res.x)
    else:
        raise SystemExit(f"unknown task {task}")
    print(json.dumps(out))




def retrain_many():
    """Times L-BFGS-B retrains (warm-started at the full-data optimum) for many removal sets."""
    data_dir, params = sys.argv[2], json.loads(sys.argv[3])
    X = np.load(f"{data_dir}/X.npy")
    y = np.load(f"{data_dir}/y.npy")
    theta = np.load(f"{data_dir}/theta.npy")
    out = []
    for remove in params["sets"]:
        t = time.perf_counter()
        res, gn = retrain(X, y, theta, np.array(remove, dtype=int), params["lambda"], params["gtol"])
        out.append({"seconds": time.perf_counter() - t, "iterations": int(res.nit), "gradientNorm": gn})
    print(json.dumps({"numpy": np.__version__, "retrains": out}))


def centred_product():
    """numpy doing Daunce's scoring step: the centred loss matrices' product / (K - 1)."""
    data_dir = sys.argv[2]
    Lt = np.load(f"{data_dir}/train_losses.npy")  # K x n
    Lq = np.load(f"{data_dir}/query_losses.npy")  # K x m
    t = time.perf_counter()
    Ct = Lt - Lt.mean(axis=0)
    Cq = Lq - Lq.mean(axis=0)
    S = Ct.T @ Cq / (Lt.shape[0] - 1)
    seconds = time.perf_counter() - t
    print(json.dumps({"numpy": np.__version__, "seconds": seconds, "checksum": float(S[0, 0]), "check": S[:3, :3].tolist()}))


if __name__ == "__main__":
    if sys.argv[1] == "retrain-many":
        retrain_many()
    elif sys.argv[1] == "centred-product":
        centred_product()
    else:
        main()
