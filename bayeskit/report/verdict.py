"""A plain-language verdict on a set of draws: can a reader trust these numbers?

The checks themselves are :func:`bayeskit.diagnostics.diagnose` (Stan's post-sampling
checks); this module only turns its :class:`~bayeskit.diagnostics.Diagnosis` into a
headline and a short list a non-specialist can act on. Draws that do not come from MCMC
(variational inference, bootstrap) get a verdict that says what they are instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import arviz_adapter as adapter
from ..diagnostics import diagnose

MCMC_SAMPLERS = ("nuts", "hmc", "metropolis")
SERIOUS = ("divergences", "rhat", "ess_bulk", "ess_tail", "partial")
"""Problems that make the estimates unreliable (tree depth and E-BFMI cost efficiency or
hint at geometry, but do not by themselves invalidate the draws)."""


@dataclass
class Verdict:
    """``status`` is ``"ok"``, ``"caution"``, ``"problem"`` or ``"approximation"``."""

    status: str
    headline: str
    findings: list = field(default_factory=list)
    """(status, text) pairs, one per check, in reading order."""
    details: str = ""
    """The full diagnostic report (``repr`` of the Diagnosis), for the curious."""


def _method(data):
    attrs = adapter.get_attrs(data)
    return str(attrs.get("sampler") or attrs.get("method") or "").lower()


def verdict(data) -> Verdict:
    """Judge the draws in ``data`` (ArviZ inference data) in plain language."""
    method = _method(data)
    stats = adapter.get_group(data, "sample_stats")
    if method not in MCMC_SAMPLERS and (stats is None or method):
        label = method or "a method other than MCMC"
        return Verdict(
            "approximation",
            f"These draws come from {label}, an approximation rather than MCMC: the "
            "convergence checks below do not apply. Means are usually close; uncertainty "
            "(especially in the tails) can be too narrow. Compare with an MCMC run before "
            "relying on the intervals.")
    diagnosis = diagnose(data, warn=False)
    findings = _findings(diagnosis)
    serious = [p for p in diagnosis.problems if p.check in SERIOUS]
    if not diagnosis.problems:
        status = "ok"
        headline = (f"The sampler worked well: the {diagnosis.chains} chains agree, every "
                    "check passed, and the estimates below can be trusted as summaries of "
                    "the model's posterior. (Whether the model itself fits the data is what "
                    "the posterior predictive check shows.)")
    elif serious:
        status = "problem"
        names = ", ".join(sorted({p.check for p in serious}))
        headline = (f"Do not rely on these estimates yet: {len(serious)} serious "
                    f"check(s) failed ({names}). The notes below say what to try.")
    else:
        status = "caution"
        headline = ("Usable, with care: the draws look valid but the sampler worked "
                    "inefficiently or met awkward geometry (see below).")
    return Verdict(status, headline, findings, repr(diagnosis))


def _findings(d):
    out = []
    failed = {p.check: p for p in d.problems}
    if d.divergences is not None:
        if "divergences" in failed:
            out.append(("problem", failed["divergences"].message))
        else:
            out.append(("ok", "No divergent transitions: the sampler followed the "
                              "posterior's curvature everywhere it went."))
    if d.rhat:
        worst = max(d.rhat.values())
        if "rhat" in failed:
            out.append(("problem", failed["rhat"].message))
        else:
            out.append(("ok", f"The chains agree with each other (largest R-hat "
                              f"{worst:.3f}, below 1.01)."))
    elif d.chains == 1:
        out.append(("caution", "Only one chain was run, so agreement between chains "
                               "(R-hat) cannot be checked; run at least 4."))
    for kind in ("bulk", "tail"):
        ess = getattr(d, f"ess_{kind}")
        key = f"ess_{kind}"
        if key in failed:
            out.append(("problem", failed[key].message))
        elif ess:
            what = "means and medians" if kind == "bulk" else "interval ends"
            out.append(("ok", f"Enough effective draws for {what} (smallest {kind} "
                              f"ESS {min(ess.values()):,.0f})."))
    for key in ("treedepth", "ebfmi", "partial"):
        if key in failed:
            out.append(("problem" if key in SERIOUS else "caution", failed[key].message))
    return out
