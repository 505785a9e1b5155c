"""Figures for the report: diagnostic plots through the ArviZ adapter, and our own plots.

Every figure becomes PNG bytes (:func:`png_bytes`) so the HTML report can embed it and the
Markdown report can write it beside itself. ArviZ plots come only from
:mod:`bayeskit.arviz_adapter`; prediction intervals and the method comparison are plain
matplotlib (ArviZ has no plot for either).
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # reports are written headless (CLI, CI); never open a window
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .. import arviz_adapter as adapter  # noqa: E402

DPI = 90
PPC_DRAWS = 60
"""Predictive draws overlaid in the posterior predictive check (enough to see the spread)."""
MAX_PREDICTION_ROWS = 60
"""Houses shown in the prediction-interval plot (a sample when there are more)."""


def png_bytes(fig, dpi=DPI) -> bytes:
    """Render ``fig`` to PNG bytes and close it (reports make many figures)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
    plt.close(fig)
    return buf.getvalue()


def _options(**kw):
    """ArviZ 0.x plot options; ArviZ 1.x plots take other keywords, so it gets its defaults
    (the adapter passes keywords through unchanged)."""
    return {} if adapter.IS_ARVIZ_1 else kw


def _sized(fig, width, height):
    """Give a figure the size the report needs, whatever ArviZ chose, and space the panels
    (ArviZ's default spacing lets titles touch the tick labels above them)."""
    fig.set_size_inches(width, height)
    fig.tight_layout(h_pad=1.2)
    return fig


def trace(data, var_names):
    """One row per variable (vector entries overlaid): densities left, draws right."""
    fig = adapter.plot_trace(data, var_names=var_names, **_options(compact=True))
    return _sized(fig, 11, 2.3 * len(var_names) + 0.4)


def rank(data, var_names, n_panels):
    """One panel per scalar entry, three to a row."""
    rows = -(-n_panels // 3)
    return _sized(adapter.plot_rank(data, var_names=var_names), 11, 2.8 * rows + 0.4)


def forest(data, var_names):
    return adapter.plot_forest(data, var_names=var_names,
                               **_options(combined=True, hdi_prob=0.9))


def energy(data):
    return adapter.plot_energy(data)


PPC_RANGE = (0.001, 0.999)
"""Quantiles of the pooled predictive draws that bound the predictive check's x-axis."""


def ppc(data, var_names):
    """Observed data against predictive draws, the x-axis spanning the observed values and
    the central 99.8% of the predictive draws: a few extreme draws of a heavy-tailed
    likelihood (Student-t) would otherwise stretch it until the bulk is a spike."""
    fig = adapter.plot_ppc(data, var_names=var_names,
                           **_options(num_pp_samples=PPC_DRAWS, random_seed=0))
    names = [var_names] if isinstance(var_names, str) else list(var_names or [])
    if len(names) == 1:
        observed = np.asarray(adapter.get_group(data, "observed_data")[names[0]], float)
        predicted = np.asarray(adapter.get_group(data, "posterior_predictive")[names[0]],
                               float)
        low, high = np.nanquantile(predicted, PPC_RANGE)
        low, high = min(low, np.nanmin(observed)), max(high, np.nanmax(observed))
        pad = 0.02 * (high - low)
        for ax in fig.axes:
            if ax.has_data():
                ax.set_xlim(low - pad, high + pad)
    return fig


def prediction_intervals(predictions, label_column=None, unit=""):
    """Median and 50%/90% intervals of each predicted value, with the actual value if known.

    ``predictions`` is a DataFrame with ``median, low_50, high_50, low_90, high_90`` and
    optionally ``actual``. At most :data:`MAX_PREDICTION_ROWS` rows (an evenly spaced
    sample in order of the median) are drawn.
    """
    df = predictions.sort_values("median").reset_index(drop=True)
    if len(df) > MAX_PREDICTION_ROWS:
        df = df.iloc[np.linspace(0, len(df) - 1, MAX_PREDICTION_ROWS).round().astype(int)]
    x = np.arange(len(df))
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.vlines(x, df["low_90"], df["high_90"], color="#9ecae1", lw=3, label="90% interval")
    ax.vlines(x, df["low_50"], df["high_50"], color="#3182bd", lw=5, label="50% interval")
    ax.plot(x, df["median"], "_", color="black", ms=9, label="median")
    if "actual" in df:
        covered = (df["actual"] >= df["low_90"]) & (df["actual"] <= df["high_90"])
        ax.plot(x[covered], df["actual"][covered], ".", color="#31a354",
                label="actual (inside 90%)")
        ax.plot(x[~covered], df["actual"][~covered], "x", color="#de2d26",
                label="actual (outside 90%)")
    ax.set_xlabel("prediction, sorted by median" if label_column is None else label_column)
    ax.set_ylabel(f"predicted value{f' ({unit})' if unit else ''}")
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    ax.grid(axis="y", alpha=0.3)
    ax.set_xticks([])
    return fig


def method_comparison(comparison):
    """Estimates and intervals of each parameter under each method, side by side."""
    params = list(dict.fromkeys(comparison["parameter"]))
    methods = list(dict.fromkeys(comparison["method"]))
    colors = plt.cm.tab10(np.arange(len(methods)) % 10)
    height = 0.8 / max(len(methods), 1)
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(params) * max(1, len(methods) / 2) + 1.2))
    for m, (method, color) in enumerate(zip(methods, colors)):
        rows = comparison[comparison["method"] == method].set_index("parameter")
        ys, est, lo, hi = [], [], [], []
        for p, param in enumerate(params):
            if param in rows.index:
                ys.append(p + (m - (len(methods) - 1) / 2) * height)
                est.append(rows.loc[param, "estimate"])
                lo.append(rows.loc[param, "low"])
                hi.append(rows.loc[param, "high"])
        ax.hlines(ys, lo, hi, color=color, lw=2)
        ax.plot(est, ys, "o", color=color, ms=4, label=method)
    ax.set_yticks(np.arange(len(params)), params)
    ax.invert_yaxis()
    ax.axvline(0.0, color="grey", lw=0.8, ls=":")
    ax.legend(fontsize=8, frameon=False, loc="best")
    ax.grid(axis="x", alpha=0.3)
    return fig
