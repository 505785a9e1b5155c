"""The house-price analysis end to end: :func:`run_analysis` (what ``bayeskit house-price`` runs).

One call loads and cleans the data, builds the chosen model variant, checks its priors
by simulation, fits it (MCMC or VI), checks the fit (diagnostics, posterior predictive
check, held-out coverage of the predictive intervals), prices new houses, and with
``compare=True`` fits the same model by the other kinds of method (MCMC, VI, bootstrap
of least squares) and compares the variants by PSIS-LOO. The returned
:class:`AnalysisResult` holds everything the report needs.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

import bayeskit as bk
from bayeskit import arviz_adapter as adapter

from . import house_plots
from .house_data import HouseData, load_dataset
from .house_price import (VARIANTS, Evaluation, HouseModel, build_model, evaluate,
                          initial_points, predict, simulate_recorded)

MCMC_METHODS = ("nuts", "hmc", "metropolis")
VI_METHODS = ("advi", "fullrank_advi", "pathfinder")
METHODS = MCMC_METHODS + VI_METHODS
COMPARISON_LEVEL = 0.9
BOOTSTRAP_RESAMPLES = 1999
MIN_BOOTSTRAP_GROUP = 30
PRIOR_DRAWS = 200
DENSE_MASS = True
"""House features are correlated (longitude and latitude above all): a dense mass matrix
halves the NUTS trajectory length on California, which more than pays for itself."""


@dataclass
class MethodFit:
    """One method's estimates of the model's coefficients: ``table`` has the columns
    estimate, low, high (a central interval at :data:`COMPARISON_LEVEL`) per parameter."""

    method: str
    seconds: float
    table: pd.DataFrame
    interval: str
    note: str = ""


@dataclass
class AnalysisResult:
    """Everything one analysis produced (and what the report shows)."""

    data: HouseData
    house_model: HouseModel
    idata: object
    method: str
    evaluation: Evaluation
    seconds: dict
    prior_summary: str
    prior_figure: bytes
    method_fits: list = field(default_factory=list)
    loo: pd.DataFrame | None = None
    house_predictions: pd.DataFrame | None = None

    @property
    def comparison(self) -> pd.DataFrame | None:
        """The method comparison in the long form ``bk.report`` takes (None without it)."""
        if not self.method_fits:
            return None
        rows = []
        for fit in self.method_fits:
            for param, r in fit.table.iterrows():
                interval = fit.interval + (f" ({fit.note})" if fit.note else "")
                rows.append((fit.method, param, r["estimate"], r["low"], r["high"],
                             fit.seconds, interval))
        return pd.DataFrame(rows, columns=["method", "parameter", "estimate", "low", "high",
                                           "seconds", "interval"])

    def coefficient_table(self) -> pd.DataFrame:
        return draws_table(self.idata, self.house_model)

    def text_summary(self) -> str:
        hm, ev = self.house_model, self.evaluation
        lines = [f"bayeskit house-price: {self.data.name}, {len(self.data.train):,} training "
                 f"and {len(self.data.test):,} test houses; variant {hm.variant}, method "
                 f"{self.method} ({self.seconds.get('fit', float('nan')):.1f}s)"]
        if self.method in MCMC_METHODS:
            lines.append("diagnostics: " + _verdict_line(self.idata))
        table = self.coefficient_table()
        lines.append(f"coefficients (standardized log-price scale; mean and "
                     f"{100 * COMPARISON_LEVEL:.0f}% interval):")
        width = max(len(p) for p in table.index)
        for param, r in table.iterrows():
            lines.append(f"  {param:<{width}}  {r['estimate']:8.3f}  "
                         f"[{r['low']:8.3f}, {r['high']:8.3f}]")
        lines.append(f"held-out coverage on {ev.n_test:,} test houses: 50% intervals "
                     f"{100 * ev.coverage[0.5]:.1f}%, 90% intervals {100 * ev.coverage[0.9]:.1f}%;"
                     f" median absolute error {ev.median_abs_error:,.0f}")
        if self.loo is not None:
            lines.append("LOO comparison of the variants (higher elpd is better):")
            for name, r in self.loo.iterrows():
                lines.append(f"  {name:<18} elpd {r['elpd']:12.1f}  se {r['se']:7.1f}  "
                             f"difference {r['elpd_diff']:9.1f}")
        for fit in self.method_fits:
            lines.append(f"method {fit.method}: {fit.seconds:.1f}s")
        return "\n".join(lines)

    def report_sections(self):
        return house_plots.report_sections(self)

    def write_report(self, path, format="html"):
        """Write the uncertainty report (HTML or Markdown) and return its path."""
        return bk.report(
            self.idata, path=path, format=format,
            comparison=self.comparison, predictions=self.evaluation.predictions,
            sections=self.report_sections(), var_names=self.house_model.param_names,
            title=f"House prices: {self.data.name} ({self.house_model.variant} model)")


def _verdict_line(idata):
    from bayeskit.report import verdict

    return verdict(idata).headline


# --------------------------------------------------------------------------------------
# summaries of draws
# --------------------------------------------------------------------------------------
def _flat_draws(idata, names):
    """name[label] -> (S,) draws, for the listed posterior variables."""
    post = adapter.get_group(idata, "posterior")
    out = {}
    for name in names:
        da = post[name]
        values = da.transpose("chain", "draw", ...).values
        values = values.reshape(values.shape[0] * values.shape[1], -1)
        extra = [d for d in da.dims if d not in ("chain", "draw")]
        labels = ([""] if not extra else
                  [f"[{v}]" for v in np.asarray(da[extra[0]].values).astype(str)])
        for j, label in enumerate(labels):
            out[f"{name}{label}"] = values[:, j]
    return out


def draws_table(idata, hm: HouseModel, names=None, level=COMPARISON_LEVEL):
    """Posterior mean and central ``level`` interval of each coefficient."""
    names = names or [n for n in hm.param_names if n != "nu"] + (["nu"] if hm.robust else [])
    rows = {}
    for key, v in _flat_draws(idata, names).items():
        lo, hi = np.quantile(v, [(1 - level) / 2, (1 + level) / 2])
        rows[key] = {"estimate": float(v.mean()), "low": float(lo), "high": float(hi)}
    return pd.DataFrame.from_dict(rows, orient="index")


# --------------------------------------------------------------------------------------
# the fits
# --------------------------------------------------------------------------------------
def fit_model(hm: HouseModel, method, *, draws, tune, chains, seed, progressbar):
    """Fit ``hm`` by ``method``; returns (inference data, seconds)."""
    start = time.perf_counter()
    if method in MCMC_METHODS:
        with warnings.catch_warnings():
            # the pointwise log-likelihood is computed on request (LOO), not stored
            warnings.filterwarnings("ignore", message=".*log-likelihood would take.*")
            idata = bk.sample(hm.model, draws=draws, tune=tune, chains=chains,
                              sampler=method, seed=seed, progressbar=progressbar,
                              dense_mass=DENSE_MASS and method != "metropolis",
                              init=initial_points(hm, chains, seed), log_likelihood=False)
    elif method in VI_METHODS:
        approx = bk.fit(hm.model, method=method, seed=seed, progressbar=progressbar)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*exceed the log-likelihood.*")
            idata = approx.sample(draws * chains, seed=seed)
    else:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    return idata, time.perf_counter() - start


def bootstrap_fit(hm: HouseModel, *, seed, level=COMPARISON_LEVEL):
    """Case-resampling bootstrap of the least-squares fit of the same regression.

    Least squares fits the Normal model's coefficients and ignores the censoring, so its
    differences from a robust or censored Bayesian fit are differences of model as much
    as of method; the comparison table says so.
    """
    train = hm.data.train
    y = hm.standardize(train.y)
    names = [f"beta[{f}]" for f in hm.data.feature_names]
    note = "least squares: Normal errors, censoring ignored"
    X = train.X
    if hm.grouped:
        # a group with a handful of rows is absent from some resamples, leaving its
        # intercept unidentified: such groups are left out of the bootstrap fit
        counts = np.bincount(train.group, minlength=len(hm.data.group_levels))
        keep = counts >= MIN_BOOTSTRAP_GROUP
        rows = keep[train.group]
        dummies = np.eye(len(counts))[train.group[rows]][:, keep]
        X, y = np.hstack([dummies, train.X[rows]]), y[rows]
        names = [f"a[{g}]" for g, k in zip(hm.data.group_levels, keep) if k] + names
        small = [g for g, k in zip(hm.data.group_levels, keep) if not k]
        if small:
            note += (f"; groups with fewer than {MIN_BOOTSTRAP_GROUP} rows left out "
                     f"({', '.join(small)})")
    else:
        X = np.hstack([np.ones((len(y), 1)), X])
        names = ["alpha"] + names
    start = time.perf_counter()
    res = bk.bootstrap_regression(X, y, n_resamples=BOOTSTRAP_RESAMPLES, method="bca",
                               confidence_level=level, names=names, seed=seed)
    seconds = time.perf_counter() - start
    table = pd.DataFrame({"estimate": res.estimate, "low": res.confidence_interval.low,
                          "high": res.confidence_interval.high}, index=res.names)
    return MethodFit("bootstrap (least squares)", seconds, table,
                     f"{100 * level:.0f}% BCa, {BOOTSTRAP_RESAMPLES} resamples",
                     note=note)


def _label(method):
    return {"nuts": "NUTS", "hmc": "HMC", "metropolis": "Metropolis", "advi": "ADVI",
            "fullrank_advi": "full-rank ADVI", "pathfinder": "Pathfinder"}[method]


def compare_methods(hm, idata, method, seconds, *, draws, tune, chains, seed, progressbar,
                    progress):
    """The chosen fit plus one fit by each other kind of method (MCMC, VI, bootstrap)."""
    level = f"{100 * COMPARISON_LEVEL:.0f}% central"
    # the regression's coefficients and scale (nu, on another scale, is in the summary)
    names = [n for n in hm.param_names if n != "nu"]
    fits = [MethodFit(_label(method), seconds, draws_table(idata, hm, names),
                      f"{level} credible")]
    others = []
    if method not in MCMC_METHODS:
        others.append("nuts")
    if method not in VI_METHODS:
        others.append("advi")
    for other in others:
        progress(f"comparison: fitting by {_label(other)}")
        other_idata, secs = fit_model(hm, other, draws=draws, tune=tune, chains=chains,
                                      seed=seed, progressbar=progressbar)
        fits.append(MethodFit(_label(other), secs, draws_table(other_idata, hm, names),
                              f"{level} credible"))
    progress("comparison: bootstrap of the least-squares fit")
    fits.append(bootstrap_fit(hm, seed=seed))
    return fits


def compare_variants(data, fitted, *, draws, tune, chains, seed, progressbar, progress):
    """PSIS-LOO of every variant (fitting by NUTS those not yet fitted)."""
    results = {}
    for variant in VARIANTS:
        if variant == "varying-intercept" and data.group_column is None:
            continue
        if variant in fitted:
            hm, idata = fitted[variant]
        else:
            progress(f"LOO: fitting the {variant} variant by NUTS")
            hm = build_model(data, variant)
            idata, _ = fit_model(hm, "nuts", draws=draws, tune=tune, chains=chains,
                                 seed=seed, progressbar=progressbar)
        progress(f"LOO: {variant}")
        bk.compute_log_likelihood(idata, hm.model)
        with warnings.catch_warnings():
            # high Pareto k values are counted in the table rather than warned about
            warnings.filterwarnings("ignore", message=".*shape parameter of Pareto.*")
            results[variant] = adapter.elpd(idata)
    best = max(r["elpd"] for r in results.values())
    table = pd.DataFrame({
        "elpd": {v: r["elpd"] for v, r in results.items()},
        "se": {v: r["se"] for v, r in results.items()},
        "p_loo": {v: r["p"] for v, r in results.items()},
        "elpd_diff": {v: r["elpd"] - best for v, r in results.items()},
        "pareto_k_above_0.7": {v: int(np.sum(r["pareto_k"] > 0.7)) for v, r in results.items()},
    }).sort_values("elpd", ascending=False)
    table.index.name = "variant"
    return table


# --------------------------------------------------------------------------------------
# the analysis
# --------------------------------------------------------------------------------------
def run_analysis(data="california", *, variant="robust", method="nuts", compare=False,
                 draws=500, tune=500, chains=4, seed=0, houses=None, progress=None,
                 progressbar=False) -> AnalysisResult:
    """Run the house-price analysis; returns an :class:`AnalysisResult`.

    ``data`` is a bundled data set name or a :class:`HouseData` (from ``from_csv`` /
    ``from_frame``). ``method``: MCMC (nuts, hmc, metropolis) or VI (advi,
    fullrank_advi, pathfinder). ``compare`` adds the method comparison (the chosen
    method, the other kind of Bayesian method, and the bootstrap) and the LOO comparison
    of the variants. ``houses``: a DataFrame of houses to price. ``progress``: a callable
    taking a message, called at each stage.
    """
    progress = progress or (lambda message: None)
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    seconds = {}
    if isinstance(data, str):
        progress(f"loading the {data} data")
        data = load_dataset(data)
    progress(f"building the {variant} model")
    start = time.perf_counter()
    hm = build_model(data, variant)
    hm.model.compile()
    seconds["compile"] = time.perf_counter() - start

    progress("prior predictive check")
    prior = simulate_recorded(hm, draws=PRIOR_DRAWS, seed=seed, cap=False)
    prior_summary, prior_figure = house_plots.prior_predictive(prior, hm)

    progress(f"fitting by {_label(method)} ({chains} chains x {draws} draws)"
             if method in MCMC_METHODS else f"fitting by {_label(method)}")
    idata, seconds["fit"] = fit_model(hm, method, draws=draws, tune=tune, chains=chains,
                                      seed=seed, progressbar=progressbar)
    progress("posterior predictive check and held-out evaluation")
    simulate_recorded(hm, idata, seed=seed)
    evaluation = evaluate(idata, hm, seed=seed + 1)
    result = AnalysisResult(data, hm, idata, method, evaluation, seconds, prior_summary,
                            prior_figure)
    if houses is not None:
        progress(f"pricing {len(houses)} houses")
        priced = predict(idata, hm, houses, seed=seed + 2)
        result.house_predictions = pd.concat([houses.reset_index(drop=True),
                                              priced.reset_index(drop=True)], axis=1)
    if compare:
        start = time.perf_counter()
        result.method_fits = compare_methods(
            hm, idata, method, seconds["fit"], draws=draws, tune=tune, chains=chains,
            seed=seed, progressbar=progressbar, progress=progress)
        fitted = {variant: (hm, idata)} if method == "nuts" else {}
        result.loo = compare_variants(data, fitted, draws=draws, tune=tune, chains=chains,
                                      seed=seed, progressbar=progressbar, progress=progress)
        seconds["compare"] = time.perf_counter() - start
    return result
