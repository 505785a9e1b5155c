"""bootstrap_map: case resampling of a bayeskit model's MAP estimate.

With flat priors on the regression coefficients the MAP coefficients are the least-squares
ones, so on the same resamples (same seed) bootstrap_map must reproduce
bootstrap_regression up to the optimizer's tolerance: L-BFGS-B stops when the relative
change of -log p (about n log sigma, ~40 here) falls below ftol = 2.2e-9, i.e. within
sqrt(2 ftol |f| / h) ~ 7e-5 of the optimum along a direction of curvature h = n / sigma^2.
"""

import numpy as np
import pytest

import bayeskit as bk

OPTIMIZER_TOL = 1e-4


@pytest.mark.slow
def test_map_bootstrap_reproduces_least_squares():
    rng = np.random.default_rng(3)
    n = 40
    X = rng.normal(size=(n, 2))
    y = 1 + X @ [1.0, -2.0] + rng.normal(size=n)
    m = bk.Model()
    Xd = m.data("X", X)
    alpha = m.param("alpha", bk.Flat())
    beta = m.param("beta", bk.Flat(), shape=2)
    sigma = m.param("sigma", bk.HalfNormal(5.0))
    m.observe("y", bk.Normal(alpha + Xd @ beta, sigma), y)

    res = bk.bootstrap_map(m, ("X", "y"), n_resamples=25, seed=0, method="bca")
    ref = bk.bootstrap_regression(X, y, fit_intercept=True, n_resamples=25, seed=0)
    assert res.names == ["alpha", "beta[0]", "beta[1]", "sigma"]
    np.testing.assert_allclose(res.bootstrap_distribution[:3], ref.bootstrap_distribution,
                               atol=OPTIMIZER_TOL)
    np.testing.assert_allclose(res.confidence_interval.low[:3], ref.confidence_interval.low,
                               atol=OPTIMIZER_TOL)
    np.testing.assert_allclose(res.confidence_interval.high[:3],
                               ref.confidence_interval.high, atol=OPTIMIZER_TOL)
    assert np.all(res.bootstrap_distribution[3] > 0)
    # the model's data are restored afterwards
    np.testing.assert_array_equal(m.data_nodes["X"].value, X)
    np.testing.assert_array_equal(m.data_nodes["y"].value, y)
    with pytest.raises(ValueError, match="unknown"):
        bk.bootstrap_map(m, ("X", "z"))
