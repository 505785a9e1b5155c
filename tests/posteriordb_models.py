"""The 17 posteriordb posteriors of ``tests/posteriordb/`` written in the bayeskit model
language (translated by hand from each ``model.stan``; see the "Translation notes" in
``tests/posteriordb/README.md``).

Interface (stable; the sampler tests use it)::

    from posteriordb_models import POSTERIORS, load_data, build, stan_draws
    data = load_data("arK-arK")             # the data.json dict
    m = build("arK-arK", data)              # a bk.Model
    stan_draws("arK-arK", draws)            # {bayeskit name: (..., *shape)} ->
                                            # {Stan flattened name ("beta[1]"): (...)}

Each posterior has a function ``build_<model>(data) -> bk.Model`` and an entry in
``REFERENCE_NAMES``: bayeskit variable -> Stan variable whose flattened, 1-based names are
in ``reference.json``.
"""

from __future__ import annotations

import json
import os

import numpy as np

import bayeskit as bk
from bayeskit import math as bm
from bayeskit import transforms as tr

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "posteriordb")


def load_data(name):
    with open(os.path.join(HERE, name, "data.json")) as f:
        return json.load(f)


def load_reference(name):
    with open(os.path.join(HERE, name, "reference.json")) as f:
        return json.load(f)


def _vec(data, key):
    return np.asarray(data[key], dtype=np.float64)


# ------------------------------------------------------------------ linear regressions
def build_eight_schools_noncentered(data):
    m = bk.Model()
    sigma = _vec(data, "sigma")
    theta_trans = m.param("theta_trans", bk.Normal(0, 1), shape=int(data["J"]))
    mu = m.param("mu", bk.Normal(0, 5))
    tau = m.param("tau", bk.HalfCauchy(5))
    theta = m.deterministic("theta", theta_trans * tau + mu)
    m.observe("y", bk.Normal(theta, sigma), _vec(data, "y"))
    return m


def build_kidscore_momiq(data):
    m = bk.Model()
    mom_iq = m.data("mom_iq", _vec(data, "mom_iq"))
    beta = m.param("beta", bk.Flat(), shape=2)
    sigma = m.param("sigma", bk.HalfCauchy(2.5))
    m.observe("kid_score", bk.Normal(beta[0] + beta[1] * mom_iq, sigma),
              _vec(data, "kid_score"))
    return m


def build_kidscore_interaction(data):
    m = bk.Model()
    mom_hs = m.data("mom_hs", _vec(data, "mom_hs"))
    mom_iq = m.data("mom_iq", _vec(data, "mom_iq"))
    inter = m.data("inter", _vec(data, "mom_hs") * _vec(data, "mom_iq"))
    beta = m.param("beta", bk.Flat(), shape=4)
    sigma = m.param("sigma", bk.HalfCauchy(2.5))
    mu = beta[0] + beta[1] * mom_hs + beta[2] * mom_iq + beta[3] * inter
    m.observe("kid_score", bk.Normal(mu, sigma), _vec(data, "kid_score"))
    return m


def _simple_regression(data, outcome):
    m = bk.Model()
    height = m.data("height", _vec(data, "height"))
    beta = m.param("beta", bk.Flat(), shape=2)
    sigma = m.param("sigma", bk.HalfFlat())
    m.observe("y", bk.Normal(beta[0] + beta[1] * height, sigma), outcome)
    return m


def build_earn_height(data):
    return _simple_regression(data, _vec(data, "earn"))


def build_logearn_height(data):
    return _simple_regression(data, np.log(_vec(data, "earn")))


def _design_regression(X, y, flat=True):
    """y ~ normal(X @ beta, sigma) with flat priors (X's first column the intercept)."""
    m = bk.Model()
    Xd = m.data("X", X)
    beta = m.param("beta", bk.Flat(), shape=X.shape[1])
    sigma = m.param("sigma", bk.HalfFlat())
    m.observe("y", bk.Normal(Xd @ beta, sigma), y)
    return m


