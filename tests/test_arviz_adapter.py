"""The ArviZ adapter gives the same results on ArviZ 0.x (this interpreter) and 1.x.

The ``check_*`` functions need no pytest, so the same checks run in a Python 3.12
interpreter with ArviZ 1.x (``test_adapter_on_the_other_arviz_line`` runs this file there
as a script) — the suite itself runs on Python 3.11 with ArviZ 0.x.
"""

from __future__ import annotations

import glob
import os
import subprocess
import sys

import numpy as np
import scipy.stats

from bayeskit import arviz_adapter as ad

CHAINS, DRAWS = 4, 300


def _raises(exc, fn, *args, match=None, **kw):
    try:
        fn(*args, **kw)
    except exc as err:
        assert match is None or match in str(err), f"{match!r} not in {err}"
        return
    raise AssertionError(f"{fn.__name__} did not raise {exc.__name__}")


def _iid_data(seed=0):
    rng = np.random.default_rng(seed)
    post = {"mu": rng.normal(1.0, 2.0, size=(CHAINS, DRAWS)),
            "beta": rng.normal(size=(CHAINS, DRAWS, 3))}
    stats = {"lp": rng.normal(size=(CHAINS, DRAWS)),
             "energy": rng.normal(size=(CHAINS, DRAWS)),
             "diverging": np.zeros((CHAINS, DRAWS), dtype=bool)}
    # Pointwise log-likelihood of y ~ N(mu, 1) at draws of mu's exact posterior (flat
    # prior): a well-behaved model for PSIS-LOO, with about one effective parameter.
    y = rng.normal(0.0, 1.0, size=5)
    mu_post = rng.normal(y.mean(), 1 / np.sqrt(len(y)), size=(CHAINS, DRAWS))
    loglik = {"y": scipy.stats.norm.logpdf(y, loc=mu_post[..., None])}
    return ad.make_inference_data(
        post, sample_stats=stats, log_likelihood=loglik,
        observed_data={"y": y},
        coords={"feature": ["a", "b", "c"], "obs": np.arange(5)},
        dims={"beta": ["feature"], "y": ["obs"]},
        attrs={"sampler": "nuts", "partial": True, "settings": {"draws": DRAWS}}), post


def check_round_trip():
    idata, post = _iid_data()
    assert set(ad.groups(idata)) == {"posterior", "sample_stats", "log_likelihood",
                                     "observed_data"}
    ds = ad.get_group(idata, "posterior")
    np.testing.assert_array_equal(ds["beta"].values, post["beta"])
    assert ds["beta"].dims == ("chain", "draw", "feature")
    assert list(ds["feature"].values) == ["a", "b", "c"]
    assert ad.get_group(idata, "observed_data")["y"].dims == ("obs",)
    assert ad.get_group(idata, "log_likelihood")["y"].dims == ("chain", "draw", "obs")
    assert ad.get_group(idata, "prior") is None
    attrs = ad.get_attrs(idata)
    assert attrs["sampler"] == "nuts" and attrs["partial"] == 1
    assert attrs["settings"] == '{"draws": 300}' and attrs["inference_library"] == "bayeskit"


def check_unnamed_dims_and_bad_shapes():
    rng = np.random.default_rng(1)
    idata = ad.make_inference_data({"L": rng.normal(size=(2, 10, 3, 3))})
    assert ad.get_group(idata, "posterior")["L"].dims == ("chain", "draw", "L_dim_0",
                                                          "L_dim_1")
    _raises(ValueError, ad.make_inference_data, {"x": np.zeros(5)}, match="'x'")
    _raises(ValueError, ad.make_inference_data, {"x": np.zeros((2, 5, 3))},
            coords={"k": [1, 2]}, dims={"x": ["k"]}, match="coords['k']")
    _raises(ValueError, ad.make_inference_data, {"x": np.zeros((2, 5))},
            dims={"x": ["k"]}, match="dims")


