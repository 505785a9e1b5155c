"""cdf, logcdf, sf, logsf, ppf and interval of every univariate family.

* against scipy.stats at hypothesis-drawn parameters (the ranges of
  tests/test_distributions.py) and points spread over the quantiles, to 1e-8 relative;
* against mpmath far in the tails, where scipy's values underflow to 0 (log = -inf);
* ppf and cdf inverting each other, discrete families at non-integer x, support edges,
  broadcasting shapes, and clear errors for bad input.
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
from test_distributions import BY_NAME

RTOL = 1e-8
TAIL_RTOL = 1e-10
QUANTILES = np.array([1e-10, 1e-4, 0.05, 0.3, 0.5, 0.7, 0.95, 1 - 1e-4, 1 - 1e-10])
SETTINGS = settings(max_examples=10, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


# ----------------------------------------------------------- scipy references per case
class Mapped:
    """A scipy frozen distribution seen through a monotone increasing map of x."""

    def __init__(self, ref, forward, inverse):
        self.ref, self.forward, self.inverse = ref, forward, inverse

    def cdf(self, x):
        return self.ref.cdf(self.forward(x))

    def sf(self, x):
        return self.ref.sf(self.forward(x))

    def logcdf(self, x):
        return self.ref.logcdf(self.forward(x))

    def logsf(self, x):
        return self.ref.logsf(self.forward(x))

    def ppf(self, q):
        return self.inverse(self.ref.ppf(q))


class WrappedVonMises:
    """scipy's von Mises restricted to [-pi, pi]: its cdf is cumulative over the real
    line (G(x + 2 pi) = G(x) + 1), so P(-pi <= X <= x) = G(x - mu) - G(-pi - mu)."""

    def __init__(self, mu, kappa):
        self.mu, self.ref = mu, st.vonmises(kappa)

    def cdf(self, x):
        return self.ref.cdf(np.asarray(x) - self.mu) - self.ref.cdf(-np.pi - self.mu)

    def sf(self, x):
        return 1.0 - self.cdf(x)

    def logcdf(self, x):
        return np.log(self.cdf(x))

    def logsf(self, x):
        return np.log(self.sf(x))

    def ppf(self, q):
        s = np.asarray(q) + self.ref.cdf(-np.pi - self.mu)
        turns = np.floor(s)
        return self.ref.ppf(s - turns) + 2 * np.pi * turns + self.mu


class Mirror:
    """X = n - Y for a scipy discrete Y on {0, ..., n} (only the tail functions)."""

    def __init__(self, ref, n):
        self.ref, self.n = ref, n

    def _y(self, x):
        return self.n - np.floor(x) - 1

    def cdf(self, x):
        return self.ref.sf(self._y(x))

    def sf(self, x):
        return self.ref.cdf(self._y(x))

    def logcdf(self, x):
        return self.ref.logsf(self._y(x))

    def logsf(self, x):
        return self.ref.logcdf(self._y(x))


class TwoTails:
    """cdf side from one reference, sf side from another, quantiles from a third: scipy
    is accurate in a tail only where it sums or integrates that tail directly."""

    def __init__(self, lower, upper, quantile):
        self.lower, self.upper, self.quantile = lower, upper, quantile
        self.cdf, self.logcdf = lower.cdf, lower.logcdf
        self.sf, self.logsf = upper.sf, upper.logsf
        self.ppf = quantile.ppf


def _logit_binomial(n, logit_p):
    """scipy's binom takes p; for p near 1, 1 - p rounds, so the mirror image with the
    exact 1 - p = expit(-logit_p) is the accurate one."""
    direct = st.binom(n, sp.expit(logit_p))
    if logit_p <= 0:
        return direct
    mirror = Mirror(st.binom(n, sp.expit(-logit_p)), n)
    return TwoTails(mirror, mirror, direct)


def _beta_binomial(p):
    # scipy sums the pmf for the cdf but takes sf = 1 - cdf: the sf from the mirror image
    n, a, b = p["n"], p["alpha"], p["beta"]
    direct = st.betabinom(n, a, b)
    return TwoTails(direct, Mirror(st.betabinom(n, b, a), n), direct)


def _truncnorm(p):
    lower = p["mu"] + p["a"] * p["sigma"] if np.isfinite(p["a"]) else -np.inf
    upper = lower + p["w"] * p["sigma"] if np.isfinite(p["w"]) else np.inf
    return st.truncnorm((lower - p["mu"]) / p["sigma"], (upper - p["mu"]) / p["sigma"],
                        loc=p["mu"], scale=p["sigma"])


def _categorical(p):
    probs = np.asarray(p["w"]) / np.sum(p["w"])
    return st.rv_discrete(values=(np.arange(probs.size), probs))


REFERENCES = {
    "Normal": lambda p: st.norm(p["mu"], p["sigma"]),
    "HalfNormal": lambda p: st.halfnorm(scale=p["sigma"]),
    "StudentT": lambda p: st.t(p["nu"], p["mu"], p["sigma"]),
    # |T|^2 ~ F(1, nu): an accurate twin in both tails
    "HalfStudentT": lambda p: Mapped(st.f(1, p["nu"]), lambda x: (x / p["sigma"]) ** 2,
                                     lambda y: p["sigma"] * np.sqrt(y)),
    "Cauchy": lambda p: st.cauchy(p["alpha"], p["beta"]),
    "HalfCauchy": lambda p: st.halfcauchy(scale=p["beta"]),
    "Laplace": lambda p: st.laplace(p["mu"], p["b"]),
    "Logistic": lambda p: st.logistic(p["mu"], p["s"]),
    "LogNormal": lambda p: st.lognorm(p["sigma"], scale=np.exp(p["mu"])),
    "Exponential": lambda p: st.expon(scale=1 / p["lam"]),
    "Gamma": lambda p: st.gamma(p["alpha"], scale=1 / p["beta"]),
    "InverseGamma": lambda p: st.invgamma(p["alpha"], scale=p["beta"]),
    "Beta": lambda p: st.beta(p["alpha"], p["beta"]),
    "Uniform": lambda p: st.uniform(p["lower"], p["width"]),
    "Weibull": lambda p: st.weibull_min(p["alpha"], scale=p["beta"]),
    "ChiSquared": lambda p: st.chi2(p["nu"]),
    "TruncatedNormal": _truncnorm,
    "SkewNormal": lambda p: st.skewnorm(p["alpha"], p["mu"], p["sigma"]),
    "VonMises": lambda p: WrappedVonMises(p["mu"], p["kappa"]),
    "Bernoulli": lambda p: st.bernoulli(p["p"]),
    "BernoulliLogit": lambda p: _logit_binomial(1, p["logit_p"]),
    "Binomial": lambda p: st.binom(p["n"], p["p"]),
    "BinomialLogit": lambda p: _logit_binomial(p["n"], p["logit_p"]),
    "BetaBinomial": _beta_binomial,
    "Poisson": lambda p: st.poisson(p["rate"]),
    "PoissonLog": lambda p: st.poisson(np.exp(p["log_rate"])),
    "NegativeBinomial": lambda p: st.nbinom(p["n"], p["p"]),
    "NegativeBinomialMu": lambda p: st.nbinom(p["alpha"], p["alpha"] / (p["mu"] + p["alpha"])),
    "Geometric": lambda p: st.geom(p["p"]),
    "Categorical": _categorical,
}
NAMES = list(REFERENCES)
# Where scipy is accurate only in absolute terms, its small values are not compared
# (ours are checked against mpmath there: TAILS and test_*_mpmath): VonMises is a
# difference of two cdf values, skewnorm's cdf is Phi(z) - 2 T(z, a) (errors ~1e-15),
# truncnorm's mass near the centre a difference of two values close to 1/2.
REFERENCE_FLOOR = {"VonMises": 1e-6, "SkewNormal": 1e-5, "TruncatedNormal": 1e-6}


def draw_case(data, name):
    case = BY_NAME[name]
    params = {k: data.draw(s, label=k) for k, s in case.strategies.items()}
    return case.build(params)[0], REFERENCES[name](params)


def quantile_points(dist, ref):
    """Points at the reference's quantiles (and between integers for discrete families)."""
    with np.errstate(divide="ignore"):
        x = np.asarray(ref.ppf(QUANTILES), dtype=float)
    x = np.unique(x[np.isfinite(x)])
    if dist.is_discrete:
        x = np.concatenate([x, x + 0.5, x - 0.25])
    return x


