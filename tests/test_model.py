"""The model language: gradients of every operation against finite differences, log
densities against scipy.stats, set_data without recompilation, clear build-time errors."""

import pickle

import numpy as np
import pytest
import scipy.stats as st
from scipy.special import logsumexp as sp_logsumexp

import bayeskit as bk
from bayeskit import math as bm
from bayeskit.model import ShapeError
from bayeskit.model.testing import check_grad

RNG = np.random.default_rng(20261123)


def _point(ld, seed=0, scale=0.5):
    return np.random.default_rng(seed).normal(size=ld.dim) * scale


# ---------------------------------------------------------------- one model, many ops
@pytest.fixture(scope="module")
def ops_model():
    """Every elementwise/array operation feeds a potential, so its gradient is checked."""
    m = bk.Model()
    x = m.param("x", bk.Normal(0, 1), shape=4)
    A = m.param("A", bk.Normal(0, 1), shape=(3, 4))
    s = m.param("s", bk.HalfNormal(1))
    p = m.param("p", bk.Beta(2, 2))
    idx = np.array([3, 0, 0, 2, 1])
    D = m.data("D", RNG.normal(size=(5, 4)))
    terms = [
        bm.exp(x), bm.log(s + x * x), bm.log1p(s), bm.expm1(x), bm.sqrt(s), bm.square(x),
        bm.abs(x), bm.tanh(x), bm.sigmoid(x), bm.logit(p), bm.softplus(x),
        bm.log_sigmoid(x), bm.lgamma(s + 1), bm.erf(x), x ** 3, s ** x, x / s, -x, 2 - x,
        bm.maximum(x, 0.1), bm.minimum(x, s), bm.logaddexp(x, -x),
        bm.where(x > 0, x * s, x), A @ x, x @ A.T, A.T @ A[:, 1], x[idx] * D[:, 0],
        A[1:, ::2], A[:, -1], A[1], x[None, :] * A, bm.sum(A, axis=0), bm.mean(A, axis=1),
        bm.logsumexp(A, axis=1), bm.logsumexp(x), bm.concatenate([x, A[0]]),
        bm.stack([s, p, x[0]]), bm.cumsum(x), bm.dot(x, x), D @ x, bm.log1mexp(-s),
        bm.sin(x), bm.cos(x), A.sum(), x.mean(),
    ]
    total = 0.0
    for k, t in enumerate(terms):
        total = total + bm.sum(t) * (0.1 + 0.01 * k)
    m.potential("all_ops", total)
    return m, m.compile()


def test_every_operation_gradient(ops_model):
    _, ld = ops_model
    for seed in range(3):
        check_grad(ld, _point(ld, seed), rtol=1e-5, atol=1e-6)


def test_cholesky_gradient_and_value():
    m = bk.Model()
    a = m.param("a", bk.Normal(0, 1), shape=(3, 3))
    S = a @ a.T + 3.0 * np.eye(3)
    L = bm.cholesky(S)
    m.deterministic("L", L)
    m.potential("p", bm.sum(L * np.arange(9.0).reshape(3, 3)))
    ld = m.compile()
    th = _point(ld, 1)
    check_grad(ld, th)
    a_val = th.reshape(3, 3)
    np.testing.assert_allclose(ld.constrain(th)["L"],
                               np.linalg.cholesky(a_val @ a_val.T + 3 * np.eye(3)), rtol=1e-12)


# ------------------------------------------------------- logp against scipy.stats
@pytest.fixture(scope="module")
def regression():
    rng = np.random.default_rng(1)
    n, k, g = 60, 3, 4
    X = rng.normal(size=(n, k))
    grp = rng.integers(0, g, size=n)
    y = X @ np.array([1.0, -0.5, 0.2]) + rng.normal(size=n)
    m = bk.Model(coords={"feature": ["a", "b", "c"], "group": list("wxyz")})
    Xd = m.data("X", X)
    gd = m.data("grp", grp)
    alpha = m.param("alpha", bk.Normal(0, 10))
    beta = m.param("beta", bk.StudentT(4, 0, 2), dims="feature")
    a = m.param("a", bk.Normal(0, 1), dims="group")
    sigma = m.param("sigma", bk.HalfNormal(2))
    mu = m.deterministic("mu", alpha + a[gd] + Xd @ beta)
    m.observe("y", bk.Normal(mu, sigma), y)
    return m, m.compile(), (X, grp, y)


def _regression_ref(v, X, grp, y):
    mu = v["alpha"] + v["a"][grp] + X @ v["beta"]
    return (st.norm(0, 10).logpdf(v["alpha"]) + st.t(4, 0, 2).logpdf(v["beta"]).sum()
            + st.norm(0, 1).logpdf(v["a"]).sum() + st.halfnorm(scale=2).logpdf(v["sigma"])
            + np.log(v["sigma"]) + st.norm(mu, v["sigma"]).logpdf(y).sum())


def test_regression_logp_matches_scipy(regression):
    m, ld, (X, grp, y) = regression
    for seed in range(3):
        th = _point(ld, seed)
        v = ld.constrain(th)
        np.testing.assert_allclose(ld.logp(th), _regression_ref(v, X, grp, y), rtol=1e-10)
        check_grad(ld, th)