def check_add_groups():
    idata, post = _iid_data()
    pp = np.random.default_rng(2).normal(size=(CHAINS, DRAWS, 5))
    out = ad.add_groups(idata, posterior_predictive={"y": pp}, dims={"y": ["obs"]})
    got = ad.get_group(out, "posterior_predictive")["y"]
    np.testing.assert_array_equal(got.values, pp)
    assert got.dims == ("chain", "draw", "obs")
    ad.add_groups(idata, posterior_predictive={"y": 2 * pp}, dims={"y": ["obs"]})
    np.testing.assert_array_equal(ad.get_group(idata, "posterior_predictive")["y"], 2 * pp)
    _raises(ValueError, ad.add_groups, idata, replace=False,
            posterior_predictive={"y": pp}, match="already present")


def check_diagnostics_on_iid_draws():
    idata, post = _iid_data()
    table = ad.summary(idata)
    assert list(table.columns) == ad.SUMMARY_COLUMNS
    assert list(table.index) == ["mu", "beta[a]", "beta[b]", "beta[c]"]
    assert table.dtypes.map(lambda t: t.kind == "f").all()
    n = CHAINS * DRAWS
    # iid normal draws: mean within 4 standard errors, ESS near n, R-hat near 1.
    assert abs(table.loc["mu", "mean"] - 1.0) < 4 * 2.0 / np.sqrt(n)
    np.testing.assert_allclose(table.loc["mu", "mean"], post["mu"].mean())
    np.testing.assert_allclose(table.loc["mu", "sd"], post["mu"].std(ddof=1), rtol=1e-3)
    assert (table["r_hat"] < 1.02).all() and (table["ess_bulk"] > 0.6 * n).all()
    e = ad.ess(post["beta"])
    assert e.shape == (3,) and np.all(e > 0.6 * n)
    np.testing.assert_allclose(ad.ess(idata, var_names="beta")["beta"].values, e)
    r = ad.rhat(post["mu"])
    assert np.ndim(r) == 0 and abs(r - 1) < 0.02
    m = ad.mcse(post["mu"])
    np.testing.assert_allclose(m, 2.0 / np.sqrt(n), rtol=0.25)
    # sd of n iid normal draws: standard error sd / sqrt(2 n)
    np.testing.assert_allclose(ad.mcse(post["mu"], method="sd"), 2.0 / np.sqrt(2 * n),
                               rtol=0.25)
    _raises(ValueError, ad.ess, idata, var_names="nope", match="nope")
    _raises(ValueError, ad.ess, np.zeros(10), match="chain, draw")


def check_rhat_flags_disagreeing_chains():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 500)) + np.array([0, 0, 0, 3.0])[:, None]
    assert ad.rhat(x) > 1.1


def check_bfmi():
    rng = np.random.default_rng(4)
    iid = rng.normal(size=(4, 1000))
    assert np.all(np.abs(ad.bfmi(iid) - 2.0) < 0.2)  # E[(dE)^2]/Var(E) = 2 for iid energy
    walk = np.cumsum(rng.normal(size=(4, 1000)), axis=1)  # energy that barely mixes
    assert np.all(ad.bfmi(walk) < 0.3)
    idata, _ = _iid_data()
    assert ad.bfmi(idata).shape == (CHAINS,)


def check_psis():
    rng = np.random.default_rng(5)
    # Gaussian importance sampling with a narrower proposal: a known heavy tail.
    x = rng.normal(0, 1, size=4000)
    good = scipy.stats.norm.logpdf(x, 0, 0.9) - scipy.stats.norm.logpdf(x, 0, 1)
    bad = scipy.stats.norm.logpdf(x, 0, 3) - scipy.stats.norm.logpdf(x, 0, 1)
    smoothed, k = ad.psis(good)
    assert smoothed.shape == x.shape and isinstance(k, float) and k < 0.5
    np.testing.assert_allclose(np.log(np.exp(smoothed).sum()), 0.0, atol=1e-12)
    # Self-normalized estimate of E[x^2] under N(0, 0.9^2).
    assert abs(np.sum(np.exp(smoothed) * x**2) - 0.81) < 0.05
    _, k2 = ad.psis(np.stack([good, bad]))
    assert k2.shape == (2,) and k2[1] > 0.7 > k2[0]
    _raises(ValueError, ad.psis, np.array([1.0, np.nan, 2, 3, 4, 5]), match="finite")