def reference_log(ref, x, lower):
    """scipy's log probability, from the complement where the probability is above 1/2
    (scipy takes log(cdf) there, which has no relative accuracy near 0)."""
    with np.errstate(divide="ignore"):
        direct = ref.logcdf(x) if lower else ref.logsf(x)
        other = ref.sf(x) if lower else ref.cdf(x)
        return np.where(other < 0.5, np.log1p(-other), direct)


EPS = np.finfo(float).eps


def x_slack(dist, x):
    """How much the cdf moves when x moves by a few roundings at the scale of the points:
    4 eps max|x| pdf(x). Near a finite end of the support far from 0 (Uniform, Beta
    near 1, a truncation point) this, not the formula, limits the agreement of any two
    implementations (each rounds x - lower, (x - mu) / sigma, ... on its own)."""
    if dist.is_discrete:
        return np.zeros(np.shape(x))
    size = np.max(np.abs(x), initial=0.0)
    with np.errstate(under="ignore", over="ignore", invalid="ignore"):
        slack = 4 * EPS * size * np.exp(dist.logpdf(x))
    return np.where(x == 0.0, 0.0, slack)  # 0 is exact (and the density may be inf)


def q_slack(dist, x, q):
    """How much the quantile moves when q moves by a few roundings (a q near 1 computed
    as 1 - tail carries two or three): 4 spacing(q) / pdf(x)."""
    with np.errstate(divide="ignore", under="ignore"):
        return 4 * np.spacing(q) / np.exp(dist.logpdf(x))


