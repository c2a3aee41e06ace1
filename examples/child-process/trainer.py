"""A model trained outside Node: Daunce's perturbed logistic-regression copies, trained with
scipy's L-BFGS-B in this Python process. Speaks JSON lines on stdin/stdout:

  {"cmd": "init", "dir": D, "lambda": L}           data in D/{X,y,Xq,yq,theta0}.npy
  {"cmd": "train", "id": k, "subset": [...], "xi": [...], "variant": "hessian", "access": "white-box"}
  {"cmd": "losses", "id": k, "which": "train" | "queries"}
  {"cmd": "release", "id": k}

Every reply is {"ok": true, ...} or {"ok": false, "error": "..."}.
"""
import json
import sys

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit

state = {}
models = {}


def design(X):
    return np.hstack([X, np.ones((X.shape[0], 1))])


def loss(A, y, theta):
    z = A @ theta
    return np.logaddexp(0.0, z) - y * z


def train(msg):
    if msg["variant"] != "hessian":
        raise ValueError("this example trainer implements the 'hessian' variant only")
    A, y, theta0, lam = state["A"], state["y"], state["theta0"], state["lambda"]
    n, p = A.shape
    D = np.array(msg["subset"], dtype=int)
    xi = np.array(msg["xi"])
    AD, yD = A[D], y[D]
    P = np.ones(p)
    P[-1] = 0.0
    # White-box Daunce: minus 2 xi_i grad l_i(theta_0)^T theta for each i in D.
    lin = np.zeros(p)
    if msg["access"] == "white-box":
        lin = -2.0 * ((xi * (expit(AD @ theta0) - yD)) @ AD) / len(D)

    def fun(theta):
        z = AD @ theta
        f = np.mean(np.logaddexp(0.0, z) - yD * z) + lin @ theta + 0.5 * lam / n * np.sum((P * theta) ** 2)
        g = AD.T @ (expit(z) - yD) / len(D) + lin + lam / n * P * theta
        return f, g

    res = minimize(fun, theta0, jac=True, method="L-BFGS-B", options={"gtol": 1e-12, "ftol": 0.0, "maxiter": 10000})
    models[msg["id"]] = res.x
    return {}


def handle(msg):
    cmd = msg["cmd"]
    if cmd == "init":
        d = msg["dir"]
        state.update(A=design(np.load(f"{d}/X.npy")), y=np.load(f"{d}/y.npy"),
                     Aq=design(np.load(f"{d}/Xq.npy")), yq=np.load(f"{d}/yq.npy"),
                     theta0=np.load(f"{d}/theta0.npy"), **{"lambda": msg["lambda"]})
        return {}
    if cmd == "train":
        return train(msg)
    if cmd == "losses":
        theta = models[msg["id"]]
        if msg["which"] == "train":
            return {"losses": loss(state["A"], state["y"], theta).tolist()}
        return {"losses": loss(state["Aq"], state["yq"], theta).tolist()}
    if cmd == "release":
        models.pop(msg["id"], None)
        return {}
    raise ValueError(f"unknown command {cmd}")


for line in sys.stdin:
    try:
        reply = {"ok": True, **handle(json.loads(line))}
    except Exception as e:  # reported to Node, which retries or fails the run
        reply = {"ok": False, "error": f"{type(e).__name__}: {e}"}
    sys.stdout.write(json.dumps(reply) + "\n")
    sys.stdout.flush()
