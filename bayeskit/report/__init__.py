"""The uncertainty report: ``bk.report(idata, ...)`` writes one readable file.

HTML (default): a single self-contained file (figures embedded as base64 PNGs, styles
inline, no external URLs) with the run settings, a plain-language diagnostics verdict, the
posterior summary, trace/rank, forest and energy plots, the posterior predictive check,
and, when given, prediction intervals, a method comparison and the caller's own sections.
Markdown: the same content, figures written as PNG files beside the report.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from .content import COMPARISON_COLUMNS, PREDICTION_COLUMNS, Section, build_sections
from .render import FORMATS, render_html, render_markdown
from .verdict import Verdict, verdict

__all__ = ["report", "Section", "Verdict", "verdict", "COMPARISON_COLUMNS",
           "PREDICTION_COLUMNS"]


def report(idata, model=None, path="report.html", format="html", *, comparison=None,
           predictions=None, sections=(), var_names=None, title="Bayesian analysis report",
           subtitle=None):
    """Write an uncertainty report of ``idata`` to ``path``; return the path.

    Parameters
    ----------
    idata : ArviZ inference data (e.g. from ``bk.sample``) with a posterior group.
    model : optional ``bk.Model``; its description is included.
    path : output file; ``format`` is ``"html"`` (one self-contained file) or
        ``"markdown"`` (figures in ``<stem>_figures/`` beside it).
    comparison : optional DataFrame, one row per (method, parameter), with the columns
        ``method, parameter, estimate, low, high, seconds`` (and optionally ``interval``,
        a description such as "90% credible"): MCMC vs VI vs bootstrap side by side.
    predictions : optional DataFrame with ``median, low_50, high_50, low_90, high_90``
        (and optionally ``actual`` and label columns); ``predictions.attrs["unit"]``
        names the unit (e.g. "USD").
    sections : extra :class:`Section` s appended in order (data notes, evaluation, ...).
    var_names : parameters for the tables and plots (default: all non-deterministic
        posterior variables with at most 30 entries).
    """
    if format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {format!r}")
    path = Path(path)
    if path.parent and not path.parent.exists():
        raise ValueError(f"the folder {str(path.parent)!r} for the report does not exist")
    blocks = build_sections(idata, model=model, var_names=var_names, comparison=comparison,
                            predictions=predictions, sections=sections)
    if subtitle is None:
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        subtitle = f"Written by bayeskit on {stamp}"
    if format == "html":
        text = render_html(blocks, title=title, subtitle=subtitle)
    else:
        text = render_markdown(blocks, title=title, subtitle=subtitle, path=path)
    path.write_text(text, encoding="utf-8")
    return path