def assert_close(got, want, rtol=RTOL, atol=0.0, what=""):
    got, want = np.broadcast_arrays(np.asarray(got, float), np.asarray(want, float))
    same = got == want  # includes matching infinities
    with np.errstate(invalid="ignore"):
        err = np.abs(got - want)
    ok = same | (err <= atol + rtol * np.abs(want))
    assert ok.all(), f"{what}: got {got[~ok]}, want {want[~ok]}"


# --------------------------------------------------------------------- against scipy
@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(data=hs.data())
def test_matches_scipy(name, data):
    dist, ref = draw_case(data, name)
    if name == "VonMises" and dist.params[1] >= 50:
        return  # scipy switches to a normal approximation: see test_von_mises_mpmath
    x = quantile_points(dist, ref)
    cdf, sf = ref.cdf(x), ref.sf(x)
    keep = np.minimum(cdf, sf) > REFERENCE_FLOOR.get(name, 0.0)
    x, cdf, sf = x[keep], cdf[keep], sf[keep]
    slack = x_slack(dist, x)
    assert_close(dist.cdf(x), cdf, atol=slack, what="cdf")
    assert_close(dist.sf(x), sf, atol=slack, what="sf")
    # a log near 0 also gets 1e-15 absolute: scipy's log of a rounded 1 - tiny
    with np.errstate(divide="ignore"):
        assert_close(dist.logcdf(x), reference_log(ref, x, True), atol=1e-15 + slack / cdf,
                     what="logcdf")
        assert_close(dist.logsf(x), reference_log(ref, x, False), atol=1e-15 + slack / sf,
                     what="logsf")


@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(data=hs.data())
def test_ppf_matches_scipy_and_inverts_cdf(name, data):
    dist, ref = draw_case(data, name)
    if name == "VonMises" and dist.params[1] >= 50:
        return  # scipy switches to a normal approximation: see test_von_mises_mpmath
    q = QUANTILES if name != "VonMises" else QUANTILES[2:-2]
    got = np.asarray(dist.ppf(q))
    if dist.is_discrete:
        # the smallest k with cdf(k) >= q; scipy agrees except where q ties a cdf value
        # to within rounding (a symmetric binomial's cdf(n/2) = 1/2 exactly)
        want = ref.ppf(q)
        tie = np.abs(ref.cdf(np.minimum(got, want)) - q) <= 1e-12 * q
        assert np.all((got == want) | tie), (got, want)
        assert np.all(np.where(q > 0.5, dist.sf(got) <= 1 - q + 4 * np.spacing(q),
                               dist.cdf(got) >= q))
        assert np.all(np.where(q > 0.5, dist.sf(got - 1) > 1 - q, dist.cdf(got - 1) < q))
        return
    scale = np.abs(np.diff(ref.ppf([0.25, 0.75])))
    want = ref.ppf(q)
    # only where scipy's quantile is right by its own cdf (stdtrit fails for tiny nu)
    sound = np.abs(np.where(q < 0.5, ref.cdf(want) / q, ref.sf(want) / (1 - q)) - 1) < 1e-9
    sound &= np.minimum(q, 1 - q) > REFERENCE_FLOOR.get(name, 0.0)
    assert_close(got[sound], want[sound], atol=(1e-12 * scale + q_slack(dist, got, q))[sound],
                 what="ppf")
    # cdf(ppf(q)) = q, read in the tail where q is small; only where x is resolved
    lower = q < 0.5
    back = np.where(lower, dist.cdf(got), dist.sf(got))
    want = np.where(lower, q, 1 - q)
    resolved = np.abs(got) > 1e-300
    assert_close(back[resolved], want[resolved], atol=2 * x_slack(dist, got)[resolved],
                 what="cdf(ppf(q))")


