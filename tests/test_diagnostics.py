"""bk.diagnose and bk.summary: Stan's post-sampling checks, on constructed and real runs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import bayeskit as bk
from bayeskit import arviz_adapter as ad
from bayeskit.diagnostics import SamplingWarning

import inference_densities as dens

CHAINS, DRAWS = 4, 500


def _run(posterior, **stats):
    base = {"diverging": np.zeros((CHAINS, DRAWS), bool),
            "reached_max_treedepth": np.zeros((CHAINS, DRAWS), bool),
            "energy": np.random.default_rng(9).normal(size=(CHAINS, DRAWS))}
    base.update(stats)
    return ad.make_inference_data(posterior, sample_stats=base,
                                  coords={"k": ["a", "b"]}, dims={"beta": ["k"]},
                                  attrs={"max_treedepth": 10})


def _iid(seed=0):
    rng = np.random.default_rng(seed)
    return {"mu": rng.normal(size=(CHAINS, DRAWS)),
            "beta": rng.normal(size=(CHAINS, DRAWS, 2))}


def test_clean_run_passes_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error", SamplingWarning)
        result = bk.diagnose(_run(_iid()))
    assert result.ok and result.divergences == 0 and result.max_treedepth_hits == 0
    assert max(result.rhat.values()) < 1.01 and min(result.ess_bulk.values()) > 1000
    assert set(result.rhat) == {"mu", "beta[a]", "beta[b]"}
    assert "No problems detected" in repr(result)


@pytest.mark.parametrize("check, advice", [
    ("divergences", "target_accept"), ("treedepth", "max_treedepth"),
    ("ebfmi", "reparameterizing"), ("rhat", "Run longer"),
    ("ess_bulk", "more draws"), ("ess_tail", "more draws"),
])
def test_each_check_flags_its_problem(check, advice):
    rng = np.random.default_rng(1)
    post, stats = _iid(), {}
    if check == "divergences":
        stats["diverging"] = rng.random((CHAINS, DRAWS)) < 0.02
    elif check == "treedepth":
        stats["reached_max_treedepth"] = rng.random((CHAINS, DRAWS)) < 0.1
    elif check == "ebfmi":  # energy that wanders like a random walk in chain 2
        energy = rng.normal(size=(CHAINS, DRAWS))
        energy[2] = np.cumsum(energy[2])
        stats["energy"] = energy
    elif check == "rhat":  # one chain stuck elsewhere in beta[b]
        post["beta"][3, :, 1] += 2.0
    else:  # a slowly mixing AR(1) chain with autocorrelation 0.99: ESS ~ n / 200
        x = np.zeros((CHAINS, DRAWS))
        for t in range(1, DRAWS):
            x[:, t] = 0.99 * x[:, t - 1] + rng.normal(size=CHAINS) * np.sqrt(1 - 0.99**2)
        post["mu"] = x
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = bk.diagnose(_run(post, **stats))
    messages = [str(w.message) for w in caught if w.category is SamplingWarning]
    assert any(m.startswith(f"[{check}]") and advice in m for m in messages), messages
    assert len(messages) == len(result.problems)
    flagged = {p.check for p in result.problems}
    assert check in flagged and not result.ok
    if check == "rhat":
        # chains that disagree also shrink the (between-chain aware) ESS, of beta[b] only
        assert all(p.variables == ["beta[b]"] for p in result.problems)
    if check == "ebfmi":
        assert result.problems[0].variables == [2] and result.ebfmi[2] < 0.3
    if check == "divergences":
        assert result.divergences == int(stats["diverging"].sum())


def test_tree_depth_saturation_without_the_flag():
    depth = np.full((CHAINS, DRAWS), 3)
    depth[0, :20] = 10
    idata = ad.make_inference_data(_iid(), sample_stats={"tree_depth": depth},
                                   attrs={"max_treedepth": 10})
    result = bk.diagnose(idata, warn=False)
    assert result.max_treedepth_hits == 20 and result.problems[0].check == "treedepth"


def test_metropolis_runs_skip_hmc_checks():
    idata = ad.make_inference_data(_iid(), sample_stats={
        "lp": np.zeros((CHAINS, DRAWS)), "acceptance_rate": np.full((CHAINS, DRAWS), 0.3)})
    result = bk.diagnose(idata, warn=False)
    assert result.ok and result.divergences is None and result.ebfmi is None


def test_deterministics_are_not_checked():
    post = _iid()
    post["const"] = np.ones((CHAINS, DRAWS))  # R-hat/ESS are undefined for constants
    idata = ad.make_inference_data(post, attrs={"deterministics": ["const"]})
    result = bk.diagnose(idata, warn=False)
    assert "const" not in result.rhat and result.ok


def test_summary_table():
    table = bk.summary(_run(_iid()))
    assert list(table.index) == ["mu", "beta[a]", "beta[b]"]
    assert list(table.columns) == ad.SUMMARY_COLUMNS
    assert bk.summary(_run(_iid()), var_names="mu").shape[0] == 1


def test_diagnose_flags_a_badly_tuned_funnel_and_passes_a_good_run():
    funnel = bk.LogDensity.from_numba(dens.funnel_logp, 3)
    bad = bk.sample(funnel, draws=300, tune=20, chains=4, seed=0, progressbar=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = bk.diagnose(bad)
    assert sum(w.category is SamplingWarning for w in caught) == len(result.problems)
    flagged = {p.check for p in result.problems}
    assert {"divergences", "rhat"} <= flagged and result.divergences > 0
    good = bk.sample(dens.gaussian([0.0, 1.0, 2.0], [1.0, 2.0, 3.0]), draws=1000,
                     tune=1000, chains=4, seed=0, progressbar=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SamplingWarning)
        assert bk.diagnose(good).ok
