"""Speed of compiled model log densities (a benchmark, not a test).

California housing hierarchical regression (~20,000 rows, 7 standardized predictors,
intercepts varying by ocean_proximity), with a Normal and with a Student-t likelihood:

1. one ``logp_grad`` call of the bayeskit model vs a hand-written Numba gradient of the
   same density, which computes the terms shared by all rows (``log sigma``, the
   ``lgamma``/``digamma`` of ``nu``) once (target: within 1.5x);
2. one ``logp_grad`` call of each house-price model the ``bayeskit house-price`` command
   fits (``bayeskit.models.house_price``: varying-intercept and robust variants, with the
   censored likelihood it uses and without);
3. compile time of a new model in a fresh process (empty model cache; target < 2 s) and of
   the same model again in another fresh process (target < 0.3 s).

Timings are CPU seconds of the timing process (time.process_time), the best of several
repeats, so that other processes on a shared machine inflate them as little as possible.

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

from bayeskit.distributions._special import digamma

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


def build(X, y, group, levels, likelihood="normal"):
    """The hierarchical regression; ``likelihood``: "normal" or "student_t" (with
    ``nu ~ Gamma(2, 0.1)``, the last parameter)."""
    import bayeskit as bk
    m = bk.Model(coords={"feature": [f"x{k}" for k in range(X.shape[1])], "region": levels})
    Xd = m.data("X", X)
    g = m.data("group", group)
    mu_a = m.param("mu_a", bk.Normal(0, 1))
    sigma_a = m.param("sigma_a", bk.HalfNormal(1))
    a = m.param("a", bk.Normal(mu_a, sigma_a), dims="region")
    beta = m.param("beta", bk.Normal(0, 1), dims="feature")
    sigma = m.param("sigma", bk.HalfNormal(1))
    if likelihood == "normal":
        m.observe("y", bk.Normal(a[g] + Xd @ beta, sigma), y)
    else:
        nu = m.param("nu", bk.Gamma(2.0, 0.1))
        m.observe("y", bk.StudentT(nu, a[g] + Xd @ beta, sigma), y)
    return m


LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
HALF_NORMAL_CONST = 0.5 * math.log(2 / math.pi)


@njit(cache=True, nogil=True)
def hand_priors(theta, grad, n_groups, k):
    """The priors (and log-transform Jacobians) of both densities, written by hand:
    theta = (mu_a, log sigma_a, a, beta, log sigma, ...); sets their gradient slots."""
    mu_a = theta[0]
    ls_a = theta[1]
    s_a = math.exp(ls_a)
    a = theta[2:2 + n_groups]
    beta = theta[2 + n_groups:2 + n_groups + k]
    ls = theta[2 + n_groups + k]
    s = math.exp(ls)
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
    grad[2 + n_groups + k] = -s * s + 1.0
    return lp


@njit(cache=True, nogil=True)
def hand_logp_grad(theta, grad, X, y, group, n_groups):
    """The Normal density by hand: theta = (mu_a, log sigma_a, a, beta, log sigma)."""
    k = X.shape[1]
    a = theta[2:2 + n_groups]
    beta = theta[2 + n_groups:2 + n_groups + k]
    ls = theta[2 + n_groups + k]
    grad[:] = 0.0
    lp = hand_priors(theta, grad, n_groups, k)
    xb = X @ beta
    r = np.empty(y.shape[0])
    inv = math.exp(-ls)
    ss = 0.0
    for i in range(y.shape[0]):
        z = (y[i] - a[group[i]] - xb[i]) * inv
        ss += z * z
        r[i] = z * inv
        grad[2 + group[i]] += z * inv
    n = y.shape[0]
    lp += -0.5 * ss - n * ls - n * LOG_SQRT_2PI
    grad[2 + n_groups + k] += ss - n
    gb = r @ X
    for j in range(k):
        grad[2 + n_groups + j] += gb[j]
    return lp


@njit(cache=True, nogil=True)
def hand_logp_grad_t(theta, grad, X, y, group, n_groups):
    """The Student-t density by hand: theta = (mu_a, log sigma_a, a, beta, log sigma,
    log nu), with the terms of nu and sigma computed once."""
    k = X.shape[1]
    a = theta[2:2 + n_groups]
    beta = theta[2 + n_groups:2 + n_groups + k]
    d = 2 + n_groups + k + 1  # slot of log nu
    ls = theta[d - 1]
    lnu = theta[d]
    nu = math.exp(lnu)
    grad[:] = 0.0
    lp = hand_priors(theta, grad, n_groups, k)
    lp += 2.0 * math.log(0.1) - 0.1 * nu + 2.0 * lnu  # Gamma(2, 0.1) and the Jacobian
    grad[d] = 2.0 - 0.1 * nu
    const = (math.lgamma(0.5 * (nu + 1.0)) - math.lgamma(0.5 * nu)
             - 0.5 * math.log(nu * math.pi) - ls)
    dnu_const = 0.5 * (digamma(0.5 * (nu + 1.0)) - digamma(0.5 * nu)) - 0.5 / nu
    xb = X @ beta
    r = np.empty(y.shape[0])
    inv = math.exp(-ls)
    sum_log_q = 0.0
    sum_w = 0.0
    for i in range(y.shape[0]):
        z = (y[i] - a[group[i]] - xb[i]) * inv
        q = 1.0 + z * z / nu
        sum_log_q += math.log(q)
        w = z * z / (nu * q)  # z^2 / (nu + z^2)
        sum_w += w
        r[i] = (nu + 1.0) * z / (nu * q) * inv  # d lp / d mu_i
        grad[2 + group[i]] += r[i]
    n = y.shape[0]
    lp += n * const - 0.5 * (nu + 1.0) * sum_log_q
    grad[d - 1] += -n + (nu + 1.0) * sum_w
    grad[d] += nu * (n * dnu_const - 0.5 * sum_log_q + 0.5 * (nu + 1.0) / nu * sum_w)
    gb = r @ X
    for j in range(k):
        grad[2 + n_groups + j] += gb[j]
    return lp


def time_call(fn, reps):
    fn()
    best = []
    for _ in range(5):
        t0 = time.process_time()
        for _ in range(reps):
            fn()
        best.append((time.process_time() - t0) / reps)
    return min(best)


COMPILE_SNIPPET = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {here!r})
    import bayeskit  # library import (and its own cached kernels) is not model compile time
    from bench_logp import load, build
    X, y, g, levels = load()
    m = build(X, y, g, levels)
    t0 = time.process_time()
    ld = m.compile()
    import numpy as np
    ld.logp(np.zeros(ld.dim))
    print(time.process_time() - t0)
""")


