"""Every univariate family against its scipy.stats twin, and every kernel's partials
against finite differences (tests/gradcheck.py), on hypothesis-drawn and extreme
parameters; invalid parameters raise ValueError naming them.

One table (CASES) drives everything: each case builds our distribution and the scipy
reference from one parameter dict.
"""

import math

import mpmath as mp
import numpy as np
import pytest
import scipy.special as sp
import scipy.stats as st
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

import bayeskit as bk
from bayeskit.distributions import continuous, discrete
from gradcheck import assert_gradient_close, numerical_gradient

RTOL = 1e-8
ATOL = 1e-10
QUANTILES = np.array([1e-12, 1e-6, 0.01, 0.25, 0.5, 0.75, 0.99, 1 - 1e-6, 1 - 1e-12])
INTERIOR = np.array([0.1, 0.5, 0.9])


def power(lo, hi):
    """Log-uniform floats in [10^lo, 10^hi]."""
    return hs.floats(lo, hi).map(lambda e: float(10.0 ** e))


REAL = hs.floats(-1e3, 1e3)
SCALE = power(-3, 3)
SHAPE = power(-1.3, 3)
PROB = hs.floats(1e-6, 1 - 1e-6)
COUNT = hs.integers(0, 1000).map(float)


class Case:
    """A family: hypothesis strategies for its parameters, a builder returning
    (our distribution, reference log density function, points function)."""

    def __init__(self, name, strategies, build, grad_strategies=None, integer=(),
                 lengths=None):
        self.name = name
        # lengths(params) -> {argument: length scale} for x, locations and real-valued
        # parameters (finite-difference steps); others are stepped relative to size
        self.lengths = lengths or (lambda p: {})
        self.strategies = strategies
        self.build = build
        self.grad_strategies = grad_strategies or strategies
        self.integer = integer  # parameters with zero (not differentiable) partials

    def __repr__(self):
        return self.name


def frozen(dist, ref):
    """Reference and points from a scipy frozen distribution."""
    logf = ref.logpmf if hasattr(ref, "logpmf") else ref.logpdf

    def points(q):
        with np.errstate(divide="ignore"):  # scipy's ppf at extreme quantiles
            x = ref.ppf(q)
        return x[np.isfinite(x)]

    return dist, logf, points


def half_t(p):
    ref = st.t(p["nu"], 0.0, p["sigma"])

    def logf(x):
        x = np.asarray(x, float)
        with np.errstate(divide="ignore"):
            return np.where(x >= 0, np.log(2.0) + ref.logpdf(x), -np.inf)

    def points(q):
        x = ref.ppf((1.0 + q) / 2.0)
        return x[np.isfinite(x)]

    return bk.HalfStudentT(p["nu"], p["sigma"]), logf, points


def von_mises(p):
    def logf(x):
        wrapped = np.mod(np.asarray(x) - p["mu"] + np.pi, 2 * np.pi) - np.pi
        return st.vonmises.logpdf(wrapped, p["kappa"])

    return (bk.VonMises(p["mu"], p["kappa"]), logf,
            lambda q: np.pi * (2.0 * q - 1.0))


def logit_bernoulli(p):
    def logf(x):
        x = np.asarray(x, float)
        return np.where(x == 1, sp.log_expit(p["logit_p"]), sp.log_expit(-p["logit_p"]))
    return bk.Bernoulli(logit_p=p["logit_p"]), logf, lambda q: np.array([0.0, 1.0])


def logit_binomial(p):
    n, lg = p["n"], p["logit_p"]

    def logf(x):
        x = np.asarray(x, float)
        return (sp.gammaln(n + 1) - sp.gammaln(x + 1) - sp.gammaln(n - x + 1)
                + x * sp.log_expit(lg) + (n - x) * sp.log_expit(-lg))

    points = st.binom(n, sp.expit(lg)).ppf
    return bk.Binomial(n, logit_p=lg), logf, lambda q: points(q)


def truncated(p):
    lower = p["mu"] + p["a"] * p["sigma"] if np.isfinite(p["a"]) else -np.inf
    upper = lower + p["w"] * p["sigma"] if np.isfinite(p["w"]) else np.inf
    if not np.isfinite(p["a"]):
        upper = p["mu"] + p["w"] * p["sigma"]
    ref = st.truncnorm((lower - p["mu"]) / p["sigma"], (upper - p["mu"]) / p["sigma"],
                       loc=p["mu"], scale=p["sigma"])
    return frozen(bk.TruncatedNormal(p["mu"], p["sigma"], lower, upper), ref)


def categorical(p):
    probs = np.asarray(p["w"]) / np.sum(p["w"])
    k = probs.size

    def logf(x):
        return np.array([st.multinomial(1, probs).logpmf(np.eye(k)[int(v)]) for v in x])

    return bk.Categorical(p=probs), logf, lambda q: np.arange(k, dtype=float)


