"""Split kernels (loop-invariant parameters hoisted out of a likelihood's loop).

Each split is checked against its family's own kernels on a grid that covers the common
case and every edge (invalid and infinite parameters, NaN/infinite values, overflow,
censored rows at their bounds); compiled models that use a split are checked against the
same density written so that no split applies (the parameter broadcast to a vector),
against scipy, and against finite differences.
"""

import importlib
import itertools

import numpy as np
import pytest
import scipy.stats as st

import bayeskit as bk
from bayeskit.model.program import Layout, generate
from bayeskit.model.model import kernel_path
from bayeskit.model.split import SPLITS
from bayeskit.model.testing import check_grad

INF, NAN = np.inf, np.nan
XS = [-3.0, 0.5, 2.0, 1e60, 1e200, INF, -INF, NAN]
MUS = [0.3, -1e-300, INF, NAN]
SIGMAS = [1.7, 1e-3, 1e-200, 0.0, -1.0, INF, NAN]
NUS = [0.5, 3.0, 500.0, INF, 0.0, -1.0, NAN]
BOUNDS = [(-INF, 2.0), (-3.0, 0.5), (-INF, INF), (1.0, -1.0)]

# the common case: valid parameters over many scales, values from the bulk to far tails
_R = np.random.default_rng(3)
_M = 200
R_MU = _R.normal(0.0, 5.0, _M)
R_SIGMA = np.exp(_R.uniform(-7.0, 7.0, _M))
R_NU = np.exp(_R.uniform(-2.0, 7.0, _M))
R_X = R_MU + R_SIGMA * _R.standard_t(1.0, _M)
R_LO = np.where(_R.uniform(size=_M) < 0.5, -INF, R_X - np.abs(R_X) * _R.uniform(0, 1, _M))
R_HI = R_X + np.abs(R_X) * _R.uniform(0, 1, _M)
R_SIGMA_LOG = np.exp(_R.uniform(-3.0, 1.5, _M))  # LogNormal: x = exp(mu + sigma t)
R_X_POS = np.exp(R_MU + R_SIGMA_LOG * np.clip(_R.standard_t(3.0, _M), -20.0, 20.0))

CASES = {
    "normal_lpdf_grad": [(x, mu, s) for x, mu, s in itertools.product(XS, MUS, SIGMAS)]
    + list(zip(R_X, R_MU, R_SIGMA)),
    "student_t_lpdf_grad": [(x, nu, mu, s) for x, nu, mu, s
                            in itertools.product(XS, NUS, MUS, SIGMAS)]
    + list(zip(R_X, R_NU, R_MU, R_SIGMA)),
    "lognormal_lpdf_grad": [(x, mu, s) for x, mu, s in itertools.product(XS + [0.0, -1.0],
                                                                          MUS, SIGMAS)]
    + list(zip(R_X_POS, R_MU, R_SIGMA_LOG)),
    "gamma_lpdf_grad": [(x, a, b) for x, a, b in itertools.product(
        XS + [0.0, -1.0, 1e-300], [0.5, 1.0, 3.0, 1e6, INF, 0.0, -1.0, NAN],
        [2.0, 1e-300, 1e300, INF, 0.0, NAN])]
    + list(zip(R_X_POS, R_NU, 1.0 / R_SIGMA)),
    "censored_normal_lpdf_grad": [(x, mu, s, lo, hi) for x, mu, s, (lo, hi)
                                  in itertools.product(XS, MUS, SIGMAS, BOUNDS)]
    + list(zip(R_X, R_MU, R_SIGMA, R_LO, R_HI)),
    "censored_student_t_lpdf_grad": [(x, nu, mu, s, lo, hi) for x, nu, mu, s, (lo, hi)
                                     in itertools.product(XS, NUS, MUS[:2], SIGMAS[:4],
                                                          BOUNDS)]
    + list(zip(R_X, R_NU, R_MU, R_SIGMA, R_LO, R_HI)),
}


def _resolve(path):
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


def test_every_split_has_cases():
    assert {p.split(":")[1] for p in SPLITS} == set(CASES)


