"""``bk.summary`` and ``bk.diagnose``: is this MCMC run trustworthy, and if not, what next.

``diagnose`` runs the checks Stan runs after sampling: divergent transitions, split R-hat
above 1.01, bulk and tail effective sample size under 100 per chain, transitions that hit
the maximum tree depth, and E-BFMI under 0.3. It returns a :class:`Diagnosis` (a readable
report as its ``repr``) and, by default, issues one :class:`SamplingWarning` per problem,
each saying what to try.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field

import numpy as np

from . import arviz_adapter

__all__ = ["summary", "diagnose", "Diagnosis", "Problem", "SamplingWarning"]


class SamplingWarning(UserWarning):
    """A diagnostic check of an MCMC run failed."""


def summary(data, var_names=None, *, group="posterior", hdi_prob=0.94, **kw):
    """Posterior summary table: mean, sd, HDI, MCSE, bulk/tail ESS and R-hat per entry.

    A pandas DataFrame of numbers, the same on both ArviZ lines (see
    :func:`bayeskit.arviz_adapter.summary`).
    """
    return arviz_adapter.summary(data, var_names=var_names, group=group, hdi_prob=hdi_prob,
                                 **kw)


@dataclass
class Problem:
    """One failed check: which, how bad, for which variables, and what to try."""

    check: str
    message: str
    variables: list = field(default_factory=list)


@dataclass
class Diagnosis:
    """Result of :func:`diagnose`. ``ok`` is true when every check passed.

    Fields hold the measured quantities: counts of divergent and max-tree-depth
    transitions, the worst R-hat and the smallest bulk/tail ESS per variable, and the
    E-BFMI of each chain (None where the sampler does not record what a check needs).
    """

    chains: int
    draws: int
    problems: list
    divergences: int | None = None
    max_treedepth_hits: int | None = None
    rhat: dict = field(default_factory=dict)
    ess_bulk: dict = field(default_factory=dict)
    ess_tail: dict = field(default_factory=dict)
    ebfmi: np.ndarray | None = None
    partial: bool = False

    @property
    def ok(self):
        return not self.problems

    def __repr__(self):
        lines = [f"Diagnosis of {self.chains} chains x {self.draws} draws"
                 + (" (PARTIAL run, interrupted)" if self.partial else "")]
        if self.divergences is not None:
            lines.append(f"  divergent transitions: {self.divergences}")
        if self.max_treedepth_hits is not None:
            lines.append(f"  transitions at max tree depth: {self.max_treedepth_hits}")
        if self.rhat:
            worst = max(self.rhat, key=self.rhat.get)  # entries like "beta[a]"
            lines.append(f"  max R-hat: {self.rhat[worst]:.3f} ({worst})")
        for label, ess in (("bulk", self.ess_bulk), ("tail", self.ess_tail)):
            if ess:
                worst = min(ess, key=ess.get)
                lines.append(f"  min {label} ESS: {ess[worst]:.0f} ({worst})")
        if self.ebfmi is not None:
            lines.append("  E-BFMI per chain: "
                         + ", ".join(f"{v:.2f}" for v in np.ravel(self.ebfmi)))
        if self.ok:
            lines.append("No problems detected.")
        for p in self.problems:
            lines.append(f"[{p.check}] {p.message}")
        return "\n".join(lines)

    __str__ = __repr__


def _entries(ds):
    """Flatten a diagnostic Dataset to ``{"beta[a]": value}`` (coordinate labels where
    the dimension has them), skipping NaN (e.g. constant entries)."""
    out = {}
    for name, da in ds.data_vars.items():
        values = np.asarray(da.values, dtype=float)
        labels = [da.coords[d].values if d in da.coords else np.arange(n)
                  for d, n in zip(da.dims, values.shape)]
        for index in np.ndindex(values.shape):
            if np.isfinite(values[index]):
                key = name if not index else (
                    name + "[" + ", ".join(str(lab[i]) for lab, i in zip(labels, index)) + "]")
                out[key] = float(values[index])
    return out


def _listing(keys, limit=8):
    keys = list(keys)
    shown = ", ".join(keys[:limit])
    return shown + (f" and {len(keys) - limit} more" if len(keys) > limit else "")


def _parameters(data, var_names):
    post = arviz_adapter.get_group(data, "posterior")
    if post is None:
        raise ValueError("diagnose needs a posterior group (the result of bk.sample)")
    if var_names is not None:
        return [var_names] if isinstance(var_names, str) else list(var_names)
    try:
        deterministic = set(json.loads(post.attrs.get("deterministics", "[]")))
    except (TypeError, ValueError):
        deterministic = set()
    return [v for v in post.data_vars if v not in deterministic]


def _stat(stats, name):
    if stats is None or name not in stats:
        return None
    return np.asarray(stats[name].values)


def diagnose(data, *, var_names=None, rhat_threshold=1.01, min_ess_per_chain=100,
             ebfmi_threshold=0.3, warn=True):
    """Check an MCMC run like Stan does; return a :class:`Diagnosis`.

    ``var_names`` defaults to the model's parameters (deterministics are derived from
    them). With ``warn`` (default) each problem is also issued as a
    :class:`SamplingWarning`. ``print(bk.diagnose(idata))`` shows the full report.
    """
    names = _parameters(data, var_names)
    post = arviz_adapter.get_group(data, "posterior")
    chains, draws = int(post.sizes["chain"]), int(post.sizes["draw"])
    stats = arviz_adapter.get_group(data, "sample_stats")
    n = chains * draws
    problems = []
    result = Diagnosis(chains=chains, draws=draws, problems=problems,
                       partial=bool(post.attrs.get("partial", 0)))

    diverging = _stat(stats, "diverging")
    if diverging is not None:
        result.divergences = int(np.sum(diverging))
        if result.divergences:
            problems.append(Problem("divergences", (
                f"{result.divergences} of {n} transitions ({100 * result.divergences / n:.1f}"
                "%) diverged: the sampler could not follow the posterior's curvature, so "
                "estimates may be biased. Try a higher target_accept (e.g. 0.95 or 0.99); "
                "if divergences remain, reparameterize (e.g. non-centered hierarchical "
                "effects) or use more informative priors.")))

    hit = _stat(stats, "reached_max_treedepth")
    depth_stat, max_depth = _stat(stats, "tree_depth"), post.attrs.get("max_treedepth")
    if hit is None and depth_stat is not None and isinstance(max_depth, (int, np.integer)):
        hit = depth_stat >= max_depth
    if hit is not None:
        result.max_treedepth_hits = int(np.sum(hit))
        if result.max_treedepth_hits:
            depth = arviz_adapter.get_attrs(data).get("max_treedepth", "the maximum")
            problems.append(Problem("treedepth", (
                f"{result.max_treedepth_hits} of {n} transitions ({100 * hit.mean():.1f}%) "
                f"hit the maximum tree depth ({depth}): an efficiency problem, not a "
                "validity one. Try max_treedepth=12 or more, dense_mass=True for strongly "
                "correlated parameters, or rescale/reparameterize the model.")))

    energy = _stat(stats, "energy")
    if energy is not None and draws >= 3:
        result.ebfmi = arviz_adapter.bfmi(energy)
        low = [int(c) for c in np.flatnonzero(result.ebfmi < ebfmi_threshold)]
        if low:
            problems.append(Problem("ebfmi", (
                f"chains {low} have E-BFMI below {ebfmi_threshold} ("
                + ", ".join(f"{result.ebfmi[c]:.2f}" for c in low)
                + "): momentum resampling explores the energy distribution poorly, often a "
                "sign of heavy tails or funnel geometry. Try reparameterizing (non-centered "
                "parameterization, rescaled parameters) or a longer warmup (tune)."), low))

    if chains * draws >= 4 and draws >= 4:
        rhat = arviz_adapter.rhat(data, var_names=names)
        result.rhat = _entries(rhat)
        bad = sorted((k for k, v in result.rhat.items() if v > rhat_threshold),
                     key=result.rhat.get, reverse=True)
        if bad:
            worst = result.rhat[bad[0]]
            problems.append(Problem("rhat", (
                f"R-hat above {rhat_threshold} for {_listing(bad)} (max {worst:.3f}): the "
                "chains disagree, so they have not converged to one distribution. Run longer "
                "(more tune and draws); if it persists look for multimodality or "
                "non-identified parameters and reparameterize or add prior information."),
                bad))
        need = min_ess_per_chain * chains
        for method, store in (("bulk", result.ess_bulk), ("tail", result.ess_tail)):
            store.update(_entries(arviz_adapter.ess(data, var_names=names, method=method)))
            bad = sorted((k for k, v in store.items() if v < need), key=store.get)
            if bad:
                worst = store[bad[0]]
                what = ("means and medians" if method == "bulk"
                        else "quantiles and intervals")
                problems.append(Problem(f"ess_{method}", (
                    f"{method} effective sample size below {min_ess_per_chain} per chain "
                    f"({need} in total) for {_listing(bad)} (min {worst:.0f}): {what} are "
                    "unreliable. Run more draws; if ESS per draw stays low, reparameterize or use "
                    "dense_mass=True for correlated parameters."), bad))

    if result.partial:
        problems.append(Problem("partial", (
            "this run was interrupted (attrs['partial']): the draws are a truncated run. "
            "Rerun to completion before relying on the estimates.")))
    if warn:
        for p in problems:
            warnings.warn(f"[{p.check}] {p.message}", SamplingWarning, stacklevel=2)
    return result