CASES = [
    Case("Normal", {"mu": REAL, "sigma": SCALE},
         lambda p: frozen(bk.Normal(p["mu"], p["sigma"]), st.norm(p["mu"], p["sigma"])),
         lengths=lambda p: {"x": p["sigma"], "mu": p["sigma"]}),
    Case("HalfNormal", {"sigma": SCALE},
         lambda p: frozen(bk.HalfNormal(p["sigma"]), st.halfnorm(scale=p["sigma"])),
         lengths=lambda p: {"x": p["sigma"]}),
    Case("StudentT", {"nu": SHAPE, "mu": REAL, "sigma": SCALE},
         lambda p: frozen(bk.StudentT(p["nu"], p["mu"], p["sigma"]),
                          st.t(p["nu"], p["mu"], p["sigma"])),
         lengths=lambda p: {"x": p["sigma"], "mu": p["sigma"]}),
    Case("HalfStudentT", {"nu": SHAPE, "sigma": SCALE}, half_t,
         lengths=lambda p: {"x": p["sigma"]}),
    Case("Cauchy", {"alpha": REAL, "beta": SCALE},
         lambda p: frozen(bk.Cauchy(p["alpha"], p["beta"]), st.cauchy(p["alpha"], p["beta"])),
         lengths=lambda p: {"x": p["beta"], "alpha": p["beta"]}),
    Case("HalfCauchy", {"beta": SCALE},
         lambda p: frozen(bk.HalfCauchy(p["beta"]), st.halfcauchy(scale=p["beta"])),
         lengths=lambda p: {"x": p["beta"]}),
    Case("Laplace", {"mu": REAL, "b": SCALE},
         lambda p: frozen(bk.Laplace(p["mu"], p["b"]), st.laplace(p["mu"], p["b"])),
         lengths=lambda p: {"x": p["b"], "mu": p["b"]}),
    Case("Logistic", {"mu": REAL, "s": SCALE},
         lambda p: frozen(bk.Logistic(p["mu"], p["s"]), st.logistic(p["mu"], p["s"])),
         lengths=lambda p: {"x": p["s"], "mu": p["s"]}),
    Case("LogNormal", {"mu": hs.floats(-10, 10), "sigma": power(-3, 1)},
         lambda p: frozen(bk.LogNormal(p["mu"], p["sigma"]),
                          st.lognorm(p["sigma"], scale=np.exp(p["mu"]))),
         lengths=lambda p: {"mu": p["sigma"]}),
    Case("Exponential", {"lam": SCALE},
         lambda p: frozen(bk.Exponential(p["lam"]), st.expon(scale=1 / p["lam"]))),
    Case("Gamma", {"alpha": SHAPE, "beta": SCALE},
         lambda p: frozen(bk.Gamma(p["alpha"], p["beta"]),
                          st.gamma(p["alpha"], scale=1 / p["beta"]))),
    Case("InverseGamma", {"alpha": SHAPE, "beta": SCALE},
         lambda p: frozen(bk.InverseGamma(p["alpha"], p["beta"]),
                          st.invgamma(p["alpha"], scale=p["beta"]))),
    Case("Beta", {"alpha": SHAPE, "beta": SHAPE},
         lambda p: frozen(bk.Beta(p["alpha"], p["beta"]), st.beta(p["alpha"], p["beta"]))),
    Case("Uniform", {"lower": REAL, "width": SCALE},
         lambda p: frozen(bk.Uniform(p["lower"], p["lower"] + p["width"]),
                          st.uniform(p["lower"], p["width"])),
         lengths=lambda p: dict.fromkeys(("x", "lower", "upper"), p["width"])),
    Case("Weibull", {"alpha": power(-1, 2), "beta": SCALE},
         lambda p: frozen(bk.Weibull(p["alpha"], p["beta"]),
                          st.weibull_min(p["alpha"], scale=p["beta"]))),
    Case("ChiSquared", {"nu": SHAPE},
         lambda p: frozen(bk.ChiSquared(p["nu"]), st.chi2(p["nu"]))),
    Case("TruncatedNormal",
         {"mu": REAL, "sigma": SCALE, "a": hs.floats(-10, 10), "w": power(-3, 1.3)},
         truncated,
         grad_strategies={"mu": REAL, "sigma": SCALE, "a": hs.floats(-10, 10),
                          "w": hs.floats(0.5, 20)},
         lengths=lambda p: dict.fromkeys(("x", "mu", "lower", "upper"),
                                         p["sigma"] * min(1.0, p["w"]))),
    Case("SkewNormal", {"mu": REAL, "sigma": SCALE, "alpha": hs.floats(-50, 50)},
         lambda p: frozen(bk.SkewNormal(p["mu"], p["sigma"], p["alpha"]),
                          st.skewnorm(p["alpha"], p["mu"], p["sigma"])),
         lengths=lambda p: {"x": p["sigma"] / (1 + abs(p["alpha"])),
                            "mu": p["sigma"] / (1 + abs(p["alpha"])), "alpha": 1.0}),
    Case("VonMises", {"mu": hs.floats(-3, 3), "kappa": SCALE}, von_mises,
         lengths=lambda p: dict.fromkeys(("x", "mu"), min(1.0, p["kappa"] ** -0.5))),
    Case("Bernoulli", {"p": PROB},
         lambda p: frozen(bk.Bernoulli(p["p"]), st.bernoulli(p["p"]))),
    Case("BernoulliLogit", {"logit_p": hs.floats(-40, 40)}, logit_bernoulli,
         lengths=lambda p: {"logit_p": 1.0}),
    Case("Binomial", {"n": COUNT, "p": PROB},
         lambda p: frozen(bk.Binomial(p["n"], p["p"]), st.binom(p["n"], p["p"])),
         integer=("n",)),
    Case("BinomialLogit", {"n": COUNT, "logit_p": hs.floats(-40, 40)}, logit_binomial,
         integer=("n",), lengths=lambda p: {"logit_p": 1.0 / (1.0 + p["n"] ** 0.5)}),
    Case("BetaBinomial", {"n": COUNT, "alpha": SHAPE, "beta": SHAPE},
         lambda p: frozen(bk.BetaBinomial(p["n"], p["alpha"], p["beta"]),
                          st.betabinom(p["n"], p["alpha"], p["beta"])), integer=("n",)),
    Case("Poisson", {"rate": SCALE},
         lambda p: frozen(bk.Poisson(p["rate"]), st.poisson(p["rate"]))),
    Case("PoissonLog", {"log_rate": hs.floats(-7, 7)},
         lambda p: frozen(bk.Poisson(log_rate=p["log_rate"]),
                          st.poisson(np.exp(p["log_rate"]))),
         lengths=lambda p: {"log_rate": 1.0 / (1.0 + np.exp(0.5 * p["log_rate"]))}),
    Case("NegativeBinomial", {"n": SHAPE, "p": PROB},
         lambda p: frozen(bk.NegativeBinomial(p["n"], p["p"]), st.nbinom(p["n"], p["p"]))),
    Case("NegativeBinomialMu", {"mu": SCALE, "alpha": SHAPE},
         lambda p: frozen(bk.NegativeBinomial(mu=p["mu"], alpha=p["alpha"]),
                          st.nbinom(p["alpha"], p["alpha"] / (p["mu"] + p["alpha"])))),
    Case("Geometric", {"p": PROB},
         lambda p: frozen(bk.Geometric(p["p"]), st.geom(p["p"]))),
    Case("Categorical", {"w": hs.lists(power(-2, 1), min_size=2, max_size=6)}, categorical),
]
BY_NAME = {c.name: c for c in CASES}