def _assert_same(row, full, what):
    """Non-finite entries (and everything off the support) exactly equal, the others to
    rounding."""
    row, full = np.asarray(row, dtype=float), np.asarray(full, dtype=float)
    exact = ~np.isfinite(full) | (not np.isfinite(full[0]))
    np.testing.assert_array_equal(row[exact], full[exact], err_msg=what)
    if not exact.all():
        scale = max(1.0, float(np.max(np.abs(full[~exact]))))
        np.testing.assert_allclose(row[~exact], full[~exact], rtol=1e-12,
                                   atol=1e-13 * scale, err_msg=what)


@pytest.mark.parametrize("path", sorted(SPLITS))
def test_split_kernels_equal_family_kernels(path):
    """``row(x, params, pre(invariant params))`` is the family kernel, value and gradient."""
    split = SPLITS[path]
    full = _resolve(path)
    pre, row = _resolve(split.pre), _resolve(split.row)
    cases = CASES[path.split(":")[1]]
    if "censored" in path:  # rows at a finite bound: the tail probabilities
        cases = cases + [(c[-2],) + c[1:] for c in cases if c[-2] > -INF]
        cases = cases + [(c[-1],) + c[1:] for c in cases if c[-1] < INF]
    n_finite = 0
    for x, *params in cases:
        consts = pre(*(params[j] for j in split.invariant))
        assert len(consts) == split.n_consts
        expected = full(x, *params)
        _assert_same(row(x, *params, *consts), expected, f"{path} at x={x}, params={params}")
        n_finite += np.isfinite(expected[0])
    assert n_finite >= _M  # the common case is covered, not only the edges


# ------------------------------------------------------------------ compiled models
RNG = np.random.default_rng(7)
N = 60
X = RNG.normal(size=(N, 2))
Y = X @ np.array([0.5, -1.0]) + 0.3 + 0.8 * RNG.standard_t(4.0, size=N)
CAP = float(np.quantile(Y, 0.8))
Y_CENS = np.minimum(Y, CAP)


def _robust_model(*, vector_scale=False, vector_nu=False, censored=False, upper=CAP):
    """Student-t regression; ``vector_*`` writes a parameter as a vector of equal entries,
    the same density with that parameter no longer a loop-invariant scalar."""
    m = bk.Model()
    Xd = m.data("X", X)
    alpha = m.param("alpha", bk.Normal(0.0, 1.0))
    beta = m.param("beta", bk.Normal(0.0, 1.0), shape=2)
    sigma = m.param("sigma", bk.HalfNormal(1.0))
    nu = m.param("nu", bk.Gamma(2.0, 0.1))
    ones = np.ones(N)
    scale = sigma * ones if vector_scale else sigma
    dof = nu * ones if vector_nu else nu
    likelihood = bk.StudentT(dof, alpha + Xd @ beta, scale)
    if censored:
        likelihood = bk.Censored(likelihood, upper=upper)
    m.observe("y", likelihood, Y_CENS if censored else Y)
    return m


def _uses_split(m, pre):
    """Whether the generated code of ``m`` evaluates the split constants ``<pre>_pre``."""
    return f"bayeskit.model.split import {pre}_pre as" in generate(Layout(m))


def _theta(ld):
    return ld.unconstrain({"alpha": 0.2, "beta": np.array([0.4, -0.8]), "sigma": 0.9,
                           "nu": 5.0})


def _reference_logp(v, censored=False):
    lp = (st.norm.logpdf(v["alpha"]) + st.norm.logpdf(v["beta"]).sum()
          + st.halfnorm.logpdf(v["sigma"]) + st.gamma.logpdf(v["nu"], 2.0, scale=10.0))
    lp += np.log(v["sigma"]) + np.log(v["nu"])  # log-transform Jacobians
    mu = v["alpha"] + X @ v["beta"]
    dist = st.t(v["nu"], mu, v["sigma"])
    y = Y_CENS if censored else Y
    at_cap = censored & (y == CAP)
    return lp + np.where(at_cap, dist.logsf(CAP), dist.logpdf(y)).sum()


@pytest.fixture(scope="module")
def robust():
    return _robust_model().compile()


