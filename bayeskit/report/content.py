"""What goes into a report, independent of how it is written (HTML or Markdown).

:func:`build_sections` turns inference data (and optional predictions, a method
comparison and caller sections) into a list of :class:`Block` s: titled sections holding
paragraphs, findings, tables (already formatted as strings) and figures (PNG bytes). The
writers in :mod:`bayeskit.report.render` only lay them out.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import arviz_adapter as adapter
from . import figures
from .verdict import verdict

MAX_PARAM_SIZE = 30
"""Variables with more entries per draw (e.g. a per-house mean) are left out of the tables
and plots by default; pass ``var_names`` to choose."""
RANK_MAX_PANELS = 12
PREDICTION_TABLE_ROWS = 15
PREDICTION_COLUMNS = ("median", "low_50", "high_50", "low_90", "high_90")
COMPARISON_COLUMNS = ("method", "parameter", "estimate", "low", "high", "seconds")


@dataclass
class Section:
    """A caller-supplied report section (data notes, evaluation, model comparison, ...).

    ``text`` is plain text; blank lines separate paragraphs and lines starting with
    ``- `` become a bulleted list. ``tables`` are pandas DataFrames (the index is shown
    when it is named); ``figures`` are matplotlib figures or PNG bytes.
    """

    title: str
    text: str = ""
    tables: list = field(default_factory=list)
    figures: list = field(default_factory=list)
    caption: str = ""


@dataclass
class Table:
    columns: list
    rows: list
    caption: str = ""


@dataclass
class Image:
    name: str
    png: bytes
    alt: str


@dataclass
class Block:
    """One rendered section: ``paragraphs`` and ``bullets`` are strings; ``findings`` are
    (status, text) pairs; ``status`` colours the section (the verdict)."""

    id: str
    title: str
    paragraphs: list = field(default_factory=list)
    bullets: list = field(default_factory=list)
    findings: list = field(default_factory=list)
    tables: list = field(default_factory=list)
    images: list = field(default_factory=list)
    preformatted: str = ""
    status: str = ""
    images_first: bool = False


# -- formatting ----------------------------------------------------------------------------
def format_value(value, fmt=None):
    """A table cell as text: NaN -> an en dash, big numbers with thousands separators."""
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, (float, np.floating)) and not np.isfinite(value)):
        return "–"
    if fmt is not None:
        return fmt.format(value)
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{value:,d}"
    if isinstance(value, (float, np.floating)):
        if abs(value) >= 1e4:
            return f"{value:,.0f}"
        return f"{value:.4g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.2e}"
    return str(value)


def table_from_frame(df, caption="", formats=None):
    """A DataFrame as a :class:`Table` of strings (the index is a column when named)."""
    formats = formats or {}
    show_index = df.index.name is not None or not isinstance(df.index, pd.RangeIndex)
    columns = ([str(df.index.name or "")] if show_index else []) + [str(c) for c in df.columns]
    rows = []
    for idx, row in df.iterrows():
        cells = [format_value(idx)] if show_index else []
        cells += [format_value(v, formats.get(c)) for c, v in row.items()]
        rows.append(cells)
    return Table(columns, rows, caption)


def _slug(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def _image(name, fig_or_bytes, alt):
    png = fig_or_bytes if isinstance(fig_or_bytes, bytes) else figures.png_bytes(fig_or_bytes)
    return Image(name, png, alt)


def _paragraphs(text):
    paragraphs, bullets = [], []
    for chunk in re.split(r"\n\s*\n", text.strip()):
        lines = [ln.strip() for ln in chunk.splitlines() if ln.strip()]
        if lines and all(ln.startswith("- ") for ln in lines):
            bullets.extend(ln[2:] for ln in lines)
        elif lines:
            paragraphs.append(" ".join(lines))
    return paragraphs, bullets


# -- choosing what to show ----------------------------------------------------------------
def default_var_names(data):
    """Parameters worth a row: not deterministics, at most :data:`MAX_PARAM_SIZE` entries."""
    post = adapter.get_group(data, "posterior")
    try:
        deterministic = set(json.loads(post.attrs.get("deterministics", "[]")))
    except (TypeError, ValueError):
        deterministic = set()
    keep, dropped = [], []
    for name, da in post.data_vars.items():
        size = int(np.prod([da.sizes[d] for d in da.dims if d not in ("chain", "draw")]))
        (dropped if name in deterministic or size > MAX_PARAM_SIZE else keep).append(name)
    return keep, dropped


def _sizes(data, names):
    post = adapter.get_group(data, "posterior")
    return {n: int(np.prod([post[n].sizes[d] for d in post[n].dims
                            if d not in ("chain", "draw")])) for n in names}


def _first_panels(data, names, limit):
    sizes, chosen, total = _sizes(data, names), [], 0
    for n in names:
        if chosen and total + sizes[n] > limit:
            break
        chosen.append(n)
        total += sizes[n]
    return chosen


# -- the sections -------------------------------------------------------------------------
RUN_ATTRS = (("sampler", "method"), ("method", "method"), ("chains", "chains"),
             ("draws", "draws per chain"), ("tune", "tuning steps per chain"),
             ("seed", "seed"), ("sampling_time", "wall time (s)"),
             ("n_grad_evals", "gradient evaluations"), ("bayeskit_version", "bayeskit"),
             ("created_at", "created"))


def run_block(data):
    attrs = adapter.get_attrs(data)
    rows = [[label, format_value(attrs[key])] for key, label in RUN_ATTRS if key in attrs]
    post = adapter.get_group(data, "posterior")
    if "chains" not in attrs:
        rows.insert(0, ["chains x draws", f"{post.sizes['chain']} x {post.sizes['draw']}"])
    return Block("run", "The run", tables=[Table(["setting", "value"], rows)])


def verdict_block(data):
    v = verdict(data)
    return Block("verdict", "Diagnostics verdict", paragraphs=[v.headline],
                 findings=v.findings, preformatted=v.details, status=v.status)


def summary_block(data, names, dropped):
    df = adapter.summary(data, var_names=names)
    keep = [c for c in ("mean", "sd", "hdi_3%", "hdi_97%", "mcse_mean", "ess_bulk",
                        "ess_tail", "r_hat") if c in df.columns]
    df = df[keep]
    df.index.name = "parameter"
    fmt = {"ess_bulk": "{:,.0f}", "ess_tail": "{:,.0f}", "r_hat": "{:.3f}"}
    text = ("Posterior mean and standard deviation of each parameter, its 94% highest-"
            "density interval, the Monte Carlo error of the mean, the effective sample "
            "sizes and R-hat.")
    if dropped:
        text += (f" Not shown (deterministic or more than {MAX_PARAM_SIZE} entries): "
                 f"{', '.join(dropped)}.")
    return Block("summary", "Posterior summary", paragraphs=[text],
                 tables=[table_from_frame(df, formats=fmt)])


def mcmc_plot_blocks(data, names):
    blocks = []
    trace = Block("trace", "Trace and rank plots", paragraphs=[
        "Left: each chain's marginal density; right: its draws in order. Healthy chains "
        "overlap and look like stationary noise. In the rank plots (below) no chain should "
        "stand out: a chain over- or under-represented in a range of ranks has not mixed."])
    trace.images.append(_image("trace", figures.trace(data, names), "trace plot"))
    rank_names = _first_panels(data, names, RANK_MAX_PANELS)
    n_panels = sum(_sizes(data, rank_names).values())
    trace.images.append(_image("rank", figures.rank(data, rank_names, n_panels), "rank plot"))
    blocks.append(trace)
    blocks.append(Block("forest", "Forest plot", paragraphs=[
        "Each parameter's posterior: a point estimate with a narrower (thick) and a wider "
        "(thin) credible interval."],
        images=[_image("forest", figures.forest(data, names), "forest plot")]))
    stats = adapter.get_group(data, "sample_stats")
    if stats is not None and "energy" in stats:
        blocks.append(Block("energy", "Energy plot", paragraphs=[
            "The marginal energy distribution against the energy change between draws. "
            "When the transition distribution is much narrower than the marginal one "
            "(low E-BFMI), the sampler explores the posterior slowly."],
            images=[_image("energy", figures.energy(data), "energy plot")]))
    return blocks


def ppc_block(data):
    observed = adapter.get_group(data, "observed_data")
    predictive = adapter.get_group(data, "posterior_predictive")
    block = Block("ppc", "Posterior predictive check")
    if observed is None or predictive is None:
        block.paragraphs.append(
            "No posterior predictive draws in these results, so the model's fit to the data "
            "cannot be shown. Add them with bk.sample_posterior_predictive(model, idata).")
        return block
    names = [n for n in observed.data_vars if n in predictive.data_vars]
    block.paragraphs.append(
        "The distribution of the observed data against data sets simulated from the "
        "fitted model. If the model describes the data, the observed curve looks like "
        "one of the simulated ones.")
    block.images.append(_image("ppc", figures.ppc(data, names), "posterior predictive check"))
    return block


def _check_frame(frame, what, columns, hint):
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame with the columns "
                        f"{list(columns)}, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} lacks the columns {missing}; expected {list(columns)} "
                         f"({hint})")


def check_predictions(predictions):
    _check_frame(predictions, "predictions", PREDICTION_COLUMNS, "and optionally 'actual'")


def check_comparison(comparison):
    _check_frame(comparison, "comparison", COMPARISON_COLUMNS,
                 "one row per method and parameter")


def predictions_block(predictions):
    unit = predictions.attrs.get("unit", "")
    block = Block("predictions", "Predictions with intervals", images_first=True, paragraphs=[
        "For each case: the median of the posterior predictive distribution and the "
        "intervals that hold the value with 50% and 90% probability under the model."])
    if "actual" in predictions.columns:
        a = predictions["actual"]
        c50 = np.mean((a >= predictions["low_50"]) & (a <= predictions["high_50"]))
        c90 = np.mean((a >= predictions["low_90"]) & (a <= predictions["high_90"]))
        block.paragraphs.append(
            f"Against the {len(predictions):,} actual values: the 50% intervals hold "
            f"{100 * c50:.1f}% of them and the 90% intervals {100 * c90:.1f}%. Calibrated "
            "intervals hold close to 50% and 90%.")
    block.images.append(_image("predictions", figures.prediction_intervals(
        predictions, unit=unit), "prediction intervals"))
    shown = predictions.head(PREDICTION_TABLE_ROWS)
    fmt = {c: "{:,.0f}" for c in PREDICTION_COLUMNS + ("actual",)} if unit else None
    caption = (f"The first {len(shown)} of {len(predictions):,}"
               f"{f' (values in {unit})' if unit else ''}.")
    block.tables.append(table_from_frame(shown, caption=caption, formats=fmt))
    return block


def comparison_block(comparison):
    methods = list(dict.fromkeys(comparison["method"]))
    params = list(dict.fromkeys(comparison["parameter"]))
    cells = {(r.method, r.parameter): f"{r.estimate:.3g} [{r.low:.3g}, {r.high:.3g}]"
             for r in comparison.itertuples()}
    rows = [[p] + [cells.get((m, p), "–") for m in methods] for p in params]
    seconds = comparison.groupby("method", sort=False)["seconds"].first()
    rows.append(["time (s)"] + [format_value(float(seconds[m])) for m in methods])
    text = ("The same model estimated by each method: estimate and interval "
            "[low, high] per parameter, and the time each method took.")
    if "interval" in comparison.columns:
        kinds = comparison.groupby("method", sort=False)["interval"].first()
        text += " Intervals: " + "; ".join(f"{m}: {kinds[m]}" for m in methods) + "."
    return Block("comparison", "Method comparison", paragraphs=[text],
                 tables=[Table(["parameter"] + methods, rows)],
                 images=[_image("comparison", figures.method_comparison(comparison),
                                "method comparison")])


def model_block(model):
    describe = getattr(model, "describe", None)
    text = describe() if callable(describe) else repr(model)
    if text.startswith("<") and " object at 0x" in text:
        return None
    return Block("model", "The model", preformatted=text)


def section_block(section, used_ids):
    sid = _slug(section.title)
    while sid in used_ids:
        sid += "-x"
    paragraphs, bullets = _paragraphs(section.text)
    block = Block(sid, section.title, paragraphs=paragraphs, bullets=bullets)
    for i, df in enumerate(section.tables):
        block.tables.append(table_from_frame(df, caption=section.caption if i == 0 else ""))
    for i, fig in enumerate(section.figures):
        block.images.append(_image(f"{sid}-{i + 1}", fig, section.title))
    return block


def build_sections(data, *, model=None, var_names=None, comparison=None,
                   predictions=None, sections=()):
    """All the report's blocks in reading order."""
    if adapter.get_group(data, "posterior") is None:
        raise ValueError("the report needs inference data with a posterior group")
    names, dropped = default_var_names(data)
    if var_names is not None:
        names = [var_names] if isinstance(var_names, str) else list(var_names)
        dropped = []
    if not names:
        raise ValueError("no parameters to report: every posterior variable is "
                         "deterministic or too large; pass var_names")
    if predictions is not None:
        check_predictions(predictions)
    if comparison is not None:
        check_comparison(comparison)
    for section in sections or ():
        if not isinstance(section, Section):
            raise TypeError(f"sections must be bayeskit.report.Section objects, got "
                            f"{type(section).__name__}")
    blocks = [run_block(data), verdict_block(data), summary_block(data, names, dropped)]
    if model is not None and (mb := model_block(model)) is not None:
        blocks.append(mb)
    blocks += mcmc_plot_blocks(data, names)
    blocks.append(ppc_block(data))
    if predictions is not None:
        blocks.append(predictions_block(predictions))
    if comparison is not None:
        blocks.append(comparison_block(comparison))
    used = {b.id for b in blocks}
    for section in sections or ():
        block = section_block(section, used)
        used.add(block.id)
        blocks.append(block)
    return blocks