# Extreme parameters: scales 1e-3..1e3, points far in the tails, support boundaries.
EXTREMES = [
    ("Normal", {"mu": 0.0, "sigma": 1e-3}, [-1.0, 1e-3, 1.0]),
    ("Normal", {"mu": 5.0, "sigma": 1e3}, [-1e6, 5.0, 1e6]),
    ("HalfNormal", {"sigma": 1e-3}, [0.0, 1e-3, 1.0]),
    ("StudentT", {"nu": 1e3, "mu": 0.0, "sigma": 1.0}, [-1e4, 0.0, 50.0]),
    ("StudentT", {"nu": 1e-2, "mu": 0.0, "sigma": 1e-3}, [-1e30, 1e-3]),
    ("HalfStudentT", {"nu": 3.0, "sigma": 1e3}, [0.0, 1e8, -1.0]),
    ("Cauchy", {"alpha": 0.0, "beta": 1e-3}, [1e200, 0.0]),
    ("HalfCauchy", {"beta": 1e-3}, [0.0, 1e6]),
    ("Laplace", {"mu": 1.0, "b": 1e-3}, [1.0, 1.5]),
    ("Logistic", {"mu": 0.0, "s": 1e-3}, [-0.5, 0.0, 0.5]),
    ("LogNormal", {"mu": 0.0, "sigma": 1e-3}, [1e-300, 1.0, 1e300, 0.0]),
    ("Exponential", {"lam": 1e3}, [0.0, 1e3]),
    ("Exponential", {"lam": 1e-3}, [0.0, 1e7]),
    ("Gamma", {"alpha": 1e-3, "beta": 1e3}, [0.0, 1e-300, 1e-10, 1.0]),
    ("Gamma", {"alpha": 1e3, "beta": 1e-3}, [1e-5, 1e6, 1e7]),
    ("Gamma", {"alpha": 1.0, "beta": 2.0}, [0.0]),
    ("InverseGamma", {"alpha": 1e3, "beta": 1e3}, [1e-3, 1.0, 1e6]),
    ("InverseGamma", {"alpha": 1e-3, "beta": 1e-3}, [1e-300, 1e300]),
    ("Beta", {"alpha": 1e-3, "beta": 1e3}, [0.0, 1e-300, 0.5, 1.0]),
    ("Beta", {"alpha": 1e3, "beta": 1e3}, [1e-3, 0.5, 1.0 - 1e-12]),
    ("Beta", {"alpha": 1.0, "beta": 1.0}, [0.0, 1.0]),
    ("Uniform", {"lower": -1e3, "width": 1e-3}, [-1e3, -1e3 + 1e-3, -1e3 + 2e-3]),
    ("Weibull", {"alpha": 100.0, "beta": 1e-3}, [0.0, 1e-3, 1e-2]),
    ("Weibull", {"alpha": 0.1, "beta": 1e3}, [1e-300, 1e12]),
    ("ChiSquared", {"nu": 1e3}, [1.0, 1e3, 1e4]),
    ("TruncatedNormal", {"mu": 0.0, "sigma": 1.0, "a": 30.0, "w": math.inf}, [30.0, 31.0, 40.0]),
    ("TruncatedNormal", {"mu": 0.0, "sigma": 1.0, "a": -math.inf, "w": -40.0}, [-41.0, -40.0]),
    ("TruncatedNormal", {"mu": 1e3, "sigma": 1e-3, "a": -50.0, "w": 1.0}, [1e3 - 0.05, 1e3 - 0.0495]),
    ("TruncatedNormal", {"mu": 0.0, "sigma": 1.0, "a": 5.0, "w": 1e-3}, [5.0, 5.0005, 5.001]),
    ("SkewNormal", {"mu": 0.0, "sigma": 1.0, "alpha": 50.0}, [-5.0, -1.0, 0.0, 30.0]),
    ("SkewNormal", {"mu": 0.0, "sigma": 1e3, "alpha": -50.0}, [-1e4, 1e3]),
    ("VonMises", {"mu": 0.5, "kappa": 1e3}, [-np.pi, 0.4, 0.5, np.pi]),
    ("VonMises", {"mu": -3.0, "kappa": 1e-3}, [-np.pi, 0.0, np.pi]),
    ("Bernoulli", {"p": 1e-12}, [0.0, 1.0]),
    ("Bernoulli", {"p": 1.0}, [0.0, 1.0]),
    ("BernoulliLogit", {"logit_p": 700.0}, [0.0, 1.0]),
    ("Binomial", {"n": 1000.0, "p": 1e-6}, [0.0, 1.0, 1000.0]),
    ("Binomial", {"n": 1e6, "p": 0.5}, [0.0, 5e5, 1e6]),
    ("Binomial", {"n": 10.0, "p": 0.0}, [0.0, 1.0]),
    ("BinomialLogit", {"n": 1000.0, "logit_p": -40.0}, [0.0, 1000.0]),
    ("BetaBinomial", {"n": 1000.0, "alpha": 1e-3, "beta": 1e3}, [0.0, 1.0, 1000.0]),
    ("Poisson", {"rate": 1e3}, [0.0, 1e3, 1e4]),
    ("Poisson", {"rate": 1e-3}, [0.0, 50.0]),
    ("Poisson", {"rate": 0.0}, [0.0, 1.0]),
    ("PoissonLog", {"log_rate": -30.0}, [0.0, 3.0]),
    ("PoissonLog", {"log_rate": 20.0}, [0.0, 4.85e8]),
    ("NegativeBinomial", {"n": 1e-3, "p": 1e-3}, [0.0, 1e4]),
    ("NegativeBinomialMu", {"mu": 1e3, "alpha": 1e-3}, [0.0, 1e3, 1e6]),
    ("NegativeBinomialMu", {"mu": 1e-3, "alpha": 1e3}, [0.0, 5.0]),
    ("Geometric", {"p": 1e-6}, [1.0, 1e7]),
    ("Geometric", {"p": 1.0}, [1.0, 2.0]),
]