@pytest.mark.parametrize("vector", ["scale", "nu", "both"])
def test_student_t_split_equals_unsplit_path(robust, vector):
    """Scalar nu and sigma (split) against nu and/or sigma as vectors (family kernel)."""
    kw = {"vector_scale": vector in ("scale", "both"), "vector_nu": vector in ("nu", "both")}
    m = _robust_model(**kw)
    assert not _uses_split(m, "student_t") and _uses_split(_robust_model(), "student_t")
    plain = m.compile()
    for seed in range(3):
        theta = _theta(robust) + np.random.default_rng(seed).normal(size=robust.dim) * 0.3
        g1, g2 = np.empty(robust.dim), np.empty(robust.dim)
        lp1, lp2 = robust.logp_grad(theta, g1), plain.logp_grad(theta, g2)
        assert lp1 == pytest.approx(lp2, rel=1e-12)
        np.testing.assert_allclose(g1, g2, rtol=1e-11, atol=1e-12 * np.abs(g2).max())


def test_student_t_split_matches_scipy_and_finite_differences(robust):
    theta = _theta(robust)
    assert robust.logp(theta) == pytest.approx(_reference_logp(robust.constrain(theta)),
                                               rel=1e-12)
    check_grad(robust, theta)
    pointwise = robust.log_likelihood_draws(theta[None, :])["y"][0]
    v = robust.constrain(theta)
    np.testing.assert_allclose(pointwise, st.t.logpdf(Y, v["nu"], v["alpha"] + X @ v["beta"],
                                                      v["sigma"]), rtol=1e-12)


@pytest.mark.parametrize("upper", ["scalar", "vector"])
def test_censored_student_t_split_matches_unsplit_scipy_and_finite_differences(upper):
    """The split hoists nu and sigma whether the bound is one number or one per row."""
    bound = CAP if upper == "scalar" else np.full(N, CAP)
    m = _robust_model(censored=True, upper=bound)
    assert _uses_split(m, "student_t")
    ld = m.compile()
    unsplit = _robust_model(censored=True, upper=bound, vector_scale=True)
    assert not _uses_split(unsplit, "student_t")
    plain = unsplit.compile()
    theta = _theta(ld)
    g1, g2 = np.empty(ld.dim), np.empty(ld.dim)
    assert ld.logp_grad(theta, g1) == pytest.approx(plain.logp_grad(theta, g2), rel=1e-12)
    np.testing.assert_allclose(g1, g2, rtol=1e-11, atol=1e-12 * np.abs(g2).max())
    assert ld.logp(theta) == pytest.approx(_reference_logp(ld.constrain(theta), True),
                                           rel=1e-9)  # scipy's t tail is good to ~1e-10
    check_grad(ld, theta, rtol=1e-5)


def test_the_families_kernels_are_registered():
    """The registry's keys are the kernel paths lpdf nodes carry (a renamed kernel would
    silently lose its split otherwise)."""
    dists = [bk.Normal(0.0, 1.0), bk.StudentT(3.0, 0.0, 1.0), bk.LogNormal(0.0, 1.0),
             bk.Gamma(2.0, 1.0),
             bk.Censored(bk.Normal(0.0, 1.0), upper=1.0),
             bk.Censored(bk.StudentT(3.0, 0.0, 1.0), upper=1.0)]
    assert {kernel_path(d.kernel_grad, "test") for d in dists} == set(SPLITS)