@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(data=hs.data())
def test_ppf_of_cdf_round_trip(name, data):
    dist, ref = draw_case(data, name)
    x = quantile_points(dist, ref)
    if dist.is_discrete:
        k = np.unique(np.floor(x))
        # only k that a float64 cdf resolves: cdf(k) - cdf(k - 1) above a few ulp
        # (and cdf(k) < 1: a cdf that rounds to 1 has ppf = the end of the support)
        k = k[(np.exp(dist.logpdf(k)) > 8 * np.spacing(dist.cdf(k))) & (dist.cdf(k) < 1)]
        np.testing.assert_array_equal(dist.ppf(dist.cdf(k)), k)
        return
    if name == "VonMises":
        x = x[2::4]  # each quantile is a root search over quadratures: keep it short
    q = dist.cdf(x)
    scale = np.abs(np.diff(ref.ppf([0.25, 0.75])))
    assert_close(dist.ppf(q), x, atol=1e-12 * scale + q_slack(dist, x, q),
                 what="ppf(cdf(x))")


# ------------------------------------------------------------- tails, against mpmath
mp.mp.dps = 30


_SPLITS = [0, 1e-5, 1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1, 3, mp.inf]


def _quad(f, a, b):
    """log of the integral of f over [a, b], split finely near a finite end (where the
    mass of a far tail sits)."""
    if a == -mp.inf:
        return mp.log(mp.quad(lambda s: f(b - s), _SPLITS))
    if b == mp.inf:
        return mp.log(mp.quad(lambda s: f(a + s), _SPLITS))
    return mp.log(mp.quad(f, [a, b]))


def _t_lower(t, nu):  # P(T <= t) for t < 0
    return mp.betainc(nu / 2, 0.5, 0, nu / (nu + mp.mpf(t) ** 2), regularized=True) / 2


def _gamma_p(a, y):
    return mp.gammainc(a, 0, y, regularized=True)


def _gamma_q(a, y):
    return mp.gammainc(a, y, mp.inf, regularized=True)


def _skew_pdf(alpha):
    return lambda t: 2 * mp.npdf(t) * mp.ncdf(alpha * t)


def _von_mises_pdf(mu, kappa):
    return lambda t: mp.exp(kappa * mp.cos(t - mu)) / (2 * mp.pi * mp.besseli(0, kappa))


def _von_mises_mass(mu, kappa, a, b, pieces=2):
    """P(a <= X <= b), quadrature split at the mode (mu in [-pi, pi]) and around it,
    or into ``pieces`` equal parts (for a far tail, whose mass sits at one end)."""
    width = 5 / mp.sqrt(kappa)
    inner = {c for c in (mu - width, mu, mu + width) if a < c < b}
    points = set(mp.linspace(mp.mpf(a), mp.mpf(b), pieces + 1)) | inner
    return mp.quad(_von_mises_pdf(mu, kappa), sorted(points))


def _binomial_sum(js, n, p):
    p = mp.mpf(p)
    return mp.fsum(mp.binomial(n, j) * p ** j * (1 - p) ** (n - j) for j in js)


def _beta_binomial_cdf(k, n, a, b):
    return mp.fsum(mp.binomial(n, j) * mp.beta(j + a, n - j + b) / mp.beta(a, b)
                   for j in range(k + 1))


