"""What the NumPy references for Daunce's perturbed copies (daunce_copies.py,
daunce_softmax_copies.py) share: reading the inputs the benchmark wrote, Newton with a Cholesky
solve and a halving line search, and timing the copies and printing the JSON summary."""
import json
import sys
import time

import numpy as np
from scipy.linalg import cho_factor, cho_solve


def load_inputs(integer_labels):
    """The data directory's arrays and the JSON parameters from the command line."""
    d, params = sys.argv[1], json.loads(sys.argv[2])
    as_labels = (lambda a: a.astype(np.int64)) if integer_labels else (lambda a: a)
    X, y = np.load(f"{d}/X.npy"), as_labels(np.load(f"{d}/y.npy"))
    Xq, yq = np.load(f"{d}/Xq.npy"), as_labels(np.load(f"{d}/yq.npy"))
    theta0, rows, xi = np.load(f"{d}/theta0.npy"), np.load(f"{d}/rows.npy").astype(np.int64), np.load(f"{d}/xi.npy")
    return X, y, Xq, yq, theta0, rows, xi, params


def with_intercept(X):
    return np.hstack([X, np.ones((X.shape[0], 1))])


def newton(theta0, obj, derivatives, tol):
    """Minimises obj from theta0: derivatives(theta) gives the gradient and a function computing
    the Hessian; stops when ||grad|| <= tol or after 50 steps. Returns theta and the steps taken."""
    theta = theta0.copy()
    steps = 0
    for _ in range(50):
        g, hessian = derivatives(theta)
        if np.linalg.norm(g) <= tol:
            break
        step = cho_solve(cho_factor(hessian()), g)
        f, s = obj(theta), 1.0
        while obj(theta - s * step) > f and s > 1e-8:
            s /= 2
        theta = theta - s * step
        steps += 1
    return theta, steps


def time_copies(copies, fit_copy):
    """Runs fit_copy(k) -> (theta, Newton steps) for every copy and prints seconds and Newton steps
    per copy, with the first copy's parameters."""
    first = None
    iterations = 0
    t0 = time.perf_counter()
    for k in range(copies):
        theta, steps = fit_copy(k)
        iterations += steps
        if first is None:
            first = theta.tolist()
    seconds = (time.perf_counter() - t0) / copies
    print(json.dumps({"secondsPerCopy": seconds, "newtonIterationsPerCopy": iterations / copies, "firstTheta": first}))
