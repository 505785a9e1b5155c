"""Stan-like initialization, option checking and seeding of bk.sample (no sampling)."""

from __future__ import annotations

import numpy as np
import pytest

import bayeskit as bk
from bayeskit.inference import chain_generators
from bayeskit.initialization import InitializationError, initial_point, variable_of_index

import inference_densities as dens


def test_random_start_is_uniform_on_minus_two_two():
    ld = dens.gaussian(np.zeros(3), np.ones(3))
    starts = np.array([initial_point(ld, np.random.default_rng(s)) for s in range(400)])
    assert starts.min() >= -2 and starts.max() <= 2
    # uniform(-2, 2): mean 0 (sd 2/sqrt(3)/sqrt(1200) ~ 0.033), variance 4/3.
    assert abs(starts.mean()) < 4 * 0.034
    assert abs(starts.var() - 4 / 3) < 0.1


def test_retries_until_finite():
    ld = bk.LogDensity.from_numba(dens.needs_large_mu, 2)
    # mu > 3 is outside (-2, 2): with radius 5 some tries land there.
    theta = initial_point(ld, np.random.default_rng(0), radius=5.0)
    assert theta[0] > 3 and np.isfinite(ld.logp(theta))


def test_failure_lists_values_and_advice():
    ld = dens.Named.from_numba(dens.needs_large_mu, 2)
    with pytest.raises(InitializationError) as err:
        initial_point(ld, np.random.default_rng(0), max_tries=20)
    msg = str(err.value)
    assert "20 random starts" in msg and "uniform(-2, 2)" in msg
    assert "'mu'" in msg and "'sigma'" in msg and "init=" in msg


def test_failure_names_variable_with_bad_gradient():
    ld = dens.Named.from_numba(dens.nan_gradient_in_sigma, 2)
    with pytest.raises(InitializationError, match=r"gradient with respect to \['sigma'\]"):
        initial_point(ld, np.random.default_rng(0))


def test_sample_raises_initialization_error_before_running():
    ld = dens.Named.from_numba(dens.nowhere_finite, 2)
    with pytest.raises(InitializationError, match="no finite log density"):
        bk.sample(ld, draws=10, tune=10, chains=2, seed=0, progressbar=False)


def test_user_init_dict_full_and_partial():
    ld = dens.Named.from_numba(dens.needs_large_mu, 2)
    theta = initial_point(ld, np.random.default_rng(0), {"mu": 4.0, "sigma": 2.0})
    np.testing.assert_allclose(theta, [4.0, np.log(2.0)])
    theta = initial_point(ld, np.random.default_rng(0), {"mu": 3.5})
    assert theta[0] == 3.5 and -2 <= theta[1] <= 2
    with pytest.raises(InitializationError, match="given init"):
        initial_point(ld, np.random.default_rng(0), {"mu": 0.0})
    with pytest.raises(ValueError, match=r"unknown variables \['tau'\]"):
        initial_point(ld, np.random.default_rng(0), {"tau": 1.0})
    with pytest.raises(ValueError, match="outside the variables' support"):
        initial_point(ld, np.random.default_rng(0), {"mu": 4.0, "sigma": -1.0})


def test_variable_of_index():
    ld = dens.Named.from_numba(dens.needs_large_mu, 2)
    assert variable_of_index(ld, np.zeros(2)) == ["mu", "sigma"]


def test_chain_generators_are_independent_and_reproducible():
    a = [g.standard_normal(5) for g in chain_generators(42, 3)]
    b = [g.standard_normal(5) for g in chain_generators(42, 3)]
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a[0], a[1])
    # Chain c's stream does not depend on how many chains there are.
    np.testing.assert_array_equal(chain_generators(42, 5)[1].standard_normal(5), a[1])
    with pytest.raises(TypeError, match="seed"):
        chain_generators("zero", 2)


@pytest.mark.parametrize("kwargs, match", [
    ({"draws": 0}, "draws must be an integer >= 1"),
    ({"tune": -1}, "tune must be an integer >= 0"),
    ({"chains": 1.5}, "chains must be an integer"),
    ({"sampler": "gibbs"}, "sampler must be one of"),
    ({"target_accept": 1.0}, "target_accept must be in"),
    ({"max_treedepth": 0}, "max_treedepth"),
    ({"warmup": 100, "thin": 2}, r"unknown options \['thin', 'warmup'\]"),
    ({"init": "jitter"}, "init must be"),
    ({"init": [{}, {}, {}]}, "3 entries for 2 chains"),
    ({"log_likelihood": "yes"}, "log_likelihood must be"),
])
def test_bad_options(kwargs, match):
    ld = dens.gaussian([0.0], [1.0])
    base = {"draws": 10, "tune": 10, "chains": 2, "progressbar": False}
    with pytest.raises(ValueError, match=match):
        bk.sample(ld, **{**base, **kwargs})


def test_not_a_model():
    with pytest.raises(TypeError, match="bk.Model or a bk.LogDensity"):
        bk.sample(lambda x: x, draws=10)


def test_process_pool_needs_picklable_density():
    from concurrent.futures import ProcessPoolExecutor

    ld = bk.LogDensity.from_numba(dens.funnel_logp, 3)
    with ProcessPoolExecutor(1) as pool, pytest.raises(TypeError, match="picklable"):
        bk.sample(ld, draws=10, tune=10, chains=1, executor=pool, progressbar=False)


def test_init_list_gives_one_start_per_chain():
    from bayeskit.inference import _initial_points

    ld = dens.Named.from_numba(dens.needs_large_mu, 2)
    starts = _initial_points(ld, chain_generators(0, 2),
                             [{"mu": 3.5, "sigma": 1.0}, {"mu": 4.5, "sigma": 2.0}], 0, {})
    np.testing.assert_allclose(starts, [[3.5, 0.0], [4.5, np.log(2.0)]])
    # a single dict: every chain starts there
    starts = _initial_points(ld, chain_generators(0, 3), {"mu": 4.0, "sigma": 1.0}, 0, {})
    np.testing.assert_allclose(starts, [[4.0, 0.0]] * 3)