def test_mixed_normal_likelihoods_and_overflow():
    """One model with split Normals (scalar sigma; a vector and a matrix), an unsplit one
    (vector sigma) and a scalar Normal (no loop): values against scipy, gradient against
    finite differences; an overflowing scale gives -inf, never NaN."""
    m = bk.Model()
    Xd = m.data("X", X)
    beta = m.param("beta", bk.Normal(0.0, 1.0), shape=2)
    sigma = m.param("sigma", bk.HalfNormal(1.0))
    tau = m.param("tau", bk.HalfNormal(1.0), shape=N)
    m.observe("y", bk.Normal(Xd @ beta, sigma), Y)
    m.observe("y2", bk.Normal(Xd @ beta, tau), Y[::-1].copy())
    m.observe("y3", bk.Normal(beta[0], sigma), 0.7)
    y4 = X[:4] * 0.5 + 0.1  # a matrix: the split's constants sit before the nested loops
    m.observe("y4", bk.Normal(beta[None, :] * Xd[:4], sigma), y4)
    src = generate(Layout(m))
    assert src.count("split import normal_row as") == 1
    assert "continuous import normal_lpdf_grad as" in src
    ld = m.compile()
    theta = ld.unconstrain({"beta": np.array([0.4, -0.8]), "sigma": 0.9,
                            "tau": np.linspace(0.5, 2.0, N)})
    v = ld.constrain(theta)
    mu = X @ v["beta"]
    ref = (st.norm.logpdf(v["beta"]).sum() + st.halfnorm.logpdf(v["sigma"])
           + st.halfnorm.logpdf(v["tau"]).sum() + np.log(v["sigma"]) + np.log(v["tau"]).sum()
           + st.norm.logpdf(Y, mu, v["sigma"]).sum()
           + st.norm.logpdf(Y[::-1], mu, v["tau"]).sum()
           + st.norm.logpdf(0.7, v["beta"][0], v["sigma"])
           + st.norm.logpdf(y4, v["beta"][None, :] * X[:4], v["sigma"]).sum())
    assert ld.logp(theta) == pytest.approx(ref, rel=1e-12)
    check_grad(ld, theta)
    np.testing.assert_allclose(ld.log_likelihood_draws(theta[None, :])["y"][0],
                               st.norm.logpdf(Y, mu, v["sigma"]), rtol=1e-12)
    huge = theta.copy()
    huge[2] = 800.0  # log sigma: sigma overflows to inf
    grad = np.empty(ld.dim)
    assert ld.logp(huge) == -np.inf
    assert ld.logp_grad(huge, grad) == -np.inf


def test_gamma_glm_and_lognormal_splits():
    """A Gamma GLM (scalar shape, rate varying by row) and a LogNormal with scalar sigma:
    against the same model with the shape as a vector (no split), scipy and finite
    differences."""
    y_pos = np.exp(0.3 * X[:, 0]) * RNG.gamma(3.0, 1.0 / 3.0, size=N)

    def build(vector_shape):
        m = bk.Model()
        Xd = m.data("X", X)
        beta = m.param("beta", bk.Normal(0.0, 1.0), shape=2)
        shape = m.param("shape", bk.Gamma(2.0, 0.5))
        sigma = m.param("sigma", bk.HalfNormal(1.0))
        mean = bk.math.exp(Xd @ beta)
        alpha = shape * np.ones(N) if vector_shape else shape
        m.observe("y", bk.Gamma(alpha, shape / mean), y_pos)
        m.observe("z", bk.LogNormal(Xd @ beta, sigma), y_pos)
        return m

    split, unsplit = build(False), build(True)
    assert _uses_split(split, "gamma") and not _uses_split(unsplit, "gamma")
    assert _uses_split(split, "normal")  # the LogNormal's constants
    ld, plain = split.compile(), unsplit.compile()
    theta = ld.unconstrain({"beta": np.array([0.3, -0.1]), "shape": 2.5, "sigma": 0.8})
    g1, g2 = np.empty(ld.dim), np.empty(ld.dim)
    assert ld.logp_grad(theta, g1) == pytest.approx(plain.logp_grad(theta, g2), rel=1e-12)
    np.testing.assert_allclose(g1, g2, rtol=1e-11, atol=1e-12 * np.abs(g2).max())
    check_grad(ld, theta)
    v = ld.constrain(theta)
    mean = np.exp(X @ v["beta"])
    pointwise = ld.log_likelihood_draws(theta[None, :])
    np.testing.assert_allclose(pointwise["y"][0], st.gamma.logpdf(
        y_pos, v["shape"], scale=mean / v["shape"]), rtol=1e-12)
    np.testing.assert_allclose(pointwise["z"][0], st.lognorm.logpdf(
        y_pos, v["sigma"], scale=np.exp(X @ v["beta"])), rtol=1e-12)