def build_logmesquite_logvash(data):
    d1, d2 = _vec(data, "diam1"), _vec(data, "diam2")
    ch, th = _vec(data, "canopy_height"), _vec(data, "total_height")
    X = np.column_stack([np.ones_like(d1), np.log(d1 * d2 * ch), np.log(d1 * d2),
                         np.log(d1 / d2), np.log(th), _vec(data, "group")])
    return _design_regression(X, np.log(_vec(data, "weight")))


def build_mesquite(data):
    cols = ["diam1", "diam2", "canopy_height", "total_height", "density", "group"]
    X = np.column_stack([np.ones(int(data["N"]))] + [_vec(data, c) for c in cols])
    return _design_regression(X, _vec(data, "weight"))


def build_nes(data):
    age = np.asarray(data["age_discrete"])
    X = np.column_stack([np.ones(int(data["N"])), _vec(data, "real_ideo"),
                         _vec(data, "race_adj"), (age == 2).astype(float),
                         (age == 3).astype(float), (age == 4).astype(float),
                         _vec(data, "educ1"), _vec(data, "gender"), _vec(data, "income")])
    return _design_regression(X, _vec(data, "partyid7"))


def build_blr(data):
    m = bk.Model()
    X = m.data("X", np.asarray(data["X"], dtype=np.float64))
    beta = m.param("beta", bk.Normal(0, 10), shape=int(data["D"]))
    sigma = m.param("sigma", bk.HalfNormal(10))
    m.observe("y", bk.Normal(X @ beta, sigma), _vec(data, "y"))
    return m


def build_kilpisjarvi(data):
    m = bk.Model()
    x = m.data("x", _vec(data, "x"))
    alpha = m.param("alpha", bk.Normal(data["pmualpha"], data["psalpha"]))
    beta = m.param("beta", bk.Normal(data["pmubeta"], data["psbeta"]))
    sigma = m.param("sigma", bk.HalfFlat())
    m.observe("y", bk.Normal(alpha + beta * x, sigma), _vec(data, "y"))
    return m


def build_diamonds(data):
    X = np.asarray(data["X"], dtype=np.float64)
    Xc = X[:, 1:] - X[:, 1:].mean(axis=0)
    m = bk.Model()
    Xd = m.data("Xc", Xc)
    b = m.param("b", bk.Normal(0, 1), shape=Xc.shape[1])
    intercept = m.param("Intercept", bk.StudentT(3, 8, 10))
    sigma = m.param("sigma", bk.HalfStudentT(3, 10))
    m.observe("Y", bk.Normal(intercept + Xd @ b, sigma), _vec(data, "Y"))
    return m


# --------------------------------------------------------------------------- time series
def build_arK(data):
    K, T = int(data["K"]), int(data["T"])
    y = _vec(data, "y")
    lags = np.column_stack([y[K - k - 1:T - k - 1] for k in range(K)])  # y[t - k], t > K
    m = bk.Model()
    Y = m.data("lags", lags)
    alpha = m.param("alpha", bk.Normal(0, 10))
    beta = m.param("beta", bk.Normal(0, 10), shape=K)
    sigma = m.param("sigma", bk.HalfCauchy(2.5))
    m.observe("y", bk.Normal(alpha + Y @ beta, sigma), y[K:])
    return m


def build_arma11(data):
    m = bk.Model()
    y = m.data("y", _vec(data, "y"))
    mu = m.param("mu", bk.Normal(0, 10))
    phi = m.param("phi", bk.Normal(0, 2))
    theta = m.param("theta", bk.Normal(0, 2))
    sigma = m.param("sigma", bk.HalfCauchy(2.5))
    err1 = y[0] - (mu + phi * mu)

    def step(err_prev, x):
        y_t, y_prev = x
        err = y_t - (mu + phi * y_prev + theta * err_prev)
        return err, err

    _, errs = bm.scan(step, err1, (y[1:], y[:-1]))
    noise = bk.Normal(0, sigma)
    m.potential("err", bm.logpdf(noise, err1) + bm.logpdf(noise, errs).sum())
    return m