# Where scipy itself underflows (it returns -inf), an arbitrary-precision evaluation of
# the textbook density is the reference.
MP_EXTREMES = [
    ("StudentT", {"nu": 1e-2, "mu": 0.0, "sigma": 1e-3}, [1e300, -1e200],
     lambda x, nu, mu, sigma: (mp.loggamma((nu + 1) / 2) - mp.loggamma(nu / 2)
                               - mp.log(nu * mp.pi) / 2 - mp.log(sigma)
                               - (nu + 1) / 2 * mp.log1p(((x - mu) / sigma) ** 2 / nu))),
    ("StudentT", {"nu": 1e12, "mu": 1.0, "sigma": 2.0}, [1.0, 30.0, -1e7],
     lambda x, nu, mu, sigma: (mp.loggamma((nu + 1) / 2) - mp.loggamma(nu / 2)
                               - mp.log(nu * mp.pi) / 2 - mp.log(sigma)
                               - (nu + 1) / 2 * mp.log1p(((x - mu) / sigma) ** 2 / nu))),
    ("HalfCauchy", {"beta": 1e-3}, [1e300],
     lambda x, beta: mp.log(2 / (mp.pi * beta)) - mp.log1p((x / beta) ** 2)),
    ("Cauchy", {"alpha": 0.0, "beta": 1.0}, [1e200, -1e300],
     lambda x, alpha, beta: -mp.log(mp.pi * beta) - mp.log1p(((x - alpha) / beta) ** 2)),
    ("Laplace", {"mu": 1.0, "b": 1e-3}, [1e3, -1e3],
     lambda x, mu, b: -mp.log(2 * b) - abs(x - mu) / b),
    ("NegativeBinomialMu", {"mu": 3.0, "alpha": 1e12}, [0.0, 2.0, 40.0],
     lambda x, mu, alpha: (mp.loggamma(x + alpha) - mp.loggamma(alpha) - mp.loggamma(x + 1)
                           + alpha * mp.log(alpha / (alpha + mu))
                           + x * mp.log(mu / (alpha + mu)))),
    ("BetaBinomial", {"n": 50.0, "alpha": 3e11, "beta": 7e11}, [0.0, 15.0, 50.0],
     lambda x, n, alpha, beta: (mp.log(mp.binomial(n, x)) + mp.log(mp.beta(x + alpha, n - x + beta))
                                - mp.log(mp.beta(alpha, beta)))),
    ("Logistic", {"mu": 0.0, "s": 1e-3}, [-800.0, 800.0],
     lambda x, mu, s: -(x - mu) / s - 2 * mp.log1p(mp.exp(-(x - mu) / s)) - mp.log(s)),
]