def compile_time(cache_dir):
    env = dict(os.environ, BAYESKIT_CACHE_DIR=cache_dir)
    out = subprocess.run([sys.executable, "-c", COMPILE_SNIPPET.format(here=HERE)],
                         env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


@njit
def _call_model(fn, theta, grad, fd, idt, reps):
    s = 0.0
    for _ in range(reps):
        s += fn(theta, grad, fd, idt)
    return s


@njit
def _call_hand(hand, theta, grad, X, y, group, n, reps):
    s = 0.0
    for _ in range(reps):
        s += hand(theta, grad, X, y, group, n)
    return s


def model_seconds(ld, theta, reps=100):
    """Seconds per ``logp_grad`` call of a compiled model (called from Numba, as samplers do)."""
    grad = np.empty(ld.dim)
    return time_call(lambda: _call_model(ld.fn, theta, grad, ld.fdata, ld.idata, reps), 1) / reps


def versus_hand(X, y, group, levels, likelihood, hand):
    """``(dim, model seconds, hand-written seconds)`` after checking they agree."""
    ld = build(X, y, group, levels, likelihood).compile()
    theta = np.random.default_rng(0).normal(size=ld.dim) * 0.1
    g1, g2 = np.empty(ld.dim), np.empty(ld.dim)
    lp1 = ld.logp_grad(theta, g1)
    lp2 = hand(theta, g2, X, y, group, len(levels))
    assert abs(lp1 - lp2) < 1e-8 * abs(lp2), (likelihood, lp1, lp2)
    assert np.allclose(g1, g2, rtol=1e-8, atol=1e-8), (likelihood, g1, g2)
    reps = 100
    t_hand = time_call(lambda: _call_hand(hand, theta, g2, X, y, group, len(levels), reps),
                       1) / reps
    return ld.dim, model_seconds(ld, theta, reps), t_hand


def house_price_seconds():
    """``[(label, rows, seconds per logp_grad)]`` of the house-price models at their start."""
    from bayeskit.models.house_data import load_dataset
    from bayeskit.models.house_price import build_model
    data = load_dataset("california")
    out = []
    for variant in ("varying-intercept", "robust"):
        for censored in (True, False):
            hm = build_model(data, variant, censored=censored)
            ld = hm.model.compile()
            theta = ld.unconstrain(hm.start)
            label = f"{variant}{', censored' if censored else ''}"
            out.append((label, len(data.train.y), model_seconds(ld, theta)))
    return out


def main():
    X, y, group, levels = load()
    rows = [(lik, *versus_hand(X, y, group, levels, lik, hand))
            for lik, hand in (("normal", hand_logp_grad), ("student_t", hand_logp_grad_t))]
    houses = house_price_seconds()
    with tempfile.TemporaryDirectory() as cache:
        t_new = compile_time(cache)
        t_again = compile_time(cache)
    print(f"California hierarchical regression: {X.shape[0]} rows, {X.shape[1]} predictors, "
          f"{len(levels)} regions")
    print(f"{'measure':52s} {'value':>10s} {'target':>10s}")
    for lik, dim, t_model, t_hand in rows:
        print(f"{f'{lik}, dim {dim}: logp_grad, bayeskit model (us)':52s} {t_model * 1e6:10.1f}")
        print(f"{f'{lik}, dim {dim}: logp_grad, hand-written Numba (us)':52s} "
              f"{t_hand * 1e6:10.1f}")
        print(f"{f'{lik}: ratio model / hand-written':52s} {t_model / t_hand:10.2f} "
              f"{'<= 1.5':>10s}")
    for label, n, t in houses:
        print(f"{f'house-price {label} ({n} rows): logp_grad (us)':52s} {t * 1e6:10.1f}")
    print(f"{'compile, new model, fresh process (s)':52s} {t_new:10.2f} {'< 2':>10s}")
    print(f"{'compile, same model, fresh process (s)':52s} {t_again:10.3f} {'< 0.3':>10s}")


if __name__ == "__main__":
    main()
