"""bk.Censored: tail probabilities at the bounds, the base density in between.

References are scipy.stats' logcdf/logsf/logpdf; gradients are checked against central
finite differences; sampling against the tail probabilities it must reproduce.
"""

import mpmath
import numpy as np
import pytest
import scipy.stats as st

import bayeskit as bk
from bayeskit.distributions.censored import (
    censored_normal_lpdf_grad,
    censored_student_t_lpdf_grad,
    student_t_log_cdf_std,
)

NORMAL_CASES = [  # mu, sigma, lower, upper
    (0.0, 1.0, -2.0, 1.5),
    (3.0, 0.01, -1.0, 2.0),  # upper bound 100 sds below the mean
    (0.0, 1e3, -5.0, 5.0),
    (-40.0, 1.0, -np.inf, 0.0),  # upper tail at 40 sds
    (12.5, 0.3, -np.inf, 13.1),  # California's log(500,001) bound, roughly
]
T_CASES = [  # nu, mu, sigma, lower, upper
    (3.0, 0.0, 1.0, -2.0, 1.5),
    (0.7, 1.0, 2.0, -30.0, 40.0),
    (30.0, -5.0, 0.1, -np.inf, 0.0),
    (1e4, 0.0, 1.0, -1.0, 3.0),
]


def _reference(twin, x, lower, upper):
    if x == lower:
        return twin.logcdf(x)
    if x == upper:
        return twin.logsf(x)
    return twin.logpdf(x)


def _points(lower, upper):
    finite = [b for b in (lower, upper) if np.isfinite(b)]
    inside = 0.5 * (lower + upper) if len(finite) == 2 else finite[0] - 0.37
    return finite + [inside]


@pytest.mark.parametrize("mu, sigma, lower, upper", NORMAL_CASES)
def test_normal_matches_scipy(mu, sigma, lower, upper):
    dist = bk.Censored(bk.Normal(mu, sigma), lower=lower, upper=upper)
    twin = st.norm(mu, sigma)
    for x in _points(lower, upper):
        np.testing.assert_allclose(dist.logpdf(x), _reference(twin, x, lower, upper), rtol=1e-10)


@pytest.mark.parametrize("nu, mu, sigma, lower, upper", T_CASES)
def test_student_t_matches_scipy(nu, mu, sigma, lower, upper):
    dist = bk.Censored(bk.StudentT(nu, mu, sigma), lower=lower, upper=upper)
    twin = st.t(nu, mu, sigma)
    for x in _points(lower, upper):
        np.testing.assert_allclose(dist.logpdf(x), _reference(twin, x, lower, upper), rtol=1e-9)


@pytest.mark.parametrize("nu", [0.5, 1.0, 3.0, 30.0, 1e4])
@pytest.mark.parametrize("t", [-1e4, -60.0, -5.0, -0.1, 0.0, 0.2, 4.0, 60.0, 1e4])
def test_student_t_log_cdf_far_in_the_tails(nu, t):
    """Against 50-digit mpmath (scipy's logcdf underflows to -inf at t=-60, nu=1e4)."""
    with mpmath.workdps(50):
        t_, nu_ = mpmath.mpf(t), mpmath.mpf(nu)
        tail = mpmath.betainc(nu_ / 2, 0.5, 0, nu_ / (nu_ + t_ * t_), regularized=True) / 2
        exact = float(mpmath.log(tail) if t < 0 else mpmath.log1p(-tail))
    np.testing.assert_allclose(student_t_log_cdf_std(t, nu), exact, rtol=1e-11, atol=1e-300)


def _central_differences(kernel, args, h=1e-6):
    grads = []
    for i in range(len(args)):
        step = h * max(1.0, abs(args[i]))
        up, down = list(args), list(args)
        up[i] += step
        down[i] -= step
        grads.append((kernel(*up)[0] - kernel(*down)[0]) / (2 * step))
    return np.array(grads)