# (distribution, method, x, mpmath reference of the probability); the probabilities
# underflow in double precision (scipy's log gives -inf) or are subnormal-small
TAILS = [
    (lambda: bk.Normal(0.0, 1.0), "logcdf", -40.0, lambda: mp.ncdf(-40)),
    (lambda: bk.Normal(1.0, 2.0), "logsf", 81.0, lambda: mp.ncdf(-40)),
    (lambda: bk.HalfNormal(2.0), "logsf", 80.0, lambda: 2 * mp.ncdf(-40)),
    (lambda: bk.LogNormal(0.0, 1.0), "logcdf", math.exp(-40.0), lambda: mp.ncdf(-40)),
    (lambda: bk.StudentT(5.0, 0.0, 1.0), "logcdf", -1e80, lambda: _t_lower(-1e80, 5)),
    (lambda: bk.StudentT(5.0, 2.0, 3.0), "logsf", 2 + 3e80, lambda: _t_lower(-1e80, 5)),
    (lambda: bk.StudentT(200.0, 0.0, 1.0), "logcdf", -1e4, lambda: _t_lower(-1e4, 200)),
    (lambda: bk.StudentT(1e4, 0.0, 1.0), "logcdf", -300.0, lambda: _t_lower(-300, 10000)),
    (lambda: bk.HalfStudentT(5.0, 1.0), "logsf", 1e80, lambda: 2 * _t_lower(-1e80, 5)),
    (lambda: bk.Laplace(0.0, 1.0), "logcdf", -1e4, lambda: mp.exp(-10000) / 2),
    (lambda: bk.Logistic(0.0, 1.0), "logcdf", -1e4, lambda: 1 / (1 + mp.exp(10000))),
    (lambda: bk.Exponential(2.0), "logsf", 1e4, lambda: mp.exp(-20000)),
    (lambda: bk.Exponential(2.0), "logcdf", 1e-300, lambda: -mp.expm1(-2 * mp.mpf(1e-300))),
    (lambda: bk.Gamma(3.0, 1.0), "logcdf", 1e-200, lambda: _gamma_p(3, mp.mpf(1e-200))),
    (lambda: bk.Gamma(3.0, 2.0), "logsf", 1000.0, lambda: _gamma_q(3, 2000)),
    (lambda: bk.Gamma(0.05, 1.0), "logsf", 800.0, lambda: _gamma_q(0.05, 800)),
    (lambda: bk.Gamma(1e5, 1.0), "logsf", 1.2e5, lambda: _gamma_q(1e5, 1.2e5)),
    (lambda: bk.Gamma(1e5, 1.0), "logcdf", 8e4, lambda: _gamma_p(1e5, 8e4)),
    (lambda: bk.InverseGamma(3.0, 2.0), "logcdf", 1e-3, lambda: _gamma_q(3, 2000)),
    (lambda: bk.InverseGamma(3.0, 1.0), "logsf", 1e200, lambda: _gamma_p(3, mp.mpf(1e-200))),
    (lambda: bk.ChiSquared(3.0), "logsf", 4000.0, lambda: _gamma_q(1.5, 2000)),
    (lambda: bk.Beta(3.0, 2.0), "logcdf", 1e-200,
     lambda: mp.betainc(3, 2, 0, mp.mpf(1e-200), regularized=True)),
    (lambda: bk.Beta(2.0, 40.0), "logsf", 1 - 1e-10,
     lambda: mp.betainc(40, 2, 0, 1 - mp.mpf(1 - 1e-10), regularized=True)),
    (lambda: bk.Weibull(2.0, 1.0), "logsf", 100.0, lambda: mp.exp(-10000)),
    (lambda: bk.TruncatedNormal(0.0, 1.0, -1.0, 60.0), "logsf", 50.0,
     lambda: (mp.ncdf(-50) - mp.ncdf(-60)) / (mp.ncdf(1) - mp.ncdf(-60))),
    (lambda: bk.SkewNormal(0.0, 1.0, 3.0), "logcdf", -40.0,
     lambda: mp.exp(_quad(_skew_pdf(3), -mp.inf, -40))),
    (lambda: bk.SkewNormal(0.0, 1.0, -3.0), "logsf", 40.0,
     lambda: mp.exp(_quad(_skew_pdf(-3), 40, mp.inf))),
    (lambda: bk.SkewNormal(0.0, 1.0, -3.0), "logcdf", -40.0,
     lambda: mp.exp(_quad(_skew_pdf(-3), -mp.inf, -40))),
    (lambda: bk.VonMises(0.0, 500.0), "logcdf", -3.0,
     lambda: _von_mises_mass(0, 500, -mp.pi, -3, pieces=40)),
    (lambda: bk.VonMises(1.0, 500.0), "logsf", 3.0,
     lambda: _von_mises_mass(1, 500, 3, mp.pi, pieces=40)),
    (lambda: bk.Poisson(3.0), "logsf", 3000.0, lambda: _gamma_p(3001, 3)),
    (lambda: bk.Poisson(log_rate=math.log(3000.0)), "logcdf", 3.0,
     lambda: _gamma_q(4, mp.exp(mp.log(3000)))),
    (lambda: bk.Binomial(10000, 0.5), "logcdf", 3.0,
     lambda: _binomial_sum(range(4), 10000, 0.5)),
    (lambda: bk.Binomial(10000, logit_p=-3.0), "logsf", 9000.0,
     lambda: _binomial_sum(range(9001, 10001), 10000, 1 / (1 + mp.exp(3)))),
    (lambda: bk.NegativeBinomial(3.0, 0.5), "logsf", 3000.0,
     lambda: mp.betainc(3001, 3, 0, 0.5, regularized=True)),
    (lambda: bk.NegativeBinomial(mu=1e200, alpha=2.0), "logcdf", 0.0,
     lambda: (2 / (mp.mpf(1e200) + 2)) ** 2),
    (lambda: bk.BetaBinomial(100000, 1e4, 1e4), "logcdf", 2.0,
     lambda: _beta_binomial_cdf(2, 100000, 1e4, 1e4)),
    (lambda: bk.Geometric(0.5), "logsf", 3000.0, lambda: mp.mpf(0.5) ** 3000),
    (lambda: bk.Categorical(logits=[0.0, 0.0, -2000.0]), "logsf", 1.0,
     lambda: mp.exp(-2000) / (2 + mp.exp(-2000))),
]


