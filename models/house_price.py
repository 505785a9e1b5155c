"""Bayesian house-price regression: model variants, prediction in dollars, held-out checks.

The data side (loading, cleaning, the fixed split) lives in
:mod:`bayeskit.models.house_data` and is re-exported here; the whole analysis (MCMC, VI
and bootstrap side by side, LOO, the report) is :func:`bayeskit.models.house_analysis.run_analysis`.

The models are built only with bayeskit's public API. The response is log price,
standardized with the training mean and standard deviation, so that one set of weakly
informative priors fits every data set:

* ``alpha ~ Normal(0, 1)``: the mean log price sits within a couple of standard
  deviations of the training mean;
* ``beta ~ Normal(0, 1)`` per standardized feature: a one-sd change in a feature moves
  the price by at most a few sd of the log price, never by orders of magnitude;
* ``sigma ~ HalfNormal(1)``: the residual spread is at most about the spread of prices;
* ``tau ~ HalfNormal(1)`` (varying intercepts): groups differ by up to a few sd;
* ``nu ~ Gamma(2, 0.1)`` (robust): the Student-t degrees of freedom, the prior of
  Juarez & Steel (2010), mean 20, with room for heavy tails (nu of 2-5) and for near-normal
  data (nu above 30).

The prior predictive plot in the report checks that these priors give prices that are
plausible but wide. Variants (:data:`VARIANTS`):

``pooled``
    one intercept, a Normal likelihood.
``varying-intercept``
    an intercept per group (California: ``ocean_proximity``) drawn from
    ``Normal(alpha, tau)``, each group centered or non-centered as its data warrant
    (:func:`choose_parameterization`).
``robust``
    the varying-intercept model (pooled if the data have no group) with a Student-t
    likelihood, so a few unusual houses do not widen every interval.

Prices recorded at a cap (California's 500,001) enter through ``bk.Censored``: their
likelihood is the probability that the price is at least the cap.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import stats

import bayeskit as bk
from bayeskit import arviz_adapter as adapter

from .house_data import (  # noqa: F401  (re-exported API)
    DATASETS,
    CleaningStep,
    FeaturePipeline,
    HouseData,
    Split,
    from_csv,
    from_frame,
    load_dataset,
    load_raw,
)

VARIANTS = ("pooled", "varying-intercept", "robust")
INTERVALS = (0.5, 0.9)
TAU_CONFIDENCE = 0.95
"""Confidence of the lower bound on tau used to decide the parameterization."""


# --------------------------------------------------------------------------------------
# centered or non-centered, group by group
# --------------------------------------------------------------------------------------
@dataclass
class Parameterization:
    """Which group intercepts are centered, and the numbers behind the choice.

    ``ratio[j] = (n_j / sigma^2) / (1 / tau_low^2)``: the precision the group's own data
    give its intercept over the precision the population prior gives it.
    """

    levels: list
    counts: np.ndarray
    centered: np.ndarray
    ratio: np.ndarray
    sigma_hat: float
    tau_hat: float
    tau_low: float

    def describe(self) -> str:
        rows = [f"- {lev}: {n:,} training rows, data/prior precision ratio {r:.3g} -> "
                f"{'centered' if c else 'non-centered'}"
                for lev, n, r, c in zip(self.levels, self.counts, self.ratio, self.centered)]
        return (f"Quick least-squares fit with an intercept per group: residual sd "
                f"{self.sigma_hat:.3f}, between-group sd tau {self.tau_hat:.3f} (lower "
                f"{100 * TAU_CONFIDENCE:.0f}% bound {self.tau_low:.3f}), on the "
                f"standardized log-price scale.\n\n" + "\n".join(rows))


def choose_parameterization(X, y, group, levels) -> Parameterization:
    """Choose, group by group, the centered or the non-centered intercept.

    A group intercept ``a_j ~ Normal(alpha, tau)`` can be written centered (``a_j`` is the
    parameter) or non-centered (``a_j = alpha + tau * z_j`` with ``z_j ~ Normal(0, 1)``).
    Which one NUTS samples well depends on how much the group's own data say about
    ``a_j`` compared with the prior: with likelihood precision ``n_j / sigma^2`` and
    prior precision ``1 / tau^2``, a group whose data dominate (ratio above 1) has a
    posterior for ``a_j`` that barely depends on ``tau``, so the centered form is nearly
    independent of ``tau`` and the non-centered ``z_j`` would be tightly coupled to it (the
    "inverted funnel"); a group with little data has ``a_j`` pulled to ``alpha`` with a
    spread set by ``tau``, the funnel that the non-centered form removes (Betancourt &
    Girolami 2015; Papaspiliopoulos, Roberts & Skold 2007).

    ``sigma`` and ``tau`` are estimated from a quick least-squares fit with one intercept
    per group: ``sigma`` from its residuals, ``tau^2`` by the method of moments (the
    variance of the intercepts minus their average squared standard error). With few
    groups ``tau`` is uncertain and small values make the funnel worse, so the ratio uses
    the lower 95% confidence bound of ``tau`` (from the chi-square law of a variance with
    ``G - 1`` degrees of freedom): a group is centered only if its data dominate the prior
    even then. In California the four large ``ocean_proximity`` groups (thousands of
    rows) come out centered and ISLAND (5 rows) non-centered.
    """
    n_groups = len(levels)
    counts = np.bincount(group, minlength=n_groups)
    present = counts > 0
    design = np.hstack([np.eye(n_groups)[group][:, present], X])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ coef
    dof = max(len(y) - design.shape[1], 1)
    sigma_hat = float(np.sqrt(resid @ resid / dof))
    intercepts = coef[: present.sum()]
    se2 = sigma_hat ** 2 / counts[present]
    if present.sum() > 1:
        tau2 = float(np.var(intercepts, ddof=1) - se2.mean())
        tau_hat = float(np.sqrt(max(tau2, 0.0)))
        df = present.sum() - 1
        tau_low = tau_hat * float(np.sqrt(stats.chi2.ppf(1 - TAU_CONFIDENCE, df) / df))
    else:
        tau_hat = tau_low = 0.0
    ratio = counts * tau_low ** 2 / sigma_hat ** 2
    return Parameterization(list(levels), counts, ratio > 1.0, ratio, sigma_hat, tau_hat,
                            tau_low)


# --------------------------------------------------------------------------------------
# the model
# --------------------------------------------------------------------------------------
@dataclass
class HouseModel:
    """A built model with what it takes to read its draws back in dollars."""

    model: "bk.Model"
    variant: str
    data: HouseData
    y_mean: float
    y_sd: float
    grouped: bool
    robust: bool
    parameterization: Parameterization | None = None
    censor_std: float | None = None
    start: dict = field(default_factory=dict)
    """Least-squares estimates of the parameters (constrained): where MCMC starts."""
    twin: object = field(default=None, repr=False)
    """The uncensored twin model that simulates uncapped prices (built on first use)."""

    @property
    def param_names(self):
        names = ["alpha", "beta", "sigma"]
        if self.grouped:
            names[1:1] = ["tau", "a"]
        if self.robust:
            names.append("nu")
        return names

    def standardize(self, log_price):
        return (np.asarray(log_price) - self.y_mean) / self.y_sd


def build_model(data: HouseData, variant: str = "robust", *, censored=True) -> HouseModel:
    """The Bayesian regression of standardized log price for ``variant`` (see the module).

    ``censored=False`` builds the same model without the censored likelihood (the capped
    prices then count as exact): the twin that simulates prices before the cap (see
    :func:`simulate_recorded`).
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    train = data.train
    grouped = variant != "pooled" and train.group is not None
    if variant == "varying-intercept" and train.group is None:
        raise ValueError(f"variant 'varying-intercept' needs a group column; the data set "
                         f"{data.name!r} has none (pass group_column=...)")
    robust = variant == "robust"
    y_mean, y_sd = float(train.y.mean()), float(train.y.std())
    y = (train.y - y_mean) / y_sd
    censor_std = None
    if data.censor_upper is not None:
        censor_std = (data.log_censor_upper - y_mean) / y_sd
        y = np.where(train.censored, censor_std, np.minimum(y, censor_std))

    coords = {"feature": data.feature_names}
    hm = HouseModel(None, variant, data, y_mean, y_sd, grouped, robust, censor_std=censor_std)
    if grouped:
        hm.parameterization = choose_parameterization(train.X, y, train.group,
                                                      data.group_levels)
        coords["group"] = data.group_levels
        centered = hm.parameterization.centered
        coords["group_centered"] = [g for g, c in zip(data.group_levels, centered) if c]
        coords["group_noncentered"] = [g for g, c in zip(data.group_levels, centered) if not c]
    m = bk.Model(coords=coords)
    X = m.data("X", train.X, dims=None)
    alpha = m.param("alpha", bk.Normal(0.0, 1.0))
    beta = m.param("beta", bk.Normal(0.0, 1.0), dims="feature")
    mean = X @ beta
    if grouped:
        g = m.data("group", train.group)
        tau = m.param("tau", bk.HalfNormal(1.0))
        a = _group_intercepts(m, alpha, tau, hm.parameterization.centered)
        mean = a[g] + mean
    else:
        mean = alpha + mean
    sigma = m.param("sigma", bk.HalfNormal(1.0))
    if robust:
        nu = m.param("nu", bk.Gamma(2.0, 0.1))
        likelihood = bk.StudentT(nu, mean, sigma)
    else:
        likelihood = bk.Normal(mean, sigma)
    if censor_std is not None and censored:
        likelihood = bk.Censored(likelihood, upper=censor_std)
    m.observe("y", likelihood, y)
    hm.model = m
    hm.start = _least_squares_start(hm, train, y)
    return hm


