"""bk.find_map: the mode by L-BFGS with the compiled gradient."""

from __future__ import annotations

import numpy as np
import pytest

import bayeskit as bk

import inference_densities as dens


def test_gaussian_mode_is_the_mean():
    mu = np.array([1.0, -2.0, 30.0])
    res = bk.find_map(dens.gaussian(mu, [0.5, 3.0, 10.0]), seed=0)
    np.testing.assert_allclose(res["theta"], mu, atol=1e-6)
    assert res.lp == pytest.approx(0.0, abs=1e-10) and res.n_eval > 0


def test_named_result_and_init():
    ld = dens.Named.from_numba(dens.needs_large_mu, 2)
    res = bk.find_map(ld, init={"mu": 3.5, "sigma": 2.0})
    assert set(res) == {"mu", "sigma"}
    assert res["mu"] == pytest.approx(4.0, abs=1e-6)
    assert res["sigma"] == pytest.approx(1.0, abs=1e-6)  # log sigma = 0
    np.testing.assert_allclose(res.theta, [4.0, 0.0], atol=1e-6)


def test_unbounded_density_is_a_clear_error():
    ld = bk.LogDensity.from_numba(dens.unbounded, 1)
    with pytest.raises(RuntimeError, match="find_map"):
        bk.find_map(ld, seed=0)


def test_jacobian_false_needs_a_model():
    with pytest.raises(ValueError, match="jacobian=False"):
        bk.find_map(dens.gaussian([0.0], [1.0]), jacobian=False)