def test_constrain_unconstrain_roundtrip_and_names(regression):
    m, ld, (X, grp, y) = regression
    th = _point(ld, 4)
    v = ld.constrain(th)
    np.testing.assert_allclose(ld.unconstrain(v), th, rtol=1e-12, atol=1e-12)
    assert ld.param_names == ["alpha", "beta", "a", "sigma"]
    assert ld.deterministic_names == ["mu"]
    assert ld.dims["beta"] == ["feature"] or tuple(ld.dims["beta"]) == ("feature",)
    assert ld.coords["group"] == list("wxyz")
    np.testing.assert_allclose(v["mu"], v["alpha"] + v["a"][grp] + X @ v["beta"])
    draws = np.random.default_rng(0).normal(size=(2, 5, ld.dim))
    out = ld.constrain_draws(draws)
    assert out["beta"].shape == (2, 5, 3) and out["mu"].shape == (2, 5, 60)
    np.testing.assert_allclose(out["sigma"], np.exp(draws[..., -1]))


def test_pointwise_loglik_and_predictive(regression):
    m, ld, (X, grp, y) = regression
    draws = np.random.default_rng(1).normal(size=(3, ld.dim)) * 0.3
    ll = ld.log_likelihood_draws(draws)["y"]
    vals = ld.constrain_draws(draws)
    ref = st.norm(vals["mu"], vals["sigma"][:, None]).logpdf(y[None, :])
    np.testing.assert_allclose(ll, ref, rtol=1e-10)
    pp = ld.sample_observed(np.repeat(draws[:1], 4000, axis=0), rng=0)["y"]
    assert pp.shape == (4000, 60)
    # the predictive mean is mu, within 5 standard errors
    se = vals["sigma"][0] / np.sqrt(4000)
    assert np.all(np.abs(pp.mean(axis=0) - vals["mu"][0]) < 5 * se)
    prior, prior_obs = ld.sample_prior(500, rng=1)
    assert prior["beta"].shape == (500, 3) and prior_obs["y"].shape == (500, 60)
    assert abs(np.std(prior["alpha"]) - 10) < 1.5
    np.testing.assert_array_equal(ld.observed_data["y"], y)


def test_set_data_new_length_no_recompile(regression):
    m, ld, (X, grp, y) = regression
    src = ld._source
    m.set_data({"X": X[:25], "grp": grp[:25], "y": y[:25]})
    try:
        ld2 = m.compile()
        assert ld2._source == src and ld2.fn is ld.fn  # same compiled function
        th = _point(ld2, 2)
        v = ld2.constrain(th)
        np.testing.assert_allclose(ld2.logp(th), _regression_ref(v, X[:25], grp[:25], y[:25]),
                                   rtol=1e-10)
    finally:
        m.set_data({"X": X, "grp": grp, "y": y})


def test_pickle_roundtrip(regression):
    _, ld, _ = regression
    ld2 = pickle.loads(pickle.dumps(ld))
    th = _point(ld, 3)
    assert ld2.logp(th) == ld.logp(th)
    assert ld2.param_names == ld.param_names


def test_scan_ar1_matches_loop():
    rng = np.random.default_rng(3)
    y = rng.normal(size=25)
    m = bk.Model()
    yd = m.data("y", y)
    rho = m.param("rho", bk.Uniform(-1, 1))
    s = m.param("s", bk.HalfNormal(1))

    def step(level, y_prev):
        new = rho * level + y_prev
        return new, new * s

    final, ys = bm.scan(step, 0.0, yd[:-1])
    m.potential("p", bm.sum(bm.logpdf(bk.Normal(ys, 1.0 + s), yd[1:])) + final)
    ld = m.compile()
    th = _point(ld, 5)
    lp, _ = check_grad(ld, th)
    v = ld.constrain(th)
    level, ref = 0.0, 0.0
    for t in range(24):
        level = v["rho"] * level + y[t]
        ref += st.norm(level * v["s"], 1 + v["s"]).logpdf(y[t + 1])
    ref += level
    ref += st.uniform(-1, 2).logpdf(v["rho"]) + st.halfnorm().logpdf(v["s"])
    lj = np.log(v["s"]) + np.log(2) + np.log((v["rho"] + 1) / 2) + np.log((1 - v["rho"]) / 2)
    np.testing.assert_allclose(lp, ref + lj, rtol=1e-10)


