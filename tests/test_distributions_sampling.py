"""``sample`` against the density and the moments, for every family (fixed seeds).

Continuous: Kolmogorov-Smirnov against the scipy twin's CDF. Discrete: chi-square with
expected counts from our own ``logpdf``. Means and variances: within 5 Monte Carlo
standard errors estimated from the draws (mean: sd/sqrt(n); variance: the sd of the
squared deviations / sqrt(n)). With fixed seeds the outcome is deterministic; the
thresholds (p > 1e-3, 5 standard errors) are what a correct sampler passes.
"""

import numpy as np
import pytest
import scipy.stats as st

import bayeskit as bk

N = 4000
P_MIN = 1e-3
Z = 5.0


def assert_moments(draws, mean, var):
    """Sample mean and variance (along axis 0) within Z standard errors."""
    draws = np.asarray(draws, dtype=float)
    n = draws.shape[0]
    dev = draws - draws.mean(axis=0)
    se_mean = dev.std(axis=0) / np.sqrt(n)
    np.testing.assert_array_less(np.abs(draws.mean(axis=0) - mean), Z * se_mean + 1e-12)
    sq = dev ** 2
    se_var = sq.std(axis=0) / np.sqrt(n)
    np.testing.assert_array_less(np.abs(sq.mean(axis=0) * n / (n - 1) - var),
                                 Z * se_var + 1e-12)


def half_t_cdf(nu, sigma):
    return lambda x: 2.0 * st.t(nu, 0.0, sigma).cdf(x) - 1.0


CONTINUOUS = [
    (bk.Normal(1.0, 2.0), st.norm(1, 2).cdf),
    (bk.HalfNormal(3.0), st.halfnorm(scale=3).cdf),
    (bk.StudentT(10.0, -1.0, 0.5), st.t(10, -1, 0.5).cdf),
    (bk.HalfStudentT(10.0, 2.0), half_t_cdf(10.0, 2.0)),
    (bk.Cauchy(1.0, 0.1), st.cauchy(1, 0.1).cdf),
    (bk.HalfCauchy(2.0), st.halfcauchy(scale=2).cdf),
    (bk.Laplace(-2.0, 0.3), st.laplace(-2, 0.3).cdf),
    (bk.Logistic(0.5, 2.0), st.logistic(0.5, 2).cdf),
    (bk.LogNormal(0.3, 0.4), st.lognorm(0.4, scale=np.exp(0.3)).cdf),
    (bk.Exponential(3.0), st.expon(scale=1 / 3).cdf),
    (bk.Gamma(2.5, 4.0), st.gamma(2.5, scale=0.25).cdf),
    (bk.Gamma(0.2, 1.0), st.gamma(0.2).cdf),
    (bk.InverseGamma(9.0, 2.0), st.invgamma(9, scale=2).cdf),
    (bk.Beta(0.5, 3.0), st.beta(0.5, 3).cdf),
    (bk.Uniform(-1.0, 4.0), st.uniform(-1, 5).cdf),
    (bk.Weibull(1.5, 2.0), st.weibull_min(1.5, scale=2).cdf),
    (bk.ChiSquared(4.0), st.chi2(4).cdf),
    (bk.TruncatedNormal(0.0, 1.0, 1.0, 3.0), st.truncnorm(1, 3).cdf),
    (bk.TruncatedNormal(2.0, 1.0, lower=0.0), st.truncnorm(-2, np.inf, loc=2).cdf),
    (bk.SkewNormal(1.0, 2.0, -4.0), st.skewnorm(-4, 1, 2).cdf),
]


@pytest.mark.parametrize("dist, cdf", CONTINUOUS, ids=[repr(d) for d, _ in CONTINUOUS])
def test_continuous_samples_follow_the_distribution(dist, cdf):
    rng = np.random.default_rng(2024)
    x = dist.sample(N, rng)
    assert x.shape == (N,) and x.dtype == np.float64
    assert st.kstest(x, cdf).pvalue > P_MIN
    assert np.all(np.isfinite(dist.logpdf(x)))
    if np.isfinite(dist.mean) and np.isfinite(dist.var):
        assert_moments(x, dist.mean, dist.var)


def test_von_mises_samples():
    d = bk.VonMises(2.5, 3.0)
    x = d.sample(N, np.random.default_rng(3))
    assert np.all((x >= -np.pi) & (x <= np.pi))
    wrapped = np.mod(x - 2.5 + np.pi, 2 * np.pi) - np.pi
    assert st.kstest(wrapped, st.vonmises(3.0).cdf).pvalue > P_MIN
    # circular mean direction and circular variance 1 - E cos(x - mu)
    s = np.sin(x - d.mean)
    assert abs(s.mean()) < Z * s.std() / np.sqrt(N)
    c = np.cos(x - d.mean)
    assert abs((1 - c.mean()) - d.var) < Z * c.std() / np.sqrt(N)


def _chi_square_pvalue(dist, x, support):
    """Chi-square of observed counts vs ``exp(dist.logpdf)`` over ``support`` (the
    remaining mass forms a last bin); bins with expected < 5 are merged."""
    probs = np.exp(dist.logpdf(support.astype(float)))
    observed = np.array([(x == k).sum() for k in support], dtype=float)
    probs = np.append(probs, max(1.0 - probs.sum(), 0.0))
    observed = np.append(observed, len(x) - observed.sum())
    expected = probs * len(x)
    obs_bins, exp_bins, acc_o, acc_e = [], [], 0.0, 0.0
    for o, e in zip(observed, expected):
        acc_o, acc_e = acc_o + o, acc_e + e
        if acc_e >= 5:
            obs_bins.append(acc_o)
            exp_bins.append(acc_e)
            acc_o = acc_e = 0.0
    obs_bins[-1] += acc_o
    exp_bins[-1] += acc_e
    obs_bins, exp_bins = np.array(obs_bins), np.array(exp_bins)
    stat = np.sum((obs_bins - exp_bins) ** 2 / exp_bins)
    return st.chi2(len(obs_bins) - 1).sf(stat)


