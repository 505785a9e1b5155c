"""VI on the Windsor house prices: a conjugate normal-inverse-gamma regression.

log(price) = X beta + e, e ~ N(0, sigma^2), X = [1, standardized lotsize, bedrooms,
bathrooms, stories]; prior beta | sigma^2 ~ N(0, sigma^2 V0 I), sigma^2 ~ InvGamma(a0, b0).
The posterior is known exactly: beta is multivariate t with 2 a_n degrees of freedom,
location m_n and scale (b_n / a_n) V_n; sigma^2 ~ InvGamma(a_n, b_n), so log sigma has
mean (log b_n - digamma(a_n)) / 2 and variance trigamma(a_n) / 4. The log-density is
written by hand on the unconstrained (beta, log sigma) space.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numba import njit
from scipy.special import digamma, polygamma

import bayeskit as bk

DATA = Path(__file__).resolve().parents[1] / "models" / "data" / "windsor_house_prices.csv"
PREDICTORS = ["lotsize", "bedrooms", "bathrooms", "stories"]
V0, A0, B0 = 100.0, 2.0, 0.1


@njit(cache=True)
def windsor_logp(theta, grad, fdata, idata):
    """log p(beta, log sigma | y) + const for the NIG regression; fdata = [V0, a0, b0, X, y]."""
    n, p = idata[0], idata[1]
    v0, a0, b0 = fdata[0], fdata[1], fdata[2]
    x = fdata[3:3 + n * p].reshape((n, p))
    y = fdata[3 + n * p:3 + n * p + n]
    beta = theta[:p]
    log_sigma = theta[p]
    resid = y - x @ beta
    q = 0.5 * (resid @ resid) + 0.5 * (beta @ beta) / v0 + b0
    inv_var = np.exp(-2.0 * log_sigma)
    g_beta = (x.T @ resid - beta / v0) * inv_var
    for j in range(p):
        grad[j] = g_beta[j]
    grad[p] = -(n + p + 2.0 * a0) + 2.0 * q * inv_var
    return -(n + p + 2.0 * a0) * log_sigma - q * inv_var


def windsor_design():
    """(X with intercept, log price)."""
    df = pd.read_csv(DATA)
    z = df[PREDICTORS].to_numpy(float)
    z = (z - z.mean(0)) / z.std(0)
    x = np.column_stack([np.ones(len(df)), z])
    return x, np.log(df["price"].to_numpy(float))


def windsor_logdensity():
    x, y = windsor_design()
    n, p = x.shape
    fdata = np.concatenate([[V0, A0, B0], x.ravel(), y])
    return bk.LogDensity.from_numba(windsor_logp, p + 1, fdata, np.array([n, p]))


def windsor_exact():
    """Exact posterior mean and sd of (beta, log sigma), and the covariance of beta."""
    x, y = windsor_design()
    n, p = x.shape
    prec = np.eye(p) / V0 + x.T @ x
    vn = np.linalg.inv(prec)
    mn = vn @ (x.T @ y)
    an = A0 + n / 2
    bn = B0 + 0.5 * (y @ y - mn @ prec @ mn)
    cov_beta = bn / (an - 1) * vn
    mean = np.append(mn, 0.5 * (np.log(bn) - digamma(an)))
    sd = np.append(np.sqrt(np.diag(cov_beta)), 0.5 * np.sqrt(polygamma(1, an)))
    return mean, sd, cov_beta


@pytest.fixture(scope="module")
def windsor():
    return windsor_logdensity(), windsor_exact()


def _assert_means(approx, exact_mean, exact_sd, what):
    err = (approx.mean - exact_mean) / exact_sd
    assert np.all(np.abs(err) < 0.2), f"{what}: mean errors in exact sds {np.round(err, 3)}"


@pytest.mark.parametrize("method", ["advi", "fullrank_advi", "pathfinder"])
def test_recovers_exact_posterior_means(windsor, method):
    """Means within 0.2 exact posterior sds (the issue's bar) on the real data."""
    ld, (mean, sd, _) = windsor
    approx = bk.fit(ld, method=method, seed=1, progressbar=False)
    assert approx.method == method and approx.converged
    _assert_means(approx, mean, sd, method)


def test_fullrank_advi_recovers_sds_and_correlations(windsor):
    """Full-rank ADVI: sds within 15% and the coefficients' correlations within 0.1."""
    ld, (mean, sd, cov_beta) = windsor
    approx = bk.fit(ld, method="fullrank_advi", seed=2, progressbar=False)
    got_sd = np.sqrt(np.diag(approx.cov))
    assert np.all(np.abs(got_sd / sd - 1) < 0.15), np.round(got_sd / sd, 3)
    p = cov_beta.shape[0]
    exact_corr = cov_beta / np.outer(sd[:p], sd[:p])
    got_corr = approx.cov[:p, :p] / np.outer(got_sd[:p], got_sd[:p])
    np.testing.assert_allclose(got_corr, exact_corr, atol=0.1)


def test_pathfinder_draws_match_the_exact_posterior(windsor):
    """Importance-resampled draws: means within 0.2 sds, sds within 15% (Monte Carlo error
    of 2000 resampled draws is about 0.03 sds)."""
    ld, (mean, sd, _) = windsor
    approx = bk.fit(ld, method="pathfinder", seed=3, progressbar=False)
    assert approx.pareto_k < 0.7
    idata = approx.sample(2000, seed=4)
    theta = bk.arviz_adapter.get_group(idata, "posterior")["theta"].values
    assert theta.shape == (1, 2000, ld.dim)
    draws = theta.reshape(-1, ld.dim)
    assert np.all(np.abs((draws.mean(0) - mean) / sd) < 0.2)
    assert np.all(np.abs(draws.std(0) / sd - 1) < 0.15)
