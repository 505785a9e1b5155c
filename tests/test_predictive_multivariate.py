"""Predictive draws of vector-valued observations and of models with LKJ parameters."""

import numpy as np

import bayeskit as bk
from bayeskit import arviz_adapter


def test_mvnormal_rows_are_simulated_with_the_right_covariance():
    chol = np.array([[1.0, 0.0, 0.0], [0.6, 0.8, 0.0], [-0.5, 0.3, 2.0]])
    cov = chol @ chol.T
    m = bk.Model()
    mu = m.param("mu", bk.Normal(0.0, 1e-3), shape=3)
    m.observe("y", bk.MvNormal(mu, chol=chol), np.zeros((20, 3)))
    prior = bk.sample_prior_predictive(m, draws=300, seed=2)
    y = arviz_adapter.get_group(prior, "prior_predictive")["y"].values
    assert y.shape == (1, 300, 20, 3)
    rows = y.reshape(-1, 3)
    n = rows.shape[0]
    se = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov**2) / n)
    assert np.all(np.abs(np.cov(rows.T) - cov) < 4 * se)


def test_lkj_parameter_prior_draws_are_correlation_cholesky_factors():
    m = bk.Model()
    L = m.param("L", bk.LKJCholesky(3, 2.0))
    m.observe("y", bk.MvNormal(np.zeros(3), chol=L), np.zeros((5, 3)))
    prior = bk.sample_prior_predictive(m, draws=50, seed=0)
    draws = arviz_adapter.get_group(prior, "prior")["L"].values.reshape(-1, 3, 3)
    np.testing.assert_allclose(np.einsum("nij,nij->ni", draws, draws), 1.0, atol=1e-12)
    assert np.all(np.triu(draws, 1) == 0)
    y = arviz_adapter.get_group(prior, "prior_predictive")["y"].values
    assert y.shape == (1, 50, 5, 3)
