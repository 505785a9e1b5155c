"""Speed of compiled model log densities (a benchmark, not a test).

California housing hierarchical regression (~20,000 rows, 7 standardized predictors,
intercepts varying by ocean_proximity, Normal likelihood):

1. one ``logp_grad`` call of the bayeskit model vs a hand-written Numba gradient of the
   same density (target: within 1.5x);
2. compile time of a new model in a fresh process (empty model cache; target < 2 s) and of
   the same model again in another fresh process (target < 0.3 s).

Run: ``python benchmarks/bench_logp.py``.
"""

import math
import os
import subprocess
import sys
import tempfile
import textwrap
import time

import numpy as np
from numba import njit

HERE = os.path.dirname(os.path.abspath(__file__))
CSV = os.path.join(HERE, "..", "models", "data", "california_housing.csv")


def load():
    import pandas as pd
    df = pd.read_csv(CSV)
    df["total_bedrooms"] = df["total_bedrooms"].fillna(df["total_bedrooms"].median())
    cols = ["longitude", "latitude", "housing_median_age", "total_rooms", "total_bedrooms",
            "population", "median_income"]
    X = df[cols].to_numpy(dtype=float)
    X[:, 3:6] = np.log(X[:, 3:6])
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    y = np.log(df["median_house_value"].to_numpy(dtype=float))
    y = (y - y.mean()) / y.std()
    levels, group = np.unique(df["ocean_proximity"].to_numpy(), return_inverse=True)
    return X, y, group.astype(np.int64), list(levels)


def build(X, y, group, levels):
    import bayeskit as bk
    m = bk.Model(coords={"feature": [f"x{k}" for k in range(X.shape[1])], "region": levels})
    Xd = m.data("X", X)
    g = m.data("group", group)
    mu_a = m.param("mu_a", bk.Normal(0, 1))
    sigma_a = m.param("sigma_a", bk.HalfNormal(1))
    a = m.param("a", bk.Normal(mu_a, sigma_a), dims="region")
    beta = m.param("beta", bk.Normal(0, 1), dims="feature")
    sigma = m.param("sigma", bk.HalfNormal(1))
    m.observe("y", bk.Normal(a[g] + Xd @ beta, sigma), y)
    return m


LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
HALF_NORMAL_CONST = 0.5 * math.log(2 / math.pi)


@njit(cache=True, nogil=True)
def hand_logp_grad(theta, grad, X, y, group, n_groups):
    """The same density, written by hand: theta = (mu_a, log sigma_a, a, beta, log sigma)."""
    k = X.shape[1]
    mu_a = theta[0]
    ls_a = theta[1]
    s_a = math.exp(ls_a)
    a = theta[2:2 + n_groups]
    beta = theta[2 + n_groups:2 + n_groups + k]
    ls = theta[2 + n_groups + k]
    s = math.exp(ls)
    grad[:] = 0.0
    lp = -0.5 * mu_a * mu_a - LOG_SQRT_2PI
    grad[0] = -mu_a
    lp += HALF_NORMAL_CONST - 0.5 * s_a * s_a + ls_a
    grad[1] = -s_a * s_a + 1.0
    for j in range(n_groups):
        z = (a[j] - mu_a) / s_a
        lp += -0.5 * z * z - ls_a - LOG_SQRT_2PI
        grad[2 + j] -= z / s_a
        grad[0] += z / s_a
        grad[1] += z * z - 1.0
    for j in range(k):
        lp += -0.5 * beta[j] * beta[j] - LOG_SQRT_2PI
        grad[2 + n_groups + j] = -beta[j]
    lp += HALF_NORMAL_CONST - 0.5 * s * s + ls
    gls = -s * s + 1.0
    xb = X @ beta
    r = np.empty(y.shape[0])
    inv = 1.0 / s
    ss = 0.0
    for i in range(y.shape[0]):
        z = (y[i] - a[group[i]] - xb[i]) * inv
        ss += z * z
        r[i] = z * inv
        grad[2 + group[i]] += z * inv
    n = y.shape[0]
    lp += -0.5 * ss - n * ls - n * LOG_SQRT_2PI
    gls += ss - n
    gb = r @ X
    for j in range(k):
        grad[2 + n_groups + j] += gb[j]
    grad[2 + n_groups + k] = gls
    return lp


def time_call(fn, reps):
    fn()
    best = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        best.append((time.perf_counter() - t0) / reps)
    return min(best)


COMPILE_SNIPPET = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {here!r})
    import bayeskit  # library import (and its own cached kernels) is not model compile time
    from bench_logp import load, build
    X, y, g, levels = load()
    m = build(X, y, g, levels)
    t0 = time.perf_counter()
    ld = m.compile()
    import numpy as np
    ld.logp(np.zeros(ld.dim))
    print(time.perf_counter() - t0)
""")


def compile_time(cache_dir):
    env = dict(os.environ, BAYESKIT_CACHE_DIR=cache_dir)
    out = subprocess.run([sys.executable, "-c", COMPILE_SNIPPET.format(here=HERE)],
                         env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main():
    X, y, group, levels = load()
    m = build(X, y, group, levels)
    ld = m.compile()
    rng = np.random.default_rng(0)
    theta = rng.normal(size=ld.dim) * 0.1
    g1, g2 = np.empty(ld.dim), np.empty(ld.dim)
    lp1 = ld.logp_grad(theta, g1)
    lp2 = hand_logp_grad(theta, g2, X, y, group, len(levels))
    assert abs(lp1 - lp2) < 1e-8 * abs(lp2), (lp1, lp2)
    assert np.allclose(g1, g2, rtol=1e-8, atol=1e-8), (g1, g2)
    fn, fd, idt = ld.fn, ld.fdata, ld.idata

    @njit
    def call_model(fn, theta, grad, fd, idt, reps):
        s = 0.0
        for _ in range(reps):
            s += fn(theta, grad, fd, idt)
        return s

    @njit
    def call_hand(theta, grad, X, y, group, n, reps):
        s = 0.0
        for _ in range(reps):
            s += hand_logp_grad(theta, grad, X, y, group, n)
        return s

    reps = 200
    t_model = time_call(lambda: call_model(fn, theta, g1, fd, idt, reps), 1) / reps
    t_hand = time_call(lambda: call_hand(theta, g2, X, y, group, len(levels), reps), 1) / reps
    with tempfile.TemporaryDirectory() as cache:
        t_new = compile_time(cache)
        t_again = compile_time(cache)
    print(f"California hierarchical regression: {X.shape[0]} rows, {X.shape[1]} predictors, "
          f"{len(levels)} regions, dim {ld.dim}")
    print(f"{'measure':42s} {'value':>10s} {'target':>10s}")
    print(f"{'logp_grad, bayeskit model (us)':42s} {t_model * 1e6:10.1f}")
    print(f"{'logp_grad, hand-written Numba (us)':42s} {t_hand * 1e6:10.1f}")
    print(f"{'ratio model / hand-written':42s} {t_model / t_hand:10.2f} {'<= 1.5':>10s}")
    print(f"{'compile, new model, fresh process (s)':42s} {t_new:10.2f} {'< 2':>10s}")
    print(f"{'compile, same model, fresh process (s)':42s} {t_again:10.3f} {'< 0.3':>10s}")


if __name__ == "__main__":
    main()
