"""The house-price report's own sections: data cleaning, model, prior check, evaluation.

The generic parts of the report (diagnostics, trace/forest/energy plots, posterior
predictive check, method comparison) come from ``bk.report``; this module adds what is
specific to the house-price analysis, as ``bayeskit.report.Section`` objects.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from bayeskit import arviz_adapter as adapter  # noqa: E402
from bayeskit.report import Section  # noqa: E402
from bayeskit.report.figures import png_bytes  # noqa: E402


def _money(value, unit):
    return f"${value:,.0f}" if unit == "USD" else f"{value:,.0f}"


def _short_money(value, unit):
    """1000 -> $1k, 1e6 -> $1M: tick labels that do not collide."""
    for size, suffix in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if value >= size:
            text = f"{value / size:g}{suffix}"
            break
    else:
        text = f"{value:g}"
    return f"${text}" if unit == "USD" else text


def prior_predictive(prior, hm):
    """Prices simulated from the priors against the observed prices.

    Returns a one-sentence summary and the figure (PNG bytes): histograms of log price,
    observed (training rows) and simulated (all prior predictive draws pooled).
    """
    sim = adapter.get_group(prior, "prior_predictive")["y"].values.ravel()
    log_sim = hm.y_mean + hm.y_sd * sim
    log_obs = hm.data.train.y
    unit = "USD" if hm.data.name == "california" else ""
    lo, med, hi = np.exp(np.quantile(log_sim, [0.05, 0.5, 0.95]))
    obs_lo, obs_hi = np.exp(np.quantile(log_obs, [0.05, 0.95]))
    summary = (f"Under the priors alone, 90% of simulated prices fall between "
               f"{_money(lo, unit)} and {_money(hi, unit)} (median {_money(med, unit)}); "
               f"90% of the observed prices lie between {_money(obs_lo, unit)} and "
               f"{_money(obs_hi, unit)}. The priors cover every observed price with room to "
               f"spare without piling up on absurd values: weakly informative, as intended.")
    fig, ax = plt.subplots(figsize=(8, 3.5))
    span = np.quantile(log_sim, [0.002, 0.998])
    bins = np.linspace(min(span[0], log_obs.min()), max(span[1], log_obs.max()), 80)
    ax.hist(np.clip(log_sim, bins[0], bins[-1]), bins=bins, density=True, alpha=0.55,
            color="#9ecae1", label="simulated from the priors")
    ax.hist(log_obs, bins=bins, density=True, histtype="step", lw=1.8, color="black",
            label="observed (training houses)")
    decades = np.arange(np.ceil(bins[0] / np.log(10)), np.floor(bins[-1] / np.log(10)) + 1)
    ax.set_xticks(decades * np.log(10), [_short_money(10.0 ** k, unit) for k in decades])
    ax.set_xlabel("price (log scale)")
    ax.set_yticks([])
    ax.legend(frameon=False, fontsize=8)
    return summary, png_bytes(fig)


def report_sections(result):
    """The house-price sections of the report, in reading order."""
    sections = [_data_section(result), _model_section(result),
                Section("Prior predictive check", result.prior_summary,
                        figures=[result.prior_figure]),
                _evaluation_section(result)]
    if result.loo is not None:
        sections.append(_loo_section(result))
    if result.house_predictions is not None:
        sections.append(Section("Priced houses", "The houses given to price: median and "
                                "50%/90% predictive intervals of each price.",
                                tables=[result.house_predictions]))
    return sections


def _data_section(result):
    d = result.data
    censored = int(d.train.censored.sum() + d.test.censored.sum())
    text = (f"{len(d.train) + len(d.test):,} houses ({d.name}); the price column is "
            f"{d.price_column!r}. {len(d.feature_names)} features after cleaning: "
            f"{', '.join(d.feature_names)}.")
    if d.censor_upper is not None:
        text += (f" {censored:,} prices are recorded at the cap {d.censor_upper:,.0f} and "
                 "enter the model as right-censored values.")
    text += "\n\nCleaning, step by step:\n\n" + "\n".join(f"- {s}" for s in d.cleaning_log)
    return Section("Data and cleaning", text)


VARIANT_TEXT = {
    "pooled": "one intercept for all houses, Normal errors",
    "varying-intercept": "an intercept per group drawn from a common Normal(alpha, tau), "
                         "Normal errors",
    "robust": "an intercept per group (when the data have groups) and Student-t errors, "
              "whose degrees of freedom nu are estimated, so unusual houses do not widen "
              "every interval",
}


def _model_section(result):
    hm = result.house_model
    text = (f"Variant {hm.variant!r}: {VARIANT_TEXT[hm.variant]}. The response is log "
            f"price, standardized with the training mean {hm.y_mean:.3f} and standard "
            f"deviation {hm.y_sd:.3f}; the features are standardized too, so one set of "
            "weakly informative priors fits: alpha ~ Normal(0, 1), beta ~ Normal(0, 1), "
            "sigma ~ HalfNormal(1)"
            + (", tau ~ HalfNormal(1)" if hm.grouped else "")
            + (", nu ~ Gamma(2, 0.1)" if hm.robust else "") + ".")
    if hm.censor_std is not None:
        text += (" Prices at the cap enter through bk.Censored: their likelihood is the "
                 "probability that the price is at least the cap.")
    if hm.parameterization is not None:
        text += ("\n\nCentered or non-centered group intercepts, chosen group by group from "
                 "the data (centered where the group's own data dominate its prior). "
                 + hm.parameterization.describe())
    return Section("The house-price model", text)


def _evaluation_section(result):
    ev = result.evaluation
    unit = ev.predictions.attrs.get("unit", "")
    table = pd.DataFrame({
        "nominal": ["50%", "90%"],
        "coverage, all test houses": [f"{100 * ev.coverage[q]:.1f}%" for q in (0.5, 0.9)],
        "coverage, below the cap": [f"{100 * ev.coverage_uncensored[q]:.1f}%"
                                    for q in (0.5, 0.9)],
    })
    text = (f"The fixed test split holds {ev.n_test:,} houses the model never saw "
            f"({ev.n_censored} of them at the price cap). For each, the posterior "
            "predictive distribution of its recorded price gives a 50% and a 90% interval; "
            "calibrated intervals hold about 50% and 90% of the actual prices. A house at "
            "the cap counts as covered when its interval reaches the cap. The median "
            f"absolute error of the predicted median is {_money(ev.median_abs_error, unit)}.")
    return Section("Held-out evaluation", text, tables=[table])


def _loo_section(result):
    text = ("Expected log predictive density by Pareto-smoothed importance-sampling "
            "leave-one-out cross-validation (PSIS-LOO) for each model variant, fitted to "
            "the training houses by NUTS; higher is better, elpd_diff is the gap to the "
            "best, se its standard error. Pareto k above 0.7 marks houses whose LOO "
            "estimate is unreliable.")
    return Section("Model comparison by LOO", text, tables=[result.loo])