def check_loo():
    idata, _ = _iid_data()
    res = ad.elpd(idata)
    assert res["pareto_k"].shape == (5,) and np.isfinite(res["elpd"]) and res["se"] > 0
    assert abs(res["p"] - 1) < 0.5 and np.all(res["pareto_k"] < 0.7)
    bare = ad.make_inference_data({"mu": np.zeros((2, 10))})
    _raises(ValueError, ad.loo, bare, match="log_likelihood")


def check_plots():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    idata, _ = _iid_data()
    pp = np.random.default_rng(6).normal(size=(CHAINS, DRAWS, 5))
    ad.add_groups(idata, posterior_predictive={"y": pp}, dims={"y": ["obs"]})
    for plot in (ad.plot_trace, ad.plot_rank, ad.plot_forest, ad.plot_posterior):
        fig = plot(idata, var_names=["mu", "beta"])
        assert isinstance(fig, Figure) and len(fig.axes) >= 1, plot.__name__
    for plot in (ad.plot_energy, ad.plot_ppc):
        fig = plot(idata)
        assert isinstance(fig, Figure) and len(fig.axes) >= 1, plot.__name__
    bare = ad.make_inference_data({"mu": np.zeros((2, 10))})
    _raises(ValueError, ad.plot_ppc, bare, match="posterior_predictive")
    _raises(ValueError, ad.plot_energy, bare, match="energy")


CHECKS = [check_plots, check_round_trip, check_unnamed_dims_and_bad_shapes, check_add_groups,
          check_diagnostics_on_iid_draws, check_rhat_flags_disagreeing_chains, check_bfmi,
          check_psis, check_loo]


def test_plots():
    check_plots()


def test_round_trip():
    check_round_trip()


def test_unnamed_dims_and_bad_shapes():
    check_unnamed_dims_and_bad_shapes()


def test_add_groups():
    check_add_groups()


def test_diagnostics_on_iid_draws():
    check_diagnostics_on_iid_draws()


def test_rhat_flags_disagreeing_chains():
    check_rhat_flags_disagreeing_chains()


def test_bfmi():
    check_bfmi()


def test_psis():
    check_psis()


def test_loo():
    check_loo()


def _other_python():
    """A Python whose ArviZ is of the other line than ours, with bayeskit importable."""
    candidates = [os.environ.get("BAYESKIT_OTHER_PYTHON", "")]
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates += sorted(glob.glob(os.path.join(root, "versions", "3.1[2-9]*", "bin",
                                                "python3")))
    probe = ("import warnings; warnings.simplefilter('ignore'); import arviz, bayeskit; "
             "print(arviz.__version__.split('.')[0])")
    for exe in filter(None, candidates):
        try:
            out = subprocess.run([exe, "-c", probe], capture_output=True, text=True,
                                 timeout=120, env={**os.environ, "PYENV_VERSION": ""})
        except (OSError, subprocess.TimeoutExpired):
            continue
        if out.returncode == 0 and (out.stdout.strip() == "0") != (not ad.IS_ARVIZ_1):
            return exe
    return None


def test_adapter_on_the_other_arviz_line():
    import pytest

    exe = _other_python()
    if exe is None:
        pytest.skip("no Python 3.12+ interpreter with the other ArviZ line and bayeskit "
                    "installed (set BAYESKIT_OTHER_PYTHON to one)")
    out = subprocess.run([exe, __file__], capture_output=True, text=True, timeout=300,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"{len(CHECKS)} adapter checks passed" in out.stdout


if __name__ == "__main__":
    for check in CHECKS:
        check()
    print(f"{len(CHECKS)} adapter checks passed on ArviZ {ad.ARVIZ_VERSION} "
          f"(Python {sys.version.split()[0]})")