@pytest.mark.parametrize("name, params, xs, exact", MP_EXTREMES,
                         ids=[f"{e[0]}-{i}" for i, e in enumerate(MP_EXTREMES)])
def test_logpdf_far_tails_against_arbitrary_precision(name, params, xs, exact):
    dist, _, _ = BY_NAME[name].build(params)
    with mp.workdps(60):
        ref = [float(exact(mp.mpf(x), *(mp.mpf(v) for v in dist.params))) for x in xs]
    np.testing.assert_allclose(dist.logpdf(np.array(xs)), ref, rtol=1e-12)


def test_student_t_nu_partial_for_huge_nu_against_arbitrary_precision():
    """d/dnu at nu = 1e8 is ~1e-17: finite differences cannot see it, mpmath can."""
    x, nu, mu, sigma = 3.0, 1e8, 0.5, 2.0
    with mp.workdps(60):
        exact = mp.diff(lambda n: (mp.loggamma((n + 1) / 2) - mp.loggamma(n / 2)
                                   - mp.log(n * mp.pi) / 2
                                   - (n + 1) / 2 * mp.log1p(((x - mu) / sigma) ** 2 / n)),
                        mp.mpf(nu))
    assert continuous.student_t_lpdf_grad(x, nu, mu, sigma)[2] == pytest.approx(
        float(exact), rel=1e-6)


def _compare(case, params, xs=None):
    dist, logf, points = case.build(params)
    xs = points(QUANTILES) if xs is None else np.asarray(xs, dtype=float)
    ours = dist.logpdf(xs)
    with np.errstate(all="ignore"):
        ref = logf(xs)
    assert not np.any(np.isnan(ours)), f"{case.name}{params}: NaN at {xs}"
    np.testing.assert_allclose(ours, ref, rtol=RTOL, atol=ATOL,
                               err_msg=f"{case.name} {params} at x={xs}")
    # scalar input gives a float through the same kernel
    assert dist.logpdf(xs[0]) == pytest.approx(ours[0], rel=1e-15, abs=0) or (
        np.isinf(ours[0]) and dist.logpdf(xs[0]) == ours[0])


SETTINGS = settings(max_examples=12, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("case", CASES, ids=repr)
@SETTINGS
@given(data=hs.data())
def test_logpdf_matches_scipy(case, data):
    _compare(case, data.draw(hs.fixed_dictionaries(case.strategies)))


@pytest.mark.parametrize("name, params, xs", EXTREMES,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(EXTREMES)])
def test_logpdf_matches_scipy_at_extremes(name, params, xs):
    _compare(BY_NAME[name], params, xs)


