"""MvNormal, Dirichlet, Multinomial, LKJCholesky: scipy agreement, the LKJ normalising
constant (exact identity with the Beta partial correlations, and by quadrature), and
every accumulating gradient kernel against finite differences (tests/gradcheck.py)."""

import itertools

import numpy as np
import pytest
import scipy.stats as st
from hypothesis import given, settings
from hypothesis import strategies as hs

import bayeskit as bk
from bayeskit.distributions import multivariate as mv
from gradcheck import assert_gradient_close, numerical_gradient

SETTINGS = settings(max_examples=10, deadline=None, derandomize=True)


def random_cov(rng, k, scale_exp=0.0):
    a = rng.normal(size=(k, k))
    scales = 10.0 ** rng.uniform(-scale_exp, scale_exp, size=k)
    cov = a @ a.T + 0.5 * np.eye(k)
    return cov * np.outer(scales, scales)


@SETTINGS
@given(k=hs.integers(1, 4), seed=hs.integers(0, 2**32 - 1), scale_exp=hs.sampled_from([0.0, 1.5]))
def test_mvnormal_matches_scipy(k, seed, scale_exp):
    rng = np.random.default_rng(seed)
    cov = random_cov(rng, k, scale_exp)
    mu = rng.normal(scale=10.0, size=k)
    ref = st.multivariate_normal(mu, cov)
    x = ref.rvs(size=5, random_state=rng).reshape(5, k)
    x = np.vstack([x, mu + 30.0 * np.sqrt(np.diag(cov))])  # far tail
    for d in (bk.MvNormal(mu, cov=cov), bk.MvNormal(mu, chol=np.linalg.cholesky(cov))):
        np.testing.assert_allclose(d.logpdf(x), ref.logpdf(x), rtol=1e-8)


def test_mvnormal_broadcasts_batches():
    rng = np.random.default_rng(1)
    covs = np.stack([random_cov(rng, 3) for _ in range(2)])
    mus = rng.normal(size=(2, 3))
    d = bk.MvNormal(mus, cov=covs)
    x = rng.normal(size=(4, 1, 3))
    out = d.logpdf(x)
    assert out.shape == (4, 2) and d.batch_shape == (2,) and d.event_shape == (3,)
    ref = np.array([[st.multivariate_normal(mus[j], covs[j]).logpdf(x[i, 0]) for j in range(2)]
                    for i in range(4)])
    np.testing.assert_allclose(out, ref, rtol=1e-10)
    assert d.sample(5, rng).shape == (5, 2, 3)
    np.testing.assert_allclose(d.var, np.diagonal(covs, axis1=1, axis2=2), rtol=1e-12)


def test_mvnormal_kernel_rejects_non_pd_without_raising():
    bad = np.array([[1.0, 2.0], [2.0, 1.0]])
    assert mv.mv_normal_lpdf(np.zeros(2), np.zeros(2), bad) == -np.inf
    g = np.zeros(2), np.zeros(2), np.zeros((2, 2))
    assert mv.mv_normal_lpdf_grad(np.zeros(2), np.zeros(2), bad, *g) == -np.inf
    chol = np.array([[1.0, 0.0], [0.3, -1.0]])
    assert mv.mv_normal_chol_lpdf(np.zeros(2), np.zeros(2), chol) == -np.inf


@SETTINGS
@given(alpha=hs.lists(hs.floats(-2, 3).map(lambda e: 10.0 ** e), min_size=2, max_size=5),
       seed=hs.integers(0, 2**32 - 1))
def test_dirichlet_matches_scipy(alpha, seed):
    alpha = np.array(alpha)
    rng = np.random.default_rng(seed)
    x = rng.dirichlet(np.maximum(alpha, 0.5), size=4)
    ref = np.array([st.dirichlet(alpha).logpdf(row) for row in x])
    np.testing.assert_allclose(bk.Dirichlet(alpha).logpdf(x), ref, rtol=1e-8)


def test_dirichlet_boundaries_and_off_simplex():
    d = bk.Dirichlet([1.0, 2.0, 3.0])
    assert d.logpdf([0.0, 0.5, 0.5]) == pytest.approx(st.dirichlet([1, 2, 3]).logpdf(
        [1e-300, 0.5, 0.5 - 1e-300]), rel=1e-12)
    assert d.logpdf([0.2, 0.2, 0.2]) == -np.inf
    assert d.logpdf([-0.1, 0.6, 0.5]) == -np.inf