@pytest.mark.parametrize("make, method, x, reference", TAILS,
                         ids=[f"{i}-{t[1]}" for i, t in enumerate(TAILS)])
def test_log_tails_against_mpmath(make, method, x, reference):
    dist = make()
    want = float(mp.log(reference()))
    assert want < -690  # a probability below 1e-300: the point of the test
    got = getattr(dist, method)(x)
    assert math.isfinite(got)
    assert abs(got - want) <= TAIL_RTOL * abs(want), (got, want)
    # the probability itself underflows to 0 exactly there
    plain = getattr(dist, method[3:])(x)
    assert plain == 0.0 or abs(plain - math.exp(want)) <= 1e-6 * math.exp(want)


@pytest.mark.parametrize("mu, kappa", [(0.5, 100.0), (-2.0, 1e3)])
def test_von_mises_mpmath(mu, kappa):
    """Concentrated von Mises (scipy approximates it by a normal) against quadrature."""
    dist = bk.VonMises(mu, kappa)
    for x in mu + np.array([-3.0, 0.5, 2.0]) / math.sqrt(kappa):
        cdf = _von_mises_mass(mu, kappa, -mp.pi, x)
        sf = _von_mises_mass(mu, kappa, x, mp.pi)
        assert_close(dist.cdf(x), float(cdf), rtol=1e-10, what="cdf")
        assert_close(dist.sf(x), float(sf), rtol=1e-10, what="sf")
        assert_close(dist.ppf(float(cdf)), x, rtol=1e-10, what="ppf")


@pytest.mark.parametrize("q", [1e-300, 1e-100, 1e-20])
def test_extreme_quantiles(q):
    """ppf far in the tails: Student-t (scipy's stdtrit fails at 1e-300), gamma, normal."""
    t = bk.StudentT(5.0, 0.0, 1.0)
    x = t.ppf(q)
    assert x < 0 and abs(t.logcdf(x) - math.log(q)) <= 1e-9 * abs(math.log(q))
    assert abs(t.logsf(-x) - math.log(q)) <= 1e-9 * abs(math.log(q))
    for dist in (bk.Gamma(2.5, 3.0), bk.Normal(1.0, 2.0), bk.Beta(3.0, 0.5),
                 bk.HalfStudentT(3.0, 2.0), bk.InverseGamma(2.0, 1.0)):
        x = dist.ppf(q)
        assert abs(dist.logcdf(x) - math.log(q)) <= 1e-9 * abs(math.log(q)), dist