def test_logpdf_broadcasts_parameters_and_points():
    d = bk.Normal(np.array([0.0, 1.0, 2.0]), np.array([[1.0], [2.0]]))
    x = np.linspace(-1, 1, 3)
    np.testing.assert_allclose(d.logpdf(x), st.norm(d.params[0], d.params[1]).logpdf(x),
                               rtol=1e-14)
    assert d.logpdf(x).shape == (2, 3) and d.batch_shape == (2, 3)
    c = bk.Categorical(logits=np.array([[0.0, 1.0, 2.0], [2.0, 0.0, -1.0]]))
    ref = sp.log_softmax(c.params[0], axis=-1)[[0, 1], [2, 0]]
    np.testing.assert_allclose(c.logpdf([2, 0]), ref, rtol=1e-14)


def test_flat_and_halfflat():
    assert bk.Flat().logpdf(-1e300) == 0.0 and bk.HalfFlat().logpdf(3.0) == 0.0
    np.testing.assert_array_equal(bk.HalfFlat().logpdf([-1.0, 0.0, 1e300]), [-np.inf, 0, 0])
    for d in (bk.Flat(), bk.HalfFlat()):
        with pytest.raises(ValueError, match="improper"):
            d.sample(3)
    assert isinstance(bk.HalfFlat().default_transform(), bk.transforms.Log)


# ------------------------------------------------------------------------- gradients
def _check_kernel_grad(dist, x, integer=(), lengths=None, at_boundary=False):
    """Every partial of ``dist.kernel_grad`` at ``x`` against finite differences of
    ``dist.kernel``; ``lengths`` gives the finite-difference length scale per argument.
    ``at_boundary``: x or a parameter sits on the edge of its domain, so partials whose
    stencil cannot fit inside it (or which are infinite limits) are not compared."""
    lengths = lengths or {}
    args = (float(x),) + tuple(float(v) for v in dist.params)
    names = ("x",) + dist.param_names
    lp, *partials = dist.kernel_grad(*args)
    assert lp == pytest.approx(dist.kernel(*args), rel=1e-15, abs=0)
    if not np.isfinite(lp):
        return
    for i, (name, analytic) in enumerate(zip(names, partials)):
        if (name == "x" and dist.is_discrete) or name in integer:
            assert analytic == 0.0, f"{name}: discrete/integer partial must be 0"
            continue
        if at_boundary and not np.isfinite(analytic):
            continue  # e.g. d/dalpha of (alpha - 1) log x at x = 0 is -inf
        numeric, err = numerical_gradient(dist.kernel, args, i, lengths.get(name))
        if at_boundary and not (np.isfinite(numeric) and err <= 1e-4 * (abs(numeric) + 1)):
            continue
        assert_gradient_close(analytic, numeric, err,
                              f"{type(dist).__name__} d/d{name} at {dict(zip(names, args))}")


def _lengths(case, params, points, dist, x):
    """Finite-difference length scales: the case's own; for x otherwise half its size,
    capped by the interquartile range and by the distance to 1 on [0, 1]."""
    q = points(np.array([0.25, 0.75]))
    iqr = float(q[1] - q[0]) if q.size == 2 else 0.0
    length = 0.5 * abs(x) if x != 0.0 else (iqr or 1.0)
    if iqr > 1e-6 * abs(x):
        length = min(length, iqr)
    if dist.support == "[0, 1]":
        length = min(length, 0.5 * (1.0 - x)) or length
    out = {"x": length, **case.lengths(params)}
    if 0.0 < params.get("p", 0.0) < 1.0:  # a probability: stay clear of both ends
        out["p"] = 0.5 * min(params["p"], 1.0 - params["p"])
    return out


@pytest.mark.parametrize("case", [c for c in CASES if c.name != "Categorical"], ids=repr)
@settings(max_examples=8, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=hs.data())
def test_kernel_gradients_match_finite_differences(case, data):
    # Categorical (vector parameter) is checked in test_categorical_gradients
    params = data.draw(hs.fixed_dictionaries(case.grad_strategies))
    dist, _, points = case.build(params)
    for x in points(INTERIOR):
        _check_kernel_grad(dist, x, case.integer, _lengths(case, params, points, dist, x))


@pytest.mark.parametrize("name, params, xs", [e for e in EXTREMES if e[0] not in
                                              ("TruncatedNormal", "Uniform")])
