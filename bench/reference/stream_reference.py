"""numpy baseline of streaming top-k attribution against a saved tdakit influence artifact.

Reads the artifact's .npy arrays with numpy (no tdakit code), then per block of queries:
query gradients, two triangular solves with the saved Cholesky factor, the n x B score block
by one GEMM, RIF rescaling, and np.argpartition for the top and bottom k.
Usage: python3 stream_reference.py ARTIFACT_DIR QUERIES.npy LABELS.npy COUNT K BLOCK -> JSON on stdout.
"""
import json
import os
import sys
import time

import numpy as np
from scipy.linalg import solve_triangular
from scipy.special import expit

art, qfile, yfile = sys.argv[1], sys.argv[2], sys.argv[3]
count, k, block = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
load = lambda name: np.load(os.path.join(art, name + '.npy'))
t0 = time.perf_counter()
X, theta, L = load('X'), load('theta'), load('factor').T  # factor.npy is column-major L: its C-order read is L^T
weights, slope, leverage = load('weights'), load('slope'), load('leverage')
load_seconds = time.perf_counter() - t0
n, d = X.shape
row = weights * slope / (1.0 - leverage)  # RIF: u_i / (1 - h_i)
Q = np.load(qfile, mmap_mode='r')
Y = np.load(yfile, mmap_mode='r')
first_top = []
t0 = time.perf_counter()
for s in range(0, count, block):
    Xq = np.asarray(Q[s:s + block])
    yq = np.asarray(Y[s:s + block])
    z = Xq @ theta[:d] + theta[d]
    r = expit(z) - yq
    G = np.hstack([Xq * r[:, None], r[:, None]]).T  # p x B gradients of the query losses
    V = solve_triangular(L.T, solve_triangular(L, G, lower=True), lower=False)
    S = X @ V[:d] + V[d]  # n x B
    S *= row[:, None]
    top = np.argpartition(-S, k, axis=0)[:k]
    bottom = np.argpartition(S, k, axis=0)[:k]
    tv = np.take_along_axis(S, top, 0)
    order = np.argsort(-tv, axis=0, kind='stable')
    top = np.take_along_axis(top, order, 0)
    bv = np.take_along_axis(S, bottom, 0)
    bottom = np.take_along_axis(bottom, np.argsort(bv, axis=0, kind='stable'), 0)
    if len(first_top) < 50:
        first_top.extend(top.T[: 50 - len(first_top)].tolist())
seconds = time.perf_counter() - t0
print(json.dumps({'seconds': seconds, 'queries': count, 'loadSeconds': load_seconds, 'firstTop': first_top,
                  'numpy': np.__version__}))