def _least_squares_start(hm, train, y):
    """The quick least-squares fit as a starting point in the model's parameters."""
    if hm.grouped:
        p = hm.parameterization
        n_groups = len(p.levels)
        design = np.hstack([np.eye(n_groups)[train.group], train.X])
        coef, *_ = np.linalg.lstsq(design, y, rcond=None)
        a = coef[:n_groups]
        alpha = float(np.average(a, weights=p.counts))
        tau = max(p.tau_hat, 0.1)
        start = {"alpha": alpha, "tau": tau, "beta": coef[n_groups:],
                 "a_centered": a[p.centered], "z_noncentered": (a[~p.centered] - alpha) / tau}
        start = {k: v for k, v in start.items() if np.size(v)}
    else:
        design = np.hstack([np.ones((len(y), 1)), train.X])
        coef, *_ = np.linalg.lstsq(design, y, rcond=None)
        start = {"alpha": float(coef[0]), "beta": coef[1:]}
    resid = y - design @ coef
    start["sigma"] = float(resid.std())
    if hm.robust:
        start["nu"] = 10.0
    return start


def initial_points(hm: HouseModel, chains, seed=0, jitter=0.1):
    """One starting point per chain: the least-squares fit, jittered by ``jitter`` (on the
    standardized scale; positive parameters multiplicatively), so chains start apart."""
    rng = np.random.default_rng([seed, 7])
    positive = {"tau", "sigma", "nu"}
    points = []
    for _ in range(chains):
        point = {}
        for name, value in hm.start.items():
            value = np.asarray(value, dtype=float)
            noise = rng.uniform(-jitter, jitter, size=value.shape)
            point[name] = value * np.exp(noise) if name in positive else value + noise
            point[name] = float(point[name]) if point[name].ndim == 0 else point[name]
        points.append(point)
    return points