def test_kernel_gradients_at_extremes(name, params, xs):
    case = BY_NAME[name]
    dist, _, points = case.build(params)
    for x in xs:
        lp, *partials = dist.kernel_grad(float(x), *(float(v) for v in dist.params))
        assert not np.isnan(lp) and not np.any(np.isnan(partials)), (name, x, partials)
        _check_kernel_grad(dist, x, case.integer, _lengths(case, params, points, dist, x),
                           at_boundary=True)


@pytest.mark.parametrize("kernel, grad", [
    (discrete.categorical_lpdf, discrete.categorical_lpdf_grad),
    (discrete.categorical_logit_lpdf, discrete.categorical_logit_lpdf_grad),
])
def test_categorical_gradients(kernel, grad):
    p = np.array([0.1, 0.2, 0.3, 0.4])
    for x in (0.0, 3.0):
        g_x, g = np.zeros(1), np.zeros(4)
        lp = grad(x, p, g_x, g)
        assert g_x[0] == 0.0
        assert lp == kernel(x, p)
        numeric, err = numerical_gradient(kernel, (x, p), 1)
        assert_gradient_close(g, numeric, err, f"{kernel.__name__} at x={x}")


# ------------------------------------------------------------------ invalid parameters
INVALID = [
    (bk.Normal, dict(mu=0.0, sigma=-1.0), "sigma"),
    (bk.Normal, dict(mu=np.nan, sigma=1.0), "mu"),
    (bk.HalfNormal, dict(sigma=0.0), "sigma"),
    (bk.StudentT, dict(nu=-2.0), "nu"),
    (bk.HalfStudentT, dict(nu=3.0, sigma=-1.0), "sigma"),
    (bk.Cauchy, dict(alpha=0.0, beta=-1.0), "beta"),
    (bk.HalfCauchy, dict(beta=np.inf), "beta"),
    (bk.Laplace, dict(mu=0.0, b=0.0), "b"),
    (bk.Logistic, dict(mu=0.0, s=-3.0), "s"),
    (bk.LogNormal, dict(mu=0.0, sigma=-1.0), "sigma"),
    (bk.Exponential, dict(lam=-1.0), "lam"),
    (bk.Gamma, dict(alpha=-1.0, beta=1.0), "alpha"),
    (bk.Gamma, dict(alpha=1.0, beta=[1.0, -2.0]), "beta"),
    (bk.InverseGamma, dict(alpha=1.0, beta=0.0), "beta"),
    (bk.Beta, dict(alpha=0.0, beta=1.0), "alpha"),
    (bk.Uniform, dict(lower=1.0, upper=1.0), "lower"),
    (bk.Weibull, dict(alpha=1.0, beta=-1.0), "beta"),
    (bk.ChiSquared, dict(nu=0.0), "nu"),
    (bk.TruncatedNormal, dict(mu=0.0, sigma=1.0, lower=2.0, upper=1.0), "lower"),
    (bk.SkewNormal, dict(mu=0.0, sigma=-1.0, alpha=1.0), "sigma"),
    (bk.VonMises, dict(mu=0.0, kappa=-1.0), "kappa"),
    (bk.Bernoulli, dict(p=1.5), "p"),
    (bk.Bernoulli, dict(logit_p=np.nan), "logit_p"),
    (bk.Binomial, dict(n=-1, p=0.5), "n"),
    (bk.Binomial, dict(n=2.5, p=0.5), "n"),
    (bk.Binomial, dict(n=5, p=-0.1), "p"),
    (bk.BetaBinomial, dict(n=5, alpha=1.0, beta=-1.0), "beta"),
    (bk.Poisson, dict(rate=-1.0), "rate"),
    (bk.Poisson, dict(log_rate=np.inf), "log_rate"),
    (bk.NegativeBinomial, dict(n=0.0, p=0.5), "n"),
    (bk.NegativeBinomial, dict(mu=1.0, alpha=-1.0), "alpha"),
    (bk.Geometric, dict(p=0.0), "p"),
    (bk.Categorical, dict(p=[0.5, 0.6]), "p"),
    (bk.Categorical, dict(p=[-0.5, 1.5]), "p"),
    (bk.MvNormal, dict(mu=[0.0, 0.0], cov=[[1.0, 2.0], [2.0, 1.0]]), "cov"),
    (bk.MvNormal, dict(mu=[0.0, 0.0], cov=[[1.0, 0.5], [0.0, 1.0]]), "cov"),
    (bk.MvNormal, dict(mu=[0.0, 0.0], chol=[[1.0, 0.0], [0.5, -1.0]]), "chol"),
    (bk.MvNormal, dict(mu=[0.0, 0.0, 0.0], cov=np.eye(2)), "mu"),
    (bk.Dirichlet, dict(alpha=[1.0, 0.0]), "alpha"),
    (bk.LKJCholesky, dict(n=3, eta=-1.0), "eta"),
    (bk.LKJCholesky, dict(n=1.5, eta=1.0), "n"),
    (bk.Multinomial, dict(n=3, p=[0.2, 0.2]), "p"),
    (bk.Multinomial, dict(n=-3, p=[0.2, 0.8]), "n"),
]