def build_garch11(data):
    y_arr = _vec(data, "y")
    m = bk.Model()
    y = m.data("y", y_arr)
    mu = m.param("mu", bk.Flat())
    alpha0 = m.param("alpha0", bk.HalfFlat())
    alpha1 = m.param("alpha1", bk.Uniform(0, 1))
    # beta1 is flat, unnormalized, on (0, 1 - alpha1): beta1 = (1 - alpha1) * u with u flat
    # on (0, 1), whose Jacobian log(1 - alpha1) is added by hand.
    u = m.param("beta1_unit", bk.Uniform(0, 1))
    beta1 = m.deterministic("beta1", (1 - alpha1) * u)
    m.potential("beta1_jacobian", bm.log1p(-alpha1))

    def step(sigma_prev, y_prev):
        s = bm.sqrt(alpha0 + alpha1 * bm.square(y_prev - mu) + beta1 * bm.square(sigma_prev))
        return s, s

    _, sig = bm.scan(step, float(data["sigma1"]), y[:-1])
    sigma = bm.concatenate([np.array([float(data["sigma1"])]), sig])
    m.observe("y_obs", bk.Normal(mu, sigma), y_arr)
    return m


# ----------------------------------------------------------------------------- others
def build_gp_pois_regr(data):
    x = _vec(data, "x")
    n = x.size
    m = bk.Model()
    rho = m.param("rho", bk.Gamma(25, 4))
    alpha = m.param("alpha", bk.HalfNormal(2))
    f_tilde = m.param("f_tilde", bk.Normal(0, 1), shape=n)
    sq = np.square(x[:, None] - x[None, :])
    cov = bm.square(alpha) * bm.exp(-sq / (2 * bm.square(rho))) + 1e-10 * np.eye(n)
    f = m.deterministic("f", bm.cholesky(cov) @ f_tilde)
    m.observe("k", bk.Poisson(log_rate=f), np.asarray(data["k"], dtype=np.int64))
    return m


def build_low_dim_gauss_mix(data):
    y = _vec(data, "y")
    m = bk.Model()
    yd = m.data("y", y)
    mu = m.param("mu", bk.Normal(0, 2), shape=2, transform=tr.Ordered())
    sigma = m.param("sigma", bk.HalfNormal(2), shape=2)
    theta = m.param("theta", bk.Beta(5, 5))
    a = bm.log(theta) + bm.logpdf(bk.Normal(mu[0], sigma[0]), yd)
    b = bm.log1p(-theta) + bm.logpdf(bk.Normal(mu[1], sigma[1]), yd)
    m.potential("mixture", bm.logaddexp(a, b).sum())
    return m


def build_hmm_drive_0(data):
    alpha = np.asarray(data["alpha"], dtype=np.float64)
    K = alpha.shape[0]
    u, v = _vec(data, "u"), _vec(data, "v")
    m = bk.Model()
    ud, vd = m.data("u", u), m.data("v", v)
    theta1 = m.param("theta1", bk.Dirichlet(alpha[0]))
    theta2 = m.param("theta2", bk.Dirichlet(alpha[1]))
    prior_means = np.array([0.0, 3.0])
    phi = m.param("phi", bk.Normal(prior_means, 1), transform=tr.PositiveOrdered())
    lam = m.param("lambda", bk.Normal(prior_means, 1), transform=tr.PositiveOrdered())
    log_theta = bm.log(bm.stack([theta1, theta2]))             # [from state j, to state k]
    emit = (bm.logpdf(bk.Exponential(phi[None, :]), ud[:, None])
            + bm.logpdf(bk.Exponential(lam[None, :]), vd[:, None]))  # (N, K)

    def forward(gamma, e_t):
        return bm.logsumexp(gamma[:, None] + log_theta, axis=0) + e_t, None

    gamma_n, _ = bm.scan(forward, emit[0], emit[1:])
    m.potential("forward", bm.logsumexp(gamma_n))
    assert K == 2, "the Stan program names theta1 and theta2: two states"
    return m