def _group_intercepts(m, alpha, tau, centered):
    """``a`` (dims ``group``): centered groups as parameters, the others as alpha + tau z."""
    parts, order = [], []
    idx_c = np.flatnonzero(centered)
    idx_n = np.flatnonzero(~centered)
    if idx_c.size:
        parts.append(m.param("a_centered", bk.Normal(alpha, tau), dims="group_centered"))
        order += idx_c.tolist()
    if idx_n.size:
        z = m.param("z_noncentered", bk.Normal(0.0, 1.0), dims="group_noncentered")
        parts.append(alpha + tau * z)
        order += idx_n.tolist()
    stacked = parts[0] if len(parts) == 1 else bk.math.concatenate(parts)
    position = np.argsort(np.asarray(order))  # group j sits at position[j] of `stacked`
    return m.deterministic("a", stacked[position], dims="group")


# --------------------------------------------------------------------------------------
# prediction
# --------------------------------------------------------------------------------------
def simulate_recorded(hm: HouseModel, idata=None, *, draws=200, seed=0, cap=True):
    """Prior (``idata=None``) or posterior predictive draws of the recorded prices.

    With ``cap`` the draws come from the model itself (a ``bk.Censored`` observation
    simulates capped prices). Without it they come from the uncensored twin of the model
    (the same parameters and priors; built on first use): the prices the model implies
    before the cap. Returns the prior predictive data, or ``idata`` with its
    ``posterior_predictive`` group added.
    """
    model = hm.model
    if not cap and hm.censor_std is not None:
        if hm.twin is None:
            hm.twin = build_model(hm.data, hm.variant, censored=False).model
        model = hm.twin
    if idata is None:
        return bk.sample_prior_predictive(model, draws=draws, seed=seed)
    return bk.sample_posterior_predictive(model, idata, seed=seed)


def posterior_arrays(idata, hm: HouseModel):
    """The draws the predictions need, flattened over chains: name -> (S, ...)."""
    post = adapter.get_group(idata, "posterior")
    out = {}
    for name in hm.param_names:
        values = post[name].transpose("chain", "draw", ...).values
        out[name] = values.reshape((-1,) + values.shape[2:])
    return out


