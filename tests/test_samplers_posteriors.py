"""NUTS, HMC and Metropolis against exact posteriors (hand-written Numba log-densities).

Means within 4 MCSE (ESS-based), sds within 10%: normal-normal, beta-binomial on the
logit scale, a conjugate normal-inverse-gamma regression on the Windsor house prices,
correlated Gaussians (2-d for all samplers, 50-d for HMC/NUTS), and Neal's funnel for the
divergence report.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numba import njit
from scipy import stats

import bayeskit as bk
from sampler_checks import assert_posterior, run_chains

pytestmark = pytest.mark.slow

SAMPLERS = ["nuts", "hmc", "metropolis"]
# Metropolis mixes ~dim times slower per iteration: more draws (they are cheap).
DRAWS = {"nuts": 1000, "hmc": 1000, "metropolis": 10000}
TUNE = {"nuts": 1000, "hmc": 1000, "metropolis": 5000}

DATA = Path(bk.__file__).resolve().parent.parent / "models" / "data"


# -- normal-normal -------------------------------------------------------------------------------
@njit
def _normal_normal(theta, grad, fdata, idata):
    # fdata = [prior mean, prior sd, sigma, y_1..y_n]
    m0, s0, sigma = fdata[0], fdata[1], fdata[2]
    mu = theta[0]
    lp = -0.5 * ((mu - m0) / s0) ** 2
    g = -(mu - m0) / s0 ** 2
    for i in range(3, fdata.size):
        r = fdata[i] - mu
        lp -= 0.5 * (r / sigma) ** 2
        g += r / sigma ** 2
    grad[0] = g
    return lp


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_normal_normal(sampler):
    y = np.random.default_rng(42).normal(1.5, 2.0, size=20)
    m0, s0, sigma = 0.0, 3.0, 2.0
    ld = bk.LogDensity.from_numba(_normal_normal, 1, fdata=np.r_[m0, s0, sigma, y])
    prec = 1 / s0 ** 2 + y.size / sigma ** 2
    mean = (m0 / s0 ** 2 + y.sum() / sigma ** 2) / prec
    draws, _ = run_chains(ld, sampler, draws=DRAWS[sampler], tune=TUNE[sampler], seed=1)
    assert_posterior(draws, [mean], [prec ** -0.5], f"{sampler} normal-normal")


# -- beta-binomial on the logit scale --------------------------------------------------------------
@njit
def _beta_binomial_logit(theta, grad, fdata, idata):
    # p = sigmoid(z) with p ~ Beta(a, b), k successes in n; the Jacobian p (1 - p) makes
    # the density on z: (k + a) log p + (n - k + b) log(1 - p)
    a, b, k, n = fdata[0], fdata[1], fdata[2], fdata[3]
    z = theta[0]
    log_p = -np.log1p(np.exp(-z)) if z > 0 else z - np.log1p(np.exp(z))
    log_q = log_p - z
    p = np.exp(log_p)
    grad[0] = (k + a) * (1 - p) - (n - k + b) * p
    return (k + a) * log_p + (n - k + b) * log_q


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_beta_binomial(sampler):
    a, b, k, n = 2.0, 3.0, 7.0, 30.0
    ld = bk.LogDensity.from_numba(_beta_binomial_logit, 1, fdata=np.array([a, b, k, n]))
    draws, _ = run_chains(ld, sampler, draws=DRAWS[sampler], tune=TUNE[sampler], seed=2)
    exact = stats.beta(a + k, b + n - k)
    p = 1 / (1 + np.exp(-draws))
    assert_posterior(p, [exact.mean()], [exact.std()], f"{sampler} beta-binomial p")
    # and on the sampler's own (logit) scale, by numerical integration of the exact density
    z = np.linspace(-8, 4, 20001)
    dens = exact.pdf(1 / (1 + np.exp(-z))) * np.exp(-z) / (1 + np.exp(-z)) ** 2
    dens /= np.trapezoid(dens, z)
    mz = np.trapezoid(z * dens, z)
    sz = np.sqrt(np.trapezoid((z - mz) ** 2 * dens, z))
    assert_posterior(draws, [mz], [sz], f"{sampler} beta-binomial logit p")


# -- normal-inverse-gamma regression on the Windsor house prices -----------------------------------
@njit
def _nig_regression(theta, grad, fdata, idata):
    # theta = (beta_1..beta_k, log sigma^2); beta | s2 ~ N(0, s2 * v0 I),
    # s2 ~ InvGamma(a0, b0), y ~ N(X beta, s2 I). fdata = [v0, a0, b0, X (n*k), y (n)]
    n, k = idata[0], idata[1]
    v0, a0, b0 = fdata[0], fdata[1], fdata[2]
    X = fdata[3:3 + n * k].reshape((n, k))
    y = fdata[3 + n * k:3 + n * k + n]
    u = theta[k]
    s2 = np.exp(u)
    beta = theta[:k]
    resid = y - X @ beta
    rss = np.sum(resid * resid)
    bb = np.sum(beta * beta) / v0
    quad = rss + bb
    lp = -(0.5 * (n + k) + a0 + 1.0) * u - (0.5 * quad + b0) / s2 + u
    gb = (X.T @ resid - beta / v0) / s2
    for j in range(k):
        grad[j] = gb[j]
    grad[k] = -(0.5 * (n + k) + a0) + (0.5 * quad + b0) / s2
    return lp


def _windsor_design():
    df = pd.read_csv(DATA / "windsor_house_prices.csv")
    cols = ["lotsize", "bedrooms", "bathrooms", "stories"]
    Z = df[cols].to_numpy(float)
    Z = (Z - Z.mean(0)) / Z.std(0)
    X = np.column_stack([np.ones(len(df)), Z])
    y = np.log(df["price"].to_numpy(float))
    return X, y


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_normal_inverse_gamma_regression_windsor(sampler):
    X, y = _windsor_design()
    n, k = X.shape
    v0, a0, b0 = 100.0, 2.0, 0.5
    ld = bk.LogDensity.from_numba(_nig_regression, k + 1, fdata=np.r_[v0, a0, b0, X.ravel(), y],
                                  idata=np.array([n, k]))
    # exact posterior: beta is multivariate t, sigma^2 inverse gamma
    Vn = np.linalg.inv(np.eye(k) / v0 + X.T @ X)
    mn = Vn @ (X.T @ y)
    an = a0 + n / 2
    bn = b0 + 0.5 * (y @ y - mn @ np.linalg.solve(Vn, mn))
    beta_sd = np.sqrt(np.diag(Vn) * bn / (an - 1))
    s2 = stats.invgamma(an, scale=bn)
    # Metropolis needs the proposal covariance of the correlated coefficients
    kw = {"dense_mass": sampler == "metropolis"}
    draws, _ = run_chains(ld, sampler, draws=DRAWS[sampler], tune=TUNE[sampler], seed=3,
                          **kw)
    assert_posterior(draws[..., :k], mn, beta_sd, f"{sampler} NIG beta")
    assert_posterior(np.exp(draws[..., k:]), [s2.mean()], [s2.std()], f"{sampler} NIG sigma2")


# -- correlated Gaussians ----------------------------------------------------------------------------
@njit
def _mvn(theta, grad, fdata, idata):
    # N(mean, cov) with fdata = [mean (d), precision (d*d)]
    d = theta.size
    mean = fdata[:d]
    prec = fdata[d:d + d * d].reshape((d, d))
    r = theta - mean
    pr = prec @ r
    for i in range(d):
        grad[i] = -pr[i]
    return -0.5 * np.dot(r, pr)


def _mvn_ld(mean, cov):
    return bk.LogDensity.from_numba(_mvn, len(mean), fdata=np.r_[mean, np.linalg.inv(cov).ravel()])


@pytest.mark.parametrize("sampler", SAMPLERS)
@pytest.mark.parametrize("dense", [False, True])
def test_correlated_2d_gaussian(sampler, dense):
    sd = np.array([1.0, 10.0])
    cov = np.array([[1, 0.95], [0.95, 1]]) * np.outer(sd, sd)
    mean = np.array([1.0, -3.0])
    draws, _ = run_chains(_mvn_ld(mean, cov), sampler, draws=DRAWS[sampler],
                          tune=TUNE[sampler], seed=4, dense_mass=dense)
    assert_posterior(draws, mean, sd, f"{sampler} 2-d (dense={dense})")
    corr = np.corrcoef(draws.reshape(-1, 2).T)[0, 1]
    assert abs(corr - 0.95) < 0.02


@pytest.mark.parametrize("sampler,dense", [("nuts", False), ("nuts", True), ("hmc", True)])
def test_correlated_50d_gaussian(sampler, dense):
    rng = np.random.default_rng(50)
    d = 50
    A = rng.normal(size=(d, d))
    sd = np.exp(rng.uniform(-1, 1, d))
    S = A @ A.T / d + 0.5 * np.eye(d)  # moderate random correlations, condition ~ 20
    corr = S / np.sqrt(np.outer(np.diag(S), np.diag(S)))
    cov = corr * np.outer(sd, sd)
    mean = rng.normal(size=d)
    draws, results = run_chains(_mvn_ld(mean, cov), sampler, draws=1000, tune=1000, seed=5,
                                dense_mass=dense)
    assert_posterior(draws, mean, sd, f"{sampler} 50-d (dense={dense})")
    if dense:  # the adapted metric is the posterior covariance, up to Monte Carlo error
        rel = np.abs(results[0].inv_mass - cov).max() / np.abs(cov).max()
        assert rel < 0.25


# -- Neal's funnel: divergences are reported ----------------------------------------------------------
@njit
def _funnel(theta, grad):
    # v ~ N(0, 3), x_i ~ N(0, exp(v / 2)), centred: the neck defeats a global step size
    v = theta[0]
    n = theta.size - 1
    s = 0.0
    for i in range(1, theta.size):
        s += theta[i] * theta[i]
    e = np.exp(-v)
    lp = -v * v / 18.0 - 0.5 * n * v - 0.5 * s * e
    grad[0] = -v / 9.0 - 0.5 * n + 0.5 * s * e
    for i in range(1, theta.size):
        grad[i] = -theta[i] * e
    return lp


@pytest.mark.parametrize("sampler", ["nuts", "hmc"])
def test_funnel_reports_divergences(sampler):
    ld = bk.LogDensity.from_numba(_funnel, 10)
    draws, results = run_chains(ld, sampler, chains=2, draws=1000, tune=1000, seed=6)
    div = np.concatenate([r.stats["diverging"] for r in results])
    assert div.sum() > 0
    assert np.all(np.isfinite(draws))
    err = np.concatenate([r.stats["energy_error"] for r in results])
    assert np.all(np.isfinite(err[~div]))
    # the divergences cluster in the neck (small v), the classic signature
    v = draws[..., 0].ravel()
    assert v[div].mean() < v[~div].mean()