# -------------------------------------------------------- discrete floors, edges, shapes
@pytest.mark.parametrize("dist, ref", [
    (bk.Poisson(3.5), st.poisson(3.5)),
    (bk.Binomial(12, logit_p=0.4), st.binom(12, sp.expit(0.4))),
    (bk.NegativeBinomial(mu=3.0, alpha=1.5), st.nbinom(1.5, 1.5 / 4.5)),
    (bk.Geometric(0.3), st.geom(0.3)),
    (bk.BetaBinomial(9, 2.0, 0.5), st.betabinom(9, 2.0, 0.5)),
    (bk.Bernoulli(logit_p=-1.0), st.bernoulli(sp.expit(-1.0))),
])
def test_discrete_cdf_at_real_x(dist, ref):
    x = np.array([-3.5, -0.5, 0.0, 0.3, 0.99, 1.0, 2.7, 5.5, 12.0, 40.25, np.inf, -np.inf])
    assert_close(dist.cdf(x), ref.cdf(x), what="cdf")
    assert_close(dist.sf(x), ref.sf(x), what="sf")
    np.testing.assert_array_equal(dist.cdf(x), dist.cdf(np.floor(x)))


def test_support_edges():
    g = bk.Gamma(2.0, 1.0)
    assert g.cdf(-1.0) == 0.0 and g.cdf(0.0) == 0.0 and g.logcdf(0.0) == -np.inf
    assert g.sf(-1.0) == 1.0 and g.logsf(-5.0) == 0.0 and g.cdf(np.inf) == 1.0
    b = bk.Beta(2.0, 3.0)
    assert b.cdf(1.0) == 1.0 and b.sf(1.5) == 0.0 and b.logsf(1.0) == -np.inf
    u = bk.Uniform(-1.0, 3.0)
    np.testing.assert_array_equal(u.cdf([-2.0, -1.0, 1.0, 3.0, 4.0]), [0, 0, 0.5, 1, 1])
    assert u.ppf(0.0) == -1.0 and u.ppf(1.0) == 3.0
    n = bk.Normal(0.0, 1.0)
    assert n.cdf(-np.inf) == 0.0 and n.cdf(np.inf) == 1.0 and n.ppf(0.0) == -np.inf
    assert bk.Poisson(2.0).ppf(0.0) == 0.0 and bk.Poisson(2.0).ppf(1.0) == np.inf
    assert bk.Geometric(0.5).ppf(0.0) == 1.0 and bk.Binomial(7, 0.5).ppf(1.0) == 7.0
    assert bk.Poisson(rate=0.0).cdf(0.0) == 1.0 and bk.Poisson(rate=0.0).logsf(0.0) == -np.inf
    c = bk.Categorical(p=[0.2, 0.0, 0.8])
    np.testing.assert_allclose(c.cdf([-1, 0, 1, 1.5, 2, 7]), [0, 0.2, 0.2, 0.2, 1, 1])
    np.testing.assert_array_equal(c.ppf([0.1, 0.2, 0.21, 1.0]), [0, 0, 2, 2])


def test_broadcasting_shapes():
    mu = np.array([[0.0], [1.0], [2.0]])
    d = bk.Normal(mu, 2.0)
    x = np.linspace(-1, 1, 4)
    for method in ("cdf", "logcdf", "sf", "logsf"):
        got = getattr(d, method)(x)
        assert got.shape == (3, 4)
        assert_close(got, getattr(st.norm(mu, 2.0), method)(x), what=method)
    q = np.array([0.1, 0.5, 0.9, 0.99])
    assert_close(d.ppf(q), st.norm(mu, 2.0).ppf(q), what="ppf")
    assert isinstance(bk.Normal(0.0, 1.0).cdf(0.3), float)
    assert isinstance(bk.Poisson(2.0).ppf(0.3), float)
    b = bk.Binomial(np.array([5.0, 10.0]), np.array([[0.2], [0.7]]))
    assert_close(b.cdf(3.5), st.binom([5, 10], [[0.2], [0.7]]).cdf(3.5), what="binomial")
    assert_close(b.ppf(np.array([[[0.3]], [[0.9]]])),
                 st.binom([5, 10], [[0.2], [0.7]]).ppf(np.array([[[0.3]], [[0.9]]])))
    assert b.ppf(np.array([[[0.3]], [[0.9]]])).shape == (2, 2, 2)
    c = bk.Categorical(logits=np.log([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]]))
    assert_close(c.cdf([[0.0], [1.0]]), [[0.2, 0.6], [0.5, 0.9]], what="categorical")
    assert_close(c.ppf([0.55, 0.55]), [2, 0])