@pytest.mark.parametrize("mu, sigma, lower, upper", NORMAL_CASES[:3])
def test_normal_gradient(mu, sigma, lower, upper):
    for x in _points(lower, upper):
        at_bound = x in (lower, upper)
        args = (x, mu, sigma, lower, upper)
        analytic = np.array(censored_normal_lpdf_grad(*args)[1:])
        # x sits exactly on a bound: moving it changes which branch applies, so only the
        # parameters (and the bound, moved together with x) are differentiated there.
        numeric = _central_differences(censored_normal_lpdf_grad, args)
        checked = [1, 2] if at_bound else [0, 1, 2, 3, 4]
        np.testing.assert_allclose(analytic[checked], numeric[checked], rtol=1e-5, atol=1e-8)
        if at_bound:
            k = 3 if x == lower else 4
            moved = lambda d: censored_normal_lpdf_grad(  # noqa: E731
                x + d, mu, sigma, lower + d * (k == 3), upper + d * (k == 4))[0]
            np.testing.assert_allclose(analytic[k], (moved(1e-6) - moved(-1e-6)) / 2e-6,
                                       rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("nu, mu, sigma, lower, upper", T_CASES[:3])
def test_student_t_gradient(nu, mu, sigma, lower, upper):
    for x in _points(lower, upper):
        args = (x, nu, mu, sigma, lower, upper)
        analytic = np.array(censored_student_t_lpdf_grad(*args)[1:])
        numeric = _central_differences(censored_student_t_lpdf_grad, args)
        checked = [1, 2, 3] if x in (lower, upper) else [0, 1, 2, 3]
        np.testing.assert_allclose(analytic[checked], numeric[checked], rtol=1e-5, atol=1e-8)


def test_sampling_puts_the_tail_mass_on_the_bounds():
    rng = np.random.default_rng(42)
    dist = bk.Censored(bk.Normal(1.0, 2.0), lower=-1.0, upper=2.5)
    draws = dist.sample(size=100_000, rng=rng)
    assert draws.min() == -1.0 and draws.max() == 2.5
    for value, p in [(-1.0, st.norm(1, 2).cdf(-1.0)), (2.5, st.norm(1, 2).sf(2.5))]:
        frac = np.mean(draws == value)
        assert abs(frac - p) < 4 * np.sqrt(p * (1 - p) / draws.size)
    se = draws.std() / np.sqrt(draws.size)
    assert abs(draws.mean() - dist.mean) < 4 * se
    assert abs(draws.var() / dist.var - 1) < 4 * np.sqrt(2 / draws.size) * 2


def test_outside_the_bounds_is_impossible_and_errors_are_clear():
    dist = bk.Censored(bk.Normal(0.0, 1.0), upper=1.0)
    assert dist.logpdf(1.5) == -np.inf
    with pytest.raises(ValueError, match="lower must be below upper"):
        bk.Censored(bk.Normal(0.0, 1.0), lower=2.0, upper=1.0)
    with pytest.raises(TypeError, match="cannot censor Gamma"):
        bk.Censored(bk.Gamma(2.0, 1.0), upper=3.0)
    with pytest.raises(ValueError, match="observed data"):
        dist.default_transform()


def test_predictive_draws_of_a_censored_observation_are_censored_too():
    import pickle

    from bayeskit import arviz_adapter

    rng = np.random.default_rng(5)
    y = np.minimum(rng.normal(1.0, 2.0, 40), 2.5)
    m = bk.Model()
    mu = m.param("mu", bk.Normal(1.0, 0.01))
    sigma = m.param("sigma", bk.LogNormal(np.log(2.0), 0.01))
    m.observe("y", bk.Censored(bk.Normal(mu, sigma), upper=2.5), y)
    prior = bk.sample_prior_predictive(m, draws=2000, seed=1)
    sims = arviz_adapter.get_group(prior, "prior_predictive")["y"].values.ravel()
    assert sims.max() == 2.5
    p = st.norm(1.0, 2.0).sf(2.5)  # the prior pins mu and sigma to within 1%
    frac = np.mean(sims == 2.5)
    assert abs(frac - p) < 4 * np.sqrt(p * (1 - p) / sims.size) + 0.01
    clone = pickle.loads(pickle.dumps(m.compile()))
    theta = np.array([1.0, np.log(2.0)])
    np.testing.assert_allclose(clone.logp(theta), m.compile().logp(theta))