@SETTINGS
@given(n=hs.integers(0, 200), w=hs.lists(hs.floats(0.01, 10), min_size=2, max_size=5),
       seed=hs.integers(0, 2**32 - 1))
def test_multinomial_matches_scipy(n, w, seed):
    p = np.array(w) / np.sum(w)
    rng = np.random.default_rng(seed)
    x = rng.multinomial(n, p, size=4)
    d = bk.Multinomial(n, p)
    np.testing.assert_allclose(d.logpdf(x), st.multinomial(n, p).logpmf(x), rtol=1e-8,
                               atol=1e-12)
    assert d.logpdf(x[0] + np.eye(p.size, dtype=int)[0]) == -np.inf  # wrong total


# ---------------------------------------------------------------------------- LKJ
def _beta_partials_logpdf(n, eta, z):
    """Log density of independent partial correlations z ~ 2 Beta(b_j, b_j) - 1."""
    lp, k = 0.0, 0
    for i in range(1, n):
        for j in range(i):
            b = eta + 0.5 * (n - 2 - j)
            lp += st.beta(b, b).logpdf((z[k] + 1.0) / 2.0) - np.log(2.0)
            k += 1
    return lp


@pytest.mark.parametrize("n, eta", [(2, 0.5), (2, 3.0), (3, 1.0), (4, 2.5), (6, 0.7)])
def test_lkj_density_is_the_beta_partial_correlation_density(n, eta):
    """p(L(z)) |dL/dz| must equal the product of the Beta densities of the canonical
    partial correlations pointwise: this pins the normalising constant and exponents."""
    rng = np.random.default_rng(n)
    t = bk.transforms.CholeskyCorr()
    for _ in range(5):
        z = rng.uniform(-0.95, 0.95, size=n * (n - 1) // 2)
        y = np.arctanh(z)
        L = t.constrain(y)
        # log|dL/dz| = log|dL/dy| - sum log(1 - z^2)
        log_jac_z = t.log_det_jacobian(y) - np.sum(np.log1p(-z * z))
        ours = bk.LKJCholesky(n, eta).logpdf(L) + log_jac_z
        assert ours == pytest.approx(_beta_partials_logpdf(n, eta, z), rel=1e-10)


def test_lkj_n2_matches_scipy_beta_and_integrates_to_one_for_n3():
    eta = 1.7
    r = np.linspace(-0.99, 0.99, 7)
    L = np.zeros((r.size, 2, 2))
    L[:, 0, 0], L[:, 1, 0], L[:, 1, 1] = 1.0, r, np.sqrt(1 - r * r)
    ref = st.beta(eta, eta).logpdf((r + 1) / 2) - np.log(2)
    np.testing.assert_allclose(bk.LKJCholesky(2, eta).logpdf(L), ref, rtol=1e-10)
    # n = 3: integrate exp(lpdf(L(y)) + log_jac(y)) over R^3 by the trapezoid rule. The
    # integrand is a product of sech(y)^(2b) factors (b >= 1.3): analytic in the strip
    # |Im y| < pi/2, so the rule's error is ~ w^(2b-1) exp(-pi w / 2) with w = 2 pi / h,
    # about 1e-13 for h = 0.25; the tails beyond |y| = 10 weigh ~ exp(-2.6 * 10).
    h = 0.25
    grid = np.arange(-10.0, 10.0 + h / 2, h)
    y = np.array(list(itertools.product(grid, repeat=3)))
    t = bk.transforms.CholeskyCorr()
    Ls, log_jac = t._forward(y)
    total = np.sum(np.exp(bk.LKJCholesky(3, 1.3).logpdf(Ls) + log_jac)) * h ** 3
    assert total == pytest.approx(1.0, abs=1e-8)


def test_lkj_rejects_non_correlation_factors():
    d = bk.LKJCholesky(2, 1.0)
    assert d.logpdf(np.array([[1.0, 0.0], [0.5, 0.5]])) == -np.inf  # row not unit length
    assert d.logpdf(np.array([[1.0, 0.0], [0.6, -0.8]])) == -np.inf  # negative diagonal


# ---------------------------------------------------------------------- gradients
def _check_accumulating(kernel, grad, args, check, what):
    """Run ``grad`` twice on gradient buffers pre-filled with ones (it must ADD), then
    compare the requested arguments' partials with finite differences."""
    buffers = [np.ones_like(np.asarray(a, dtype=float)).reshape(np.shape(a) or (1,))
               for a in args]
    lp = grad(*args, *buffers)
    assert lp == pytest.approx(kernel(*args), rel=1e-14)
    for i in check:
        numeric, err = numerical_gradient(kernel, args, i)
        got = buffers[i].reshape(np.shape(args[i])) - 1.0
        assert_gradient_close(got, numeric, err, f"{what} argument {i}")


@pytest.mark.parametrize("k", [1, 3])
def test_mvnormal_gradients(k):
    rng = np.random.default_rng(k)
    cov = random_cov(rng, k)
    mu, x = rng.normal(size=k), rng.normal(size=k) * 2
    _check_accumulating(mv.mv_normal_lpdf, mv.mv_normal_lpdf_grad, (x, mu, cov), (0, 1, 2),
                        "mv_normal")
    chol = np.linalg.cholesky(cov)
    _check_accumulating(mv.mv_normal_chol_lpdf, mv.mv_normal_chol_lpdf_grad, (x, mu, chol),
                        (0, 1, 2), "mv_normal_chol")


def test_dirichlet_gradients():
    alpha = np.array([0.5, 2.0, 7.0])
    x = np.array([0.2, 0.3, 0.5])
    g_x, g_alpha = np.zeros(3), np.zeros(3)
    lp = mv.dirichlet_lpdf_grad(x, alpha, g_x, g_alpha)
    assert lp == pytest.approx(st.dirichlet(alpha).logpdf(x), rel=1e-12)
    numeric, err = numerical_gradient(mv.dirichlet_lpdf, (x, alpha), 1)
    assert_gradient_close(g_alpha, numeric, err, "dirichlet d/dalpha")
    # x lives on the simplex: compare along directions e_i - e_j that stay on it
    for i, j in [(0, 1), (1, 2), (0, 2)]:
        v = np.eye(3)[i] - np.eye(3)[j]
        numeric, err = numerical_gradient(lambda t: mv.dirichlet_lpdf(x + t * v, alpha),
                                          (0.0,), 0, scale=0.1)
        assert_gradient_close(g_x @ v, numeric, err, f"dirichlet along e{i}-e{j}")


def test_multinomial_gradients():
    x, p = np.array([3.0, 0.0, 5.0]), np.array([0.2, 0.3, 0.5])
    g = np.zeros(3), np.zeros(1), np.zeros(3)
    lp = mv.multinomial_lpdf_grad(x, 8.0, p, *g)
    assert lp == pytest.approx(st.multinomial(8, p).logpmf(x), rel=1e-12)
    numeric, err = numerical_gradient(mv.multinomial_lpdf, (x, 8.0, p), 2)
    assert_gradient_close(g[2], numeric, err, "multinomial d/dp")
    assert np.all(g[0] == 0) and g[1][0] == 0


@pytest.mark.parametrize("n, eta", [(2, 0.8), (4, 2.5)])
def test_lkj_gradients_through_the_cholesky_corr_transform(n, eta):
    t = bk.transforms.CholeskyCorr()
    y = np.random.default_rng(n).normal(size=n * (n - 1) // 2)

    def f(y_, eta_):
        L = np.empty((n, n))
        log_jac = t.constrain_kernel(y_, L)
        return mv.lkj_cholesky_lpdf(L, eta_) + log_jac

    L = t.constrain(y)
    g_L, g_eta = np.zeros((n, n)), np.zeros(1)
    mv.lkj_cholesky_lpdf_grad(L, eta, g_L, g_eta)
    y_grad = np.zeros_like(y)
    t.vjp_kernel(y, g_L, y_grad)
    numeric, err = numerical_gradient(f, (y, eta), 0)
    assert_gradient_close(y_grad, numeric, err, "lkj o cholesky_corr d/dy")
    numeric, err = numerical_gradient(f, (y, eta), 1)
    assert_gradient_close(g_eta[0], numeric, err, "lkj d/deta")