def test_interval_matches_scipy():
    for dist, ref in ((bk.StudentT(4.0, 1.0, 2.0), st.t(4, 1, 2)),
                      (bk.Gamma(2.0, 0.5), st.gamma(2, scale=2)),
                      (bk.Poisson(4.2), st.poisson(4.2))):
        for conf in (0.5, 0.9, 0.999):
            assert_close(dist.interval(conf), ref.interval(conf), what=repr(dist))
    low, high = bk.Normal(np.zeros(2), 1.0).interval(0.95)
    assert low.shape == (2,) and np.allclose(high, 1.959963984540054)


# -------------------------------------------------------------------------- errors
@pytest.mark.parametrize("q", [1.5, -0.1, np.nan, [0.2, 1.01]])
def test_ppf_rejects_bad_probability(q):
    for dist in (bk.Normal(0.0, 1.0), bk.Poisson(3.0)):
        with pytest.raises(ValueError, match=r"q must be a probability in \[0, 1\]"):
            dist.ppf(q)
    with pytest.raises(ValueError, match="confidence"):
        bk.Normal(0.0, 1.0).interval(q)


def test_cdf_rejects_nan_x():
    with pytest.raises(ValueError, match=r"x must be a number \(not NaN\)"):
        bk.Gamma(2.0, 1.0).cdf([1.0, np.nan])
    with pytest.raises(ValueError, match="x must be"):
        bk.Binomial(3, 0.5).logsf(np.nan)


def test_improper_and_multivariate():
    for dist in (bk.Flat(), bk.HalfFlat()):
        for method, arg in (("cdf", 0.0), ("logsf", 1.0), ("ppf", 0.5)):
            with pytest.raises(ValueError, match="improper"):
                getattr(dist, method)(arg)
    for dist in (bk.MvNormal(np.zeros(2), cov=np.eye(2)), bk.Dirichlet(np.ones(3))):
        assert not hasattr(dist, "cdf") and not hasattr(dist, "ppf")


def test_symbolic_parameters_refuse():
    d = bk.Normal(object(), 1.0)  # a stand-in for a model expression
    for method in ("cdf", "logsf", "ppf"):
        with pytest.raises(TypeError, match=r"\['mu'\] are model expressions"):
            getattr(d, method)(0.5)


@pytest.mark.parametrize("base, ref", [(bk.Normal(1.0, 2.0), st.norm(1, 2)),
                                       (bk.StudentT(3.0, 0.0, 1.5), st.t(3, 0, 1.5))])
def test_censored(base, ref):
    """Y = clip(X, lower, upper): the base cdf inside, atoms at the bounds."""
    dist = bk.Censored(base, lower=-1.0, upper=[2.0, np.inf])
    x = np.array([[-5.0], [-1.0], [0.5], [2.0], [40.0]])
    inside = (x >= -1.0) & (x < np.array([2.0, np.inf]))
    want = np.where(x < -1.0, 0.0, np.where(inside, ref.cdf(x), 1.0))
    want_sf = np.where(x < -1.0, 1.0, np.where(inside, ref.sf(x), 0.0))
    assert_close(dist.cdf(x), want, what="cdf")
    assert_close(dist.sf(x), want_sf, what="sf")
    with np.errstate(divide="ignore"):
        assert_close(dist.logsf(x), np.log(want_sf), what="logsf")
    q = np.array([[0.01], [ref.cdf(-1.0)], [0.5], [0.999]])
    want_q = np.clip(ref.ppf(q), -1.0, [2.0, np.inf])
    assert_close(dist.ppf(q), want_q, what="ppf")
    assert np.all(dist.logcdf(-1e300) == -np.inf) and np.all(dist.ppf(0.0) == -1.0)
    np.testing.assert_array_equal(dist.ppf(1.0), [2.0, np.inf])
