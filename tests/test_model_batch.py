"""The compiled batch functions of a model (constrained draws, deterministics, pointwise
log-likelihood) on multi-dimensional values, against numpy and scipy.stats; and the
log density's gradient buffer for parameters whose adjoints accumulate in place."""

import numpy as np
import scipy.stats as st

import bayeskit as bk
from bayeskit import math as bm
from bayeskit.model.testing import check_grad

Y = np.random.default_rng(7).normal(size=(2, 3))


def _model():
    """Matrix parameters under the identity and the log transform, a matrix deterministic
    and a matrix of observations: every batch output is copied element by element."""
    m = bk.Model()
    a = m.param("a", bk.Normal(0.0, 1.0), shape=(2, 3))
    s = m.param("s", bk.HalfNormal(1.0), shape=(2, 3))
    v = m.param("v", bk.Normal(0.0, 2.0), shape=3)
    m.deterministic("outer", a * v[None, :])
    m.observe("y", bk.Normal(a, s), Y)
    return m.compile()


def test_batch_outputs_match_numpy_and_scipy():
    ld = _model()
    thetas = np.random.default_rng(1).normal(size=(4, 5, ld.dim))
    values = ld.constrain_draws(thetas)
    a = thetas[..., :6].reshape(4, 5, 2, 3)
    s = np.exp(thetas[..., 6:12]).reshape(4, 5, 2, 3)
    v = thetas[..., 12:]
    np.testing.assert_array_equal(values["a"], a)
    np.testing.assert_allclose(values["s"], s, rtol=1e-15)
    np.testing.assert_allclose(values["v"], v, rtol=1e-15)
    np.testing.assert_allclose(values["outer"], a * v[..., None, :], rtol=1e-15)
    loglik = ld.log_likelihood_draws(thetas)["y"]
    assert loglik.shape == (4, 5, 2, 3)
    np.testing.assert_allclose(loglik, st.norm(a, s).logpdf(Y), rtol=1e-12)


def test_gradient_in_place_and_rejected_point_leaves_grad_zero():
    ld = _model()
    rng = np.random.default_rng(2)
    for _ in range(3):
        check_grad(ld, rng.normal(size=ld.dim) * 0.5)
    m = bk.Model()
    x = m.param("x", bk.Normal(0.0, 1.0), shape=3)
    s = m.param("s", bk.HalfNormal(1.0), shape=2)
    m.potential("p", bm.log(x[0]) + bm.sum(s))
    ld = m.compile()
    grad = np.full(ld.dim, 7.0)
    assert ld.logp_grad(np.array([-1.0, 2.0, 3.0, 0.1, 0.2]), grad) == -np.inf
    np.testing.assert_array_equal(grad, 0.0)
    check_grad(ld, np.array([1.0, 2.0, 3.0, 0.1, 0.2]))
