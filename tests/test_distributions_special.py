"""The numba special functions of bayeskit.distributions._special against scipy.special."""

import numpy as np
import pytest
import scipy.special as sp

from bayeskit.distributions import _special as S


def _eval(fn, xs, *extra):
    return np.array([fn(*extra, float(x)) for x in xs])


def test_digamma_matches_scipy():
    xs = np.concatenate([np.geomspace(1e-8, 1e6, 60), [0.5, 1.0, 1.4616321449683622, 2.5],
                         -np.array([0.5, 1.5, 2.7, 10.3])])
    ours = _eval(S.digamma, xs)
    np.testing.assert_allclose(ours, sp.digamma(xs), rtol=2e-14, atol=1e-15)
    assert np.isnan(S.digamma(0.0)) and np.isnan(S.digamma(-3.0))


def test_log_ndtr_matches_scipy_in_both_tails():
    xs = np.concatenate([-np.geomspace(1e-3, 1e4, 50), np.geomspace(1e-3, 40, 30), [0.0]])
    np.testing.assert_allclose(_eval(S.log_ndtr, xs), sp.log_ndtr(xs), rtol=1e-12, atol=1e-300)
    assert S.log_ndtr(-np.inf) == -np.inf and S.log_ndtr(np.inf) == 0.0


@pytest.mark.parametrize("v", [0, 1])
def test_log_bessel_i_matches_scipy(v):
    xs = np.concatenate([np.geomspace(1e-6, 1e5, 80), [29.999, 30.0, 30.001]])
    ref = np.log(sp.ive(v, xs)) + xs
    # the reference itself cancels for small x (log of 1 + x^2/4): absolute there
    np.testing.assert_allclose(_eval(S.log_bessel_i, xs, v), ref, rtol=1e-13, atol=5e-16)
    # log I0(x) = x^2/4 - x^4/64 + O(x^6): full relative accuracy near 0
    assert S.log_bessel_i(0, 1e-6) == pytest.approx(0.25e-12 - 1e-24 / 64, rel=1e-15)
    assert S.log_bessel_i(0, 0.0) == 0.0 and S.log_bessel_i(1, 0.0) == -np.inf


def test_bessel_ratio_and_small_helpers():
    xs = np.geomspace(1e-4, 1e4, 40)
    np.testing.assert_allclose(_eval(S.bessel_ratio_i1_i0, xs), sp.ive(1, xs) / sp.ive(0, xs),
                               rtol=1e-13)
    zs = np.array([-800.0, -40.0, -1.0, 0.0, 1.0, 40.0, 800.0])
    np.testing.assert_allclose(_eval(S.log1pexp, zs), np.logaddexp(0.0, zs), rtol=1e-15)
    np.testing.assert_allclose(_eval(S.log_sigmoid, zs), sp.log_expit(zs), rtol=1e-15)
    np.testing.assert_allclose(_eval(S.sigmoid, zs), sp.expit(zs), rtol=1e-15)
    assert S.log_diff_exp(0.0, -800.0) == 0.0 and S.log_diff_exp(1.0, 1.0) == -np.inf
    np.testing.assert_allclose(S.log_diff_exp(-1000.0, -1000.5),
                               -1000.0 + np.log(-np.expm1(-0.5)), rtol=1e-15)


def test_student_t_gamma_ratio_helpers_against_arbitrary_precision():
    import mpmath as mp

    for a in [0.01, 1.0, 99.0, 101.0, 1e4, 1e12]:
        with mp.workdps(50):
            am = mp.mpf(a)
            ratio = mp.loggamma(am + 0.5) - mp.loggamma(am)
            excess = mp.digamma(am + 0.5) - mp.digamma(am) - 1 / (2 * am)
        assert S.lgamma_half_ratio(a) == pytest.approx(float(ratio), rel=1e-13)
        assert S.digamma_half_excess(a) == pytest.approx(float(excess), rel=1e-10)


@pytest.mark.parametrize("a", [0.3, 50.0, 999.0, 1001.0, 1e5, 1e9, 1e15])
def test_lgamma_and_digamma_differences_against_arbitrary_precision(a):
    import mpmath as mp

    for x in [0.0, 1.0, 7.0, 1234.0, 1e6]:
        with mp.workdps(60):
            am, xm = mp.mpf(a), mp.mpf(x)
            lg = mp.loggamma(am + xm) - mp.loggamma(am)
            dg = mp.digamma(am + xm) - mp.digamma(am)
        assert S.lgamma_diff(a, x) == pytest.approx(float(lg), rel=1e-12, abs=1e-300)
        assert S.digamma_diff(a, x) == pytest.approx(float(dg), rel=1e-10, abs=1e-300)