DISCRETE = [
    (bk.Bernoulli(0.3), 2),
    (bk.Bernoulli(logit_p=-1.2), 2),
    (bk.Binomial(20, 0.35), 21),
    (bk.Binomial(7, logit_p=2.0), 8),
    (bk.BetaBinomial(15, 0.8, 2.5), 16),
    (bk.Poisson(4.5), 30),
    (bk.Poisson(log_rate=0.2), 20),
    (bk.NegativeBinomial(3.5, 0.4), 60),
    (bk.NegativeBinomial(mu=6.0, alpha=1.5), 80),
    (bk.Geometric(0.25), 60),
    (bk.Categorical(p=[0.1, 0.2, 0.3, 0.4]), 4),
    (bk.Categorical(logits=[2.0, -1.0, 0.5]), 3),
]


@pytest.mark.parametrize("dist, k", DISCRETE, ids=[repr(d) for d, _ in DISCRETE])
def test_discrete_samples_follow_the_distribution(dist, k):
    x = dist.sample(N, np.random.default_rng(11))
    assert x.shape == (N,) and x.dtype == np.int64
    assert _chi_square_pvalue(dist, x, np.arange(k)) > P_MIN
    assert_moments(x, dist.mean, dist.var)


def test_batched_sampling_shapes_and_parameters():
    d = bk.Normal(np.array([0.0, 10.0, 20.0]), 1.0)
    x = d.sample((N, 2), np.random.default_rng(0))
    assert x.shape == (N, 2, 3)
    assert_moments(x.reshape(-1, 3), d.mean, d.var)
    c = bk.Categorical(p=np.array([[0.9, 0.1], [0.2, 0.8]]))
    draws = c.sample(N, np.random.default_rng(1))
    assert draws.shape == (N, 2)
    assert_moments(draws, c.mean, c.var)
    assert bk.Poisson(3.0).sample(rng=5).shape == ()
    assert np.array_equal(bk.Gamma(2.0, 1.0).sample(4, 7), bk.Gamma(2.0, 1.0).sample(4, 7))


# ---------------------------------------------------------------------------- multivariate
def test_mvnormal_samples():
    cov = np.array([[2.0, 0.8, 0.0], [0.8, 1.0, -0.3], [0.0, -0.3, 0.5]])
    mu = np.array([1.0, -2.0, 0.5])
    for d in (bk.MvNormal(mu, cov=cov), bk.MvNormal(mu, chol=np.linalg.cholesky(cov))):
        x = d.sample(N, np.random.default_rng(5))
        assert x.shape == (N, 3)
        z = np.linalg.solve(np.linalg.cholesky(cov), (x - mu).T).T  # whitened
        for j in range(3):
            assert st.kstest(z[:, j], "norm").pvalue > P_MIN
        assert_moments(x, d.mean, d.var)
        assert abs(np.corrcoef(z.T)[0, 1]) < Z / np.sqrt(N)


def test_dirichlet_samples():
    alpha = np.array([0.3, 2.0, 5.0])
    d = bk.Dirichlet(alpha)
    x = d.sample(N, np.random.default_rng(6))
    assert x.shape == (N, 3) and np.allclose(x.sum(-1), 1.0)
    for j in range(3):
        assert st.kstest(x[:, j], st.beta(alpha[j], alpha.sum() - alpha[j]).cdf).pvalue > P_MIN
    assert_moments(x, d.mean, d.var)
    batch = bk.Dirichlet(np.array([[1.0, 1.0], [2.0, 8.0]])).sample(5, 0)
    assert batch.shape == (5, 2, 2)


def test_multinomial_samples():
    p = np.array([0.2, 0.5, 0.3])
    d = bk.Multinomial(12, p)
    x = d.sample(N, np.random.default_rng(8))
    assert x.shape == (N, 3) and np.all(x.sum(-1) == 12)
    for j in range(3):
        assert _chi_square_pvalue(bk.Binomial(12, p[j]), x[:, j], np.arange(13)) > P_MIN
    assert_moments(x, d.mean, d.var)


@pytest.mark.parametrize("n, eta", [(2, 0.7), (4, 2.0)])
def test_lkj_samples(n, eta):
    d = bk.LKJCholesky(n, eta)
    L = d.sample(N, np.random.default_rng(9))
    assert L.shape == (N, n, n)
    R = L @ np.swapaxes(L, -1, -2)
    np.testing.assert_allclose(np.diagonal(R, axis1=1, axis2=2), 1.0, atol=1e-12)
    # every off-diagonal correlation is marginally 2 Beta(b, b) - 1, b = eta - 1 + n/2
    b = eta - 1.0 + n / 2.0
    for i, j in [(1, 0), (n - 1, n - 2), (n - 1, 0)]:
        assert st.kstest((R[:, i, j] + 1) / 2, st.beta(b, b).cdf).pvalue > P_MIN
    assert_moments(L.reshape(N, -1), d.mean.ravel(), d.var.ravel())
    assert np.all(np.isfinite(d.logpdf(L[:50])))
