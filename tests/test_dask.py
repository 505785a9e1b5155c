"""Chains and bootstrap resamples on a Dask cluster, through ``client.get_executor()``.

bayeskit has no scheduler of its own: anything that implements
``concurrent.futures.Executor`` can run the chains (``bk.sample(executor=...)``) and the
bootstrap resamples (``bk.bootstrap(executor=...)``). A ``distributed`` cluster's executor
is the case users reach for when one machine is not enough. Here a local cluster with two
worker *processes* stands in for it, so the model's log density and the statistic really
are pickled, shipped and rebuilt in other processes (from the on-disk compile cache), and
the results must be identical to a run in this process with the same seed.
"""

import numpy as np
import pytest

import bayeskit as bk
from bayeskit import arviz_adapter as ad

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def executor():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            yield client.get_executor()


def _regression():
    rng = np.random.default_rng(5)
    x = rng.normal(size=60)
    m = bk.Model()
    xd = m.data("x", x)
    a = m.param("a", bk.Normal(0, 5))
    b = m.param("b", bk.Normal(0, 5))
    s = m.param("s", bk.HalfNormal(2))
    m.observe("y", bk.Normal(a + b * xd, s), 1.0 + 2.0 * x + rng.normal(size=60))
    return m


def test_chains_on_a_dask_cluster_match_a_local_run(executor):
    m = _regression()
    kw = dict(draws=300, tune=300, chains=4, seed=3, progressbar=False)
    remote = bk.sample(m, executor=executor, **kw)
    local = bk.sample(m, cores=1, **kw)
    for name in ("a", "b", "s"):
        np.testing.assert_array_equal(ad.get_group(remote, "posterior")[name].values,
                                      ad.get_group(local, "posterior")[name].values)
    np.testing.assert_array_equal(ad.get_group(remote, "sample_stats")["lp"].values,
                                  ad.get_group(local, "sample_stats")["lp"].values)
    assert ad.get_group(remote, "log_likelihood")["y"].shape == (4, 300, 60)


def test_bootstrap_on_a_dask_cluster_matches_a_local_run(executor):
    data = np.random.default_rng(8).lognormal(size=300)
    kw = dict(method="bca", n_resamples=4000, seed=21)
    remote = bk.bootstrap((data,), np.median, executor=executor, **kw)
    local = bk.bootstrap((data,), np.median, **kw)
    np.testing.assert_array_equal(remote.bootstrap_distribution, local.bootstrap_distribution)
    assert remote.confidence_interval == local.confidence_interval