def predictive_log_price(idata, hm: HouseModel, X, group=None, *, seed=0, censored=False,
                         max_draws=2000):
    """Posterior predictive draws of log price for houses with features ``X``.

    Returns an array (draws, houses). ``group`` holds group indices (-1: a group not
    seen in training, whose intercept is drawn from ``Normal(alpha, tau)``). With
    ``censored`` the draws are capped as the data were (what would be *recorded*);
    without, they are the model's belief about the actual price.
    """
    rng = np.random.default_rng(seed)
    draws = posterior_arrays(idata, hm)
    n_draws = len(draws["alpha"])
    keep = (np.arange(n_draws) if n_draws <= max_draws
            else np.linspace(0, n_draws - 1, max_draws).round().astype(int))
    d = {k: v[keep] for k, v in draws.items()}
    X = np.asarray(X, dtype=float)
    mean = d["beta"] @ X.T
    if hm.grouped:
        if group is None:
            raise ValueError("this model has group intercepts: pass the houses' group")
        group = np.asarray(group)
        known = group >= 0
        intercept = np.empty((len(keep), len(group)))
        intercept[:, known] = d["a"][:, group[known]]
        n_new = int((~known).sum())
        if n_new:
            intercept[:, ~known] = (d["alpha"][:, None]
                                    + d["tau"][:, None] * rng.standard_normal((len(keep), n_new)))
        mean = mean + intercept
    else:
        mean = mean + d["alpha"][:, None]
    if hm.robust:
        noise = rng.standard_t(d["nu"][:, None], size=mean.shape)
    else:
        noise = rng.standard_normal(mean.shape)
    y_std = mean + d["sigma"][:, None] * noise
    if censored and hm.censor_std is not None:
        y_std = np.minimum(y_std, hm.censor_std)
    return hm.y_mean + hm.y_sd * y_std


def interval_table(log_price_draws):
    """Median and central 50%/90% intervals per house (columns of the draws), in price units."""
    import pandas as pd

    qs = np.quantile(np.exp(log_price_draws), [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
    return pd.DataFrame({"median": qs[2], "low_50": qs[1], "high_50": qs[3],
                         "low_90": qs[0], "high_90": qs[4]})


def predict(idata, hm: HouseModel, houses, *, seed=0):
    """Price new houses (a DataFrame with the training table's raw columns).

    Returns a DataFrame with the posterior predictive median and 50%/90% intervals of
    each house's price (in the data's currency), next to the houses' own columns.
    """
    X, group = hm.data.features(houses)
    table = interval_table(predictive_log_price(idata, hm, X, group, seed=seed))
    table.index = houses.index
    table.attrs["unit"] = "USD" if hm.data.name == "california" else ""
    return table


# --------------------------------------------------------------------------------------
# held-out evaluation
# --------------------------------------------------------------------------------------
@dataclass
class Evaluation:
    """Coverage of the predictive intervals on the held-out test split."""

    coverage: dict
    """level -> fraction of test prices inside the central interval (recorded scale)."""
    coverage_uncensored: dict
    """level -> the same on the test rows below the censoring cap."""
    n_test: int
    n_censored: int
    median_abs_error: float
    """Median absolute error of the predictive median, in price units."""
    predictions: object
    """DataFrame: median, intervals and actual price of each test house."""


def evaluate(idata, hm: HouseModel, *, seed=1) -> Evaluation:
    """Coverage of the 50% and 90% predictive intervals on the test split.

    Predictions are of the *recorded* price (censored as the data are), so a test house
    recorded at the cap counts as covered when the interval reaches the cap, which is
    the honest check for a censored variable. Coverage on the uncensored test houses is
    reported too.
    """
    test = hm.data.test
    draws = predictive_log_price(idata, hm, test.X, test.group, seed=seed, censored=True)
    coverage, coverage_unc = {}, {}
    tol = 1e-9
    for level in INTERVALS:
        lo, hi = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2], axis=0)
        inside = (test.y >= lo - tol) & (test.y <= hi + tol)
        coverage[level] = float(inside.mean())
        coverage_unc[level] = float(inside[~test.censored].mean())
    table = interval_table(draws)
    if hm.data.censor_upper is not None:
        # exp(log(cap)) is the cap only up to rounding: snap it back, so that a house
        # recorded at the cap is inside an interval reaching the cap in dollars too
        cap = hm.data.censor_upper
        table = table.where(~np.isclose(table.to_numpy(), cap, rtol=1e-9), cap)
    table["actual"] = test.price
    table.attrs["unit"] = "USD" if hm.data.name == "california" else ""
    mae = float(np.median(np.abs(table["median"] - test.price)))
    return Evaluation(coverage, coverage_unc, len(test), int(test.censored.sum()), mae, table)