@pytest.mark.parametrize("cls, kwargs, name", INVALID,
                         ids=[f"{c.__name__}-{n}-{i}" for i, (c, _, n) in enumerate(INVALID)])
def test_invalid_parameters_raise_value_error_naming_them(cls, kwargs, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        cls(**kwargs)


def test_parameterization_errors_are_type_errors():
    with pytest.raises(TypeError, match="exactly one"):
        bk.Bernoulli(p=0.5, logit_p=0.0)
    with pytest.raises(TypeError, match="exactly one"):
        bk.Poisson()
    with pytest.raises(TypeError, match="alpha"):
        bk.NegativeBinomial(mu=1.0)
    with pytest.raises(TypeError, match="exactly one"):
        bk.MvNormal([0.0], cov=[[1.0]], chol=[[1.0]])


KERNEL_INVALID = [
    (continuous.normal_lpdf_grad, (0.0, 0.0, -1.0)),
    (continuous.normal_lpdf_grad, (np.nan, 0.0, 1.0)),
    (continuous.student_t_lpdf_grad, (0.0, 0.0, 0.0, 1.0)),
    (continuous.gamma_lpdf_grad, (-1.0, 2.0, 1.0)),
    (continuous.beta_lpdf_grad, (1.5, 2.0, 1.0)),
    (continuous.uniform_lpdf_grad, (0.5, 1.0, 0.0)),
    (continuous.truncated_normal_lpdf_grad, (3.0, 0.0, 1.0, -1.0, 1.0)),
    (continuous.von_mises_lpdf_grad, (4.0, 0.0, 1.0)),
    (continuous.weibull_lpdf_grad, (1.0, -1.0, 1.0)),
    (discrete.poisson_lpdf_grad, (1.5, 2.0)),
    (discrete.poisson_log_lpdf_grad, (3.0, 800.0)),
    (discrete.binomial_lpdf_grad, (4.0, 3.0, 0.5)),
    (discrete.bernoulli_lpdf_grad, (2.0, 0.5)),
    (discrete.negative_binomial_2_lpdf_grad, (-1.0, 1.0, 1.0)),
    (discrete.geometric_lpdf_grad, (0.0, 0.5)),
]


@pytest.mark.parametrize("grad, args", KERNEL_INVALID,
                         ids=[f"{g.__name__}-{i}" for i, (g, _) in enumerate(KERNEL_INVALID)])
def test_kernels_return_minus_inf_not_nan_outside_support(grad, args):
    lp, *partials = grad(*(float(a) for a in args))
    assert lp == -np.inf
    assert all(p == 0.0 for p in partials)


def test_contract_attributes():
    for cls, kwargs, ndim in [(bk.Normal, {}, 0), (bk.Categorical, {"p": [0.5, 0.5]}, 0),
                              (bk.MvNormal, {"mu": [0.0], "cov": [[1.0]]}, 1),
                              (bk.LKJCholesky, {"n": 3}, 2)]:
        d = cls(**kwargs)
        assert d.event_ndim == ndim and len(d.params) == len(d.param_names)
        assert isinstance(d.support, str) and callable(d.kernel) and callable(d.kernel_grad)
    d = bk.Bernoulli(logit_p=0.3)
    assert d.param_names == ("logit_p",) and d.kernel is discrete.bernoulli_logit_lpdf
    assert d.is_discrete and not bk.Normal().is_discrete
    transforms = {bk.Normal(): bk.transforms.Identity, bk.HalfNormal(): bk.transforms.Log,
                  bk.Beta(1.0, 2.0): bk.transforms.Interval,
                  bk.Dirichlet([1.0, 1.0]): bk.transforms.Simplex,
                  bk.LKJCholesky(3): bk.transforms.CholeskyCorr,
                  bk.TruncatedNormal(lower=0.0): bk.transforms.Log,
                  bk.TruncatedNormal(upper=2.0): bk.transforms.UpperBound,
                  bk.TruncatedNormal(lower=1.0): bk.transforms.LowerBound}
    for d, t in transforms.items():
        assert type(d.default_transform()) is t
    assert bk.Uniform(-2.0, 3.0).default_transform().args == (-2.0, 3.0)


def test_symbolic_parameters_are_stored_not_validated():
    marker = object()
    d = bk.Normal(marker, 1.0)
    assert d.params[0] is marker and not d.is_numeric
    with pytest.raises(TypeError, match="mu"):
        d.logpdf(0.0)