def test_multivariate_and_vector_transforms():
    m = bk.Model()
    w = m.param("w", bk.Dirichlet(np.array([2.0, 3.0, 4.0])))
    o = m.param("o", bk.Normal(0, 3), shape=3, transform=bk.transforms.Ordered())
    mu = m.param("mu", bk.Normal(0, 1), shape=3)
    m.observe("z", bk.MvNormal(mu + o, cov=np.diag([1.0, 2.0, 3.0]) + 0.1),
              np.array([[0.1, 0.2, 0.3], [1.0, -1.0, 0.0]]))
    m.potential("use_w", bm.sum(w * np.array([1.0, 2.0, 3.0])))
    ld = m.compile()
    th = _point(ld, 6)
    lp, _ = check_grad(ld, th)
    v = ld.constrain(th)
    cov = np.diag([1.0, 2.0, 3.0]) + 0.1
    ref = (st.dirichlet([2, 3, 4]).logpdf(v["w"]) + st.norm(0, 3).logpdf(v["o"]).sum()
           + st.norm().logpdf(v["mu"]).sum() + (v["w"] * [1, 2, 3]).sum()
           + st.multivariate_normal(v["mu"] + v["o"], cov).logpdf(
               np.array([[0.1, 0.2, 0.3], [1.0, -1.0, 0.0]])).sum())
    ref += bk.transforms.Simplex().log_det_jacobian(th[:2]) + np.sum(th[3:5])
    np.testing.assert_allclose(lp, ref, rtol=1e-9)


def test_mixture_with_logsumexp_matches_scipy():
    y = np.random.default_rng(7).normal(size=40)
    m = bk.Model()
    mu = m.param("mu", bk.Normal(0, 2), shape=2)
    yd = m.data("y", y)
    comp = bm.logpdf(bk.Normal(mu[None, :], 1.0), yd[:, None]) + np.log([0.3, 0.7])
    m.potential("mix", bm.logsumexp(comp, axis=1).sum())
    ld = m.compile()
    th = _point(ld, 8)
    lp, _ = check_grad(ld, th)
    ref = sp_logsumexp(st.norm(th[None, :], 1).logpdf(y[:, None]) + np.log([0.3, 0.7]),
                       axis=1).sum() + st.norm(0, 2).logpdf(th).sum()
    np.testing.assert_allclose(lp, ref, rtol=1e-10)


def test_poisson_bernoulli_observed():
    rng = np.random.default_rng(9)
    x = rng.normal(size=30)
    counts = rng.poisson(np.exp(0.5 * x))
    flips = (rng.random(30) < 0.5).astype(np.int64)
    m = bk.Model()
    b = m.param("b", bk.Normal(0, 1), shape=2)
    xd = m.data("x", x)
    m.observe("c", bk.Poisson(log_rate=b[0] * xd), counts)
    m.observe("f", bk.Bernoulli(logit_p=b[1] + xd), flips)
    ld = m.compile()
    th = _point(ld, 10)
    lp, _ = check_grad(ld, th)
    ref = (st.norm().logpdf(th).sum() + st.poisson(np.exp(th[0] * x)).logpmf(counts).sum()
           + st.bernoulli(1 / (1 + np.exp(-(th[1] + x)))).logpmf(flips).sum())
    np.testing.assert_allclose(lp, ref, rtol=1e-10)


def test_outside_support_is_minus_inf_not_nan():
    m = bk.Model()
    a = m.param("a", bk.Normal(0, 1))
    m.potential("bad", bm.log(a))  # log of a negative number
    ld = m.compile()
    assert ld.logp(np.array([-1.0])) == -np.inf
    assert np.isfinite(ld.logp(np.array([1.0])))


# ------------------------------------------------------------------------- errors
def test_errors_are_clear():
    m = bk.Model(coords={"g": ["a", "b"]})
    a = m.param("a", bk.Normal(0, 1), shape=3)
    with pytest.raises(ShapeError, match=r"\(3,\).*\(4,\)"):
        a + np.ones(4)
    with pytest.raises(ShapeError, match=r"inner dimensions"):
        np.ones((2, 4)) @ a
    with pytest.raises(ValueError, match="duplicate name 'a'"):
        m.param("a", bk.Normal(0, 1))
    with pytest.raises(ValueError, match="unknown dim 'nope'"):
        m.param("b", bk.Normal(0, 1), dims="nope")
    with pytest.raises(ValueError, match="NaN or inf"):
        m.observe("y", bk.Normal(0, 1), [1.0, np.nan])
    with pytest.raises(ValueError, match="outside the support of Poisson"):
        m.observe("k", bk.Poisson(1.0), [1.0, 2.5])
    with pytest.raises(ValueError, match="outside the support of HalfNormal"):
        m.observe("h", bk.HalfNormal(1.0), [-1.0])
    with pytest.raises(TypeError, match="must be numeric"):
        m.data("s", np.array(["a", "b"]))
    with pytest.raises(ShapeError, match=r"shape \(5,\).*mu\(3,\)"):
        m.observe("y2", bk.Normal(a, 1), np.zeros(5))
    with pytest.raises(IndexError, match="outside"):
        a[np.array([0, 3])]
    with pytest.raises(ValueError, match="no free parameters"):
        bk.Model().compile()
    with pytest.raises(TypeError, match="truth value"):
        bool(a > 0)


def test_set_data_errors(regression):
    m, _, (X, grp, y) = regression
    with pytest.raises(ShapeError, match="dimensions"):
        m.set_data("X", X[:, 0])
    with pytest.raises(ShapeError):
        m.set_data("X", X[:10])  # X @ beta no longer matches y and grp
    with pytest.raises(KeyError, match="no data named"):
        m.set_data("nope", X)
    # the failed updates left the model as it was
    assert m.data_nodes["X"].shape == X.shape