# ------------------------------------------------------------------------------ registry
BUILDERS = {
    "eight_schools-eight_schools_noncentered": build_eight_schools_noncentered,
    "kidiq-kidscore_momiq": build_kidscore_momiq,
    "kidiq-kidscore_interaction": build_kidscore_interaction,
    "earnings-logearn_height": build_logearn_height,
    "mesquite-logmesquite_logvash": build_logmesquite_logvash,
    "nes1972-nes": build_nes,
    "sblrc-blr": build_blr,
    "arK-arK": build_arK,
    "arma-arma11": build_arma11,
    "garch-garch11": build_garch11,
    "diamonds-diamonds": build_diamonds,
    "gp_pois_regr-gp_pois_regr": build_gp_pois_regr,
    "low_dim_gauss_mix-low_dim_gauss_mix": build_low_dim_gauss_mix,
    "kilpisjarvi_mod-kilpisjarvi": build_kilpisjarvi,
    "earnings-earn_height": build_earn_height,
    "mesquite-mesquite": build_mesquite,
    "bball_drive_event_0-hmm_drive_0": build_hmm_drive_0,
}
POSTERIORS = list(BUILDERS)

# bayeskit variable -> Stan variable, for the quantities in reference.json
REFERENCE_NAMES = {
    "eight_schools-eight_schools_noncentered": {"theta": "theta", "mu": "mu", "tau": "tau"},
    "kidiq-kidscore_momiq": {"beta": "beta", "sigma": "sigma"},
    "kidiq-kidscore_interaction": {"beta": "beta", "sigma": "sigma"},
    "earnings-logearn_height": {"beta": "beta", "sigma": "sigma"},
    "mesquite-logmesquite_logvash": {"beta": "beta", "sigma": "sigma"},
    "nes1972-nes": {"beta": "beta", "sigma": "sigma"},
    "sblrc-blr": {"beta": "beta", "sigma": "sigma"},
    "arK-arK": {"alpha": "alpha", "beta": "beta", "sigma": "sigma"},
    "arma-arma11": {"mu": "mu", "phi": "phi", "theta": "theta", "sigma": "sigma"},
    "garch-garch11": {"mu": "mu", "alpha0": "alpha0", "alpha1": "alpha1", "beta1": "beta1"},
    "diamonds-diamonds": {"b": "b", "Intercept": "Intercept", "sigma": "sigma"},
    "gp_pois_regr-gp_pois_regr": {"rho": "rho", "alpha": "alpha", "f": "f"},
    "low_dim_gauss_mix-low_dim_gauss_mix": {"mu": "mu", "sigma": "sigma", "theta": "theta"},
    "kilpisjarvi_mod-kilpisjarvi": {"alpha": "alpha", "beta": "beta", "sigma": "sigma"},
    "earnings-earn_height": {"beta": "beta", "sigma": "sigma"},
    "mesquite-mesquite": {"beta": "beta", "sigma": "sigma"},
    "bball_drive_event_0-hmm_drive_0": {"theta1": "theta1", "theta2": "theta2", "phi": "phi",
                                        "lambda": "lambda"},
}


def build(name, data=None):
    """The bayeskit model of posterior ``name`` (its own data unless ``data`` is given)."""
    return BUILDERS[name](load_data(name) if data is None else data)


def stan_draws(name, draws, event_shape_ndim=None):
    """Flatten ``{bayeskit name: (*lead, *shape)}`` to Stan's 1-based scalar names.

    ``draws`` is what ``ModelLogDensity.constrain_draws`` returns; ``lead`` is the common
    leading shape, found from a parameter of known shape."""
    out = {}
    for bk_name, stan_name in REFERENCE_NAMES[name].items():
        arr = np.asarray(draws[bk_name])
        ref = load_reference(name)["parameter_names"]
        scalar = stan_name in ref
        if scalar:
            out[stan_name] = arr
            continue
        k = 1
        while f"{stan_name}[{k}]" in ref:
            k += 1
        n = k - 1
        flat = arr.reshape(arr.shape[:arr.ndim - 1] + (n,)) if arr.shape[-1] == n else arr
        for j in range(n):
            out[f"{stan_name}[{j + 1}]"] = flat[..., j]
    return out
