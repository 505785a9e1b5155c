"""Unit tests of bayeskit.bootstrap: reproducibility, paths that must agree exactly,
closed forms against brute force, scipy's result semantics, and input errors."""

import functools
import warnings
from concurrent.futures import Executor, Future, ThreadPoolExecutor

import numpy as np
import pytest
import scipy.stats
from numba import njit

import bayeskit as bk
from bayeskit.bootstrap import DegenerateDataWarning
from bayeskit.bootstrap.common import STREAM_SIZE
from bayeskit.bootstrap.evaluators import BuiltinEvaluator, PythonEvaluator
from bayeskit.bootstrap.regression import LeastSquaresEvaluator
from bayeskit.bootstrap.resample import draw_index_matrix, fill_dirichlet_weights, stream_state

S = bk.bootstrap_statistics


@njit(cache=True)
def jit_mean_diff(x, y):
    return np.mean(x) - np.mean(y)


@njit(cache=True)
def jit_weighted_mean(x, w):
    return np.sum(w * x)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(42)
    x = rng.lognormal(size=57)
    y = 0.7 * x + rng.normal(size=57)
    z = rng.gamma(2.0, size=43)
    return x, y, z


class ReversedExecutor(Executor):
    """Runs submitted tasks in reverse order when the first result is asked for."""

    def __init__(self):
        self.pending = []

    def submit(self, fn, *args):
        fut = Future()
        self.pending.append((fut, fn, args))
        fut.result = functools.partial(self._drain, fut.result)
        return fut

    def _drain(self, original):
        for fut, fn, args in reversed(self.pending):
            if not fut.done():
                fut.set_result(fn(*args))
        return original()


# ------------------------------------------------------------------ streams and paths
def test_indices_uniform_and_independent():
    idx = draw_index_matrix(stream_state(np.random.SeedSequence(7)), np.array([13]), True,
                            20000).ravel()
    counts = np.bincount(idx, minlength=13)
    assert idx.min() == 0 and idx.max() == 12
    assert scipy.stats.chisquare(counts).pvalue > 1e-4
    # consecutive pairs uniform on the 13 x 13 grid (no serial dependence)
    pairs = np.bincount(idx[:-1:2] * 13 + idx[1::2], minlength=169)
    assert scipy.stats.chisquare(pairs).pvalue > 1e-4


def test_same_resamples_on_every_statistic_path(data):
    x, y, z = data
    kw = dict(n_resamples=2 * STREAM_SIZE + 5, seed=3, method="percentile")
    ref = bk.bootstrap((x,), np.mean, **kw).bootstrap_distribution
    vec = bk.bootstrap((x,), lambda a, axis: np.mean(a, axis=axis), batch=100, **kw)
    loop = bk.bootstrap((x,), lambda a: float(np.mean(a)), **kw)
    np.testing.assert_allclose(vec.bootstrap_distribution, ref, rtol=1e-13)
    np.testing.assert_allclose(loop.bootstrap_distribution, ref, rtol=1e-13)
    two = bk.bootstrap((x, z), jit_mean_diff, **kw).bootstrap_distribution
    two_py = bk.bootstrap((x, z), lambda a, b, axis: a.mean(axis) - b.mean(axis), **kw)
    np.testing.assert_allclose(two_py.bootstrap_distribution, two, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("stat", [S.median(), S.quantile([0.1, 0.75]), S.std(1), S.var(0),
                                  np.std])
def test_builtin_statistics_equal_numpy_on_same_resamples(data, stat):
    x = data[0]
    kw = dict(n_resamples=300, seed=11, method="percentile")
    fast = bk.bootstrap((x,), stat, **kw).bootstrap_distribution
    ref = S.recognise(stat) if not isinstance(stat, S.Statistic) else stat
    slow = bk.bootstrap((x,), lambda a, axis: ref(a, axis=axis), **kw).bootstrap_distribution
    np.testing.assert_allclose(fast, slow, rtol=1e-11, atol=1e-13)


def test_correlation_fast_path_equals_pearsonr(data):
    x, y, _ = data
    kw = dict(n_resamples=300, seed=2, paired=True, method="percentile")
    fast = bk.bootstrap((x, y), S.correlation(), **kw).bootstrap_distribution
    slow = bk.bootstrap((x, y), lambda a, b, axis: scipy.stats.pearsonr(a, b, axis=axis)[0],
                        **kw).bootstrap_distribution
    np.testing.assert_allclose(fast, slow, rtol=1e-11)


@pytest.mark.parametrize("stat,samples", [
    (S.mean(), 1), (S.var(1), 1), (S.std(0), 1), (S.median(), 1),
    (S.quantile([0.0, 0.3, 1.0]), 1), (S.correlation(), 2)])
def test_closed_form_jackknife_equals_leave_one_out(data, stat, samples):
    arrays = [data[0], data[1]][:samples]
    fast = BuiltinEvaluator(stat, arrays).jackknife()[0]
    brute = PythonEvaluator(stat, arrays, paired=True, batch=20).jackknife()[0]
    np.testing.assert_allclose(fast, brute, rtol=1e-10, atol=1e-13)


def test_reproducible_across_executors_and_seeds(data):
    x = data[0]
    kw = dict(n_resamples=3 * STREAM_SIZE, method="bca")
    ref = bk.bootstrap((x,), np.median, seed=5, **kw)
    with ThreadPoolExecutor(2) as ex:
        threaded = bk.bootstrap((x,), np.median, seed=5, executor=ex, **kw)
    reordered = bk.bootstrap((x,), np.median, seed=5, executor=ReversedExecutor(), **kw)
    for res in (threaded, reordered):
        np.testing.assert_array_equal(res.bootstrap_distribution, ref.bootstrap_distribution)
        assert res.confidence_interval == ref.confidence_interval
    gen = np.random.default_rng(5)
    first = bk.bootstrap((x,), np.median, seed=gen, **kw).bootstrap_distribution
    second = bk.bootstrap((x,), np.median, seed=gen, **kw).bootstrap_distribution
    assert not np.array_equal(first, second)
    via_rng = bk.bootstrap((x,), np.median, rng=5, **kw).bootstrap_distribution
    np.testing.assert_array_equal(via_rng, ref.bootstrap_distribution)
    assert not np.array_equal(ref.bootstrap_distribution,
                              bk.bootstrap((x,), np.median, seed=6, **kw).bootstrap_distribution)


# ------------------------------------------------------------------ scipy's semantics
def test_result_shapes_follow_scipy(data):
    x = data[0]
    X = np.stack([x, x[::-1] ** 2, np.sqrt(x)])  # three rows, observations on axis 1
    kw = dict(n_resamples=199, axis=1)
    for stat in (np.std, S.quantile([0.2, 0.8]), jit_mean_diff):
        args = (X, X) if stat is jit_mean_diff else (X,)
        ours = bk.bootstrap(args, stat, seed=0, **kw)
        sp_stat = stat if stat is not jit_mean_diff else (
            lambda a, b, axis: a.mean(axis) - b.mean(axis))
        theirs = scipy.stats.bootstrap(args, sp_stat, rng=0, **kw)
        assert ours.bootstrap_distribution.shape == theirs.bootstrap_distribution.shape
        assert np.shape(ours.confidence_interval.low) == np.shape(theirs.confidence_interval.low)
        assert np.shape(ours.standard_error) == np.shape(theirs.standard_error)
    # every batch element sees the same resample indices, as in scipy
    both = bk.bootstrap((np.stack([x, x]),), np.mean, axis=-1, seed=1, n_resamples=99)
    np.testing.assert_array_equal(both.bootstrap_distribution[0],
                                  both.bootstrap_distribution[1])


def test_one_sided_and_basic_intervals(data):
    x = data[0]
    two = bk.bootstrap((x,), np.mean, confidence_level=0.9, method="percentile", seed=4)
    less = bk.bootstrap((x,), np.mean, confidence_level=0.95, method="percentile",
                        alternative="less", seed=4)
    greater = bk.bootstrap((x,), np.mean, confidence_level=0.95, method="percentile",
                           alternative="greater", seed=4)
    assert less.confidence_interval.low == -np.inf and greater.confidence_interval.high == np.inf
    assert less.confidence_interval.high == pytest.approx(two.confidence_interval.high)
    assert greater.confidence_interval.low == pytest.approx(two.confidence_interval.low)
    basic = bk.bootstrap((x,), np.mean, confidence_level=0.9, method="basic", seed=4)
    assert basic.confidence_interval.low == pytest.approx(
        2 * x.mean() - two.confidence_interval.high)
    assert two.standard_error == pytest.approx(np.std(two.bootstrap_distribution, ddof=1))


def test_degenerate_bca_warns_and_gives_nan():
    with pytest.warns(DegenerateDataWarning):
        res = bk.bootstrap((np.full(10, 3.0),), np.mean, n_resamples=50, seed=0)
    assert np.isnan(res.confidence_interval.low) and np.isnan(res.confidence_interval.high)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = bk.bootstrap((np.full(10, 3.0),), np.mean, n_resamples=50, seed=0,
                           method="percentile")
    assert res.confidence_interval == (3.0, 3.0)


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(method="studentized"), ValueError, "method must be one of"),
    (dict(confidence_level=1.0), ValueError, "confidence_level must be in the open"),
    (dict(confidence_level=0), ValueError, "confidence_level must be in the open"),
    (dict(alternative="both"), ValueError, "alternative"),
    (dict(n_resamples=0), ValueError, "n_resamples"),
    (dict(batch=-1), ValueError, "batch"),
    (dict(seed="x"), TypeError, "seed"),
    (dict(axis=3), ValueError, "axis=3 is out of range"),
])
def test_bad_arguments(data, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        bk.bootstrap((data[0],), np.mean, **kwargs)


def test_bad_data(data):
    x, y, z = data
    bad = x.copy()
    bad[17] = np.nan
    with pytest.raises(ValueError, match=r"data\[1\] contains 1 NaN .* index 17"):
        bk.bootstrap((y, bad), jit_mean_diff)
    with pytest.raises(ValueError, match=r"paired=True needs samples of equal length.*\[57, 43\]"):
        bk.bootstrap((x, z), jit_mean_diff, paired=True)
    with pytest.raises(ValueError, match="at least 2"):
        bk.bootstrap(([1.0],), np.mean)
    with pytest.raises(TypeError, match="sequence of samples"):
        bk.bootstrap(x, np.mean)
    with pytest.raises(TypeError, match="real numbers"):
        bk.bootstrap((np.array(["a", "b"]),), np.mean)
    with pytest.raises(ValueError, match="pass paired=True"):
        bk.bootstrap((x, y), S.correlation())
    with pytest.raises(ValueError, match="takes 1 sample"):
        bk.bootstrap((x, y), np.mean)
    with pytest.raises(ValueError, match="q must be"):
        S.quantile(1.5)


# ------------------------------------------------------------------ Bayesian bootstrap
def test_bayesian_bootstrap_mean_matches_dirichlet_moments(data):
    x = data[0]
    n, draws = x.size, 20000
    res = bk.bayesian_bootstrap((x,), np.mean, n_resamples=draws, seed=9)
    # E[sum w_i x_i] = mean(x); Var = sum (x_i - mean)^2 / (n (n + 1)) for w ~ Dir(1,...,1)
    var = np.sum((x - x.mean()) ** 2) / (n * (n + 1))
    dist = res.bootstrap_distribution
    assert abs(dist.mean() - x.mean()) < 4.5 * np.sqrt(var / draws)
    kurt = scipy.stats.kurtosis(dist, fisher=False)
    assert abs(dist.var(ddof=1) / var - 1) < 4.5 * np.sqrt((kurt - 1) / draws)
    jit = bk.bayesian_bootstrap((x,), jit_weighted_mean, n_resamples=500, seed=9)
    py = bk.bayesian_bootstrap((x,), lambda a, w: np.dot(w, a), n_resamples=500, seed=9)
    np.testing.assert_allclose(jit.bootstrap_distribution, dist[:500], rtol=1e-12)
    np.testing.assert_allclose(py.bootstrap_distribution, dist[:500], rtol=1e-12)
    lo, hi = np.quantile(dist, [0.025, 0.975])
    assert res.credible_interval == pytest.approx((lo, hi))


def test_bayesian_weighted_statistics_against_numpy(data):
    x, y, _ = data

    def weighted(a, b, w):  # numpy versions of the compiled weighted functionals
        mx, my = w @ a, w @ b
        vx, vy = w @ (a - mx) ** 2, w @ (b - my) ** 2
        order = np.argsort(a)
        q90 = a[order][np.searchsorted(np.cumsum(w[order]), 0.9)]
        return [mx, np.sqrt(vx), w @ ((a - mx) * (b - my)) / np.sqrt(vx * vy), q90]

    kw = dict(n_resamples=200, seed=1)
    ref = bk.bayesian_bootstrap((x, y), lambda a, b, w: weighted(a, b, w), **kw)
    fast = [bk.bayesian_bootstrap((x,), np.mean, **kw), bk.bayesian_bootstrap((x,), np.std, **kw),
            bk.bayesian_bootstrap((x, y), S.correlation(), **kw),
            bk.bayesian_bootstrap((x,), functools.partial(np.quantile, q=0.9), **kw)]
    for row, res in zip(ref.bootstrap_distribution, fast):
        np.testing.assert_allclose(res.bootstrap_distribution, row, rtol=1e-10)


# ------------------------------------------------------------------ regression
@pytest.fixture(scope="module")
def regression():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(80, 2))
    y = 0.5 + X @ [1.0, -2.0] + rng.standard_t(4, size=80)
    return X, y


def test_least_squares_resamples_and_jackknife_are_exact(regression):
    X, y = regression
    Xi = np.column_stack([np.ones(len(y)), X])
    ev = LeastSquaresEvaluator(Xi, y)
    seq = np.random.SeedSequence(4)
    fits = ev.resamples(seq, 6)
    idx = draw_index_matrix(stream_state(seq), np.array([len(y)]), True, 6)
    ref = [np.linalg.lstsq(Xi[i], y[i], rcond=None)[0] for i in idx]
    np.testing.assert_allclose(fits, ref, rtol=1e-10, atol=1e-12)
    loo = [np.linalg.lstsq(np.delete(Xi, i, 0), np.delete(y, i), rcond=None)[0]
           for i in range(len(y))]
    np.testing.assert_allclose(ev.jackknife()[0], loo, rtol=1e-10, atol=1e-12)
    bayes = LeastSquaresEvaluator(Xi, y, bayesian=True).resamples(seq, 3)
    state = stream_state(seq)
    for row in bayes:
        weights = np.empty(len(y))
        fill_dirichlet_weights(state, weights)
        sw = np.sqrt(weights)
        np.testing.assert_allclose(row, np.linalg.lstsq(Xi * sw[:, None], y * sw,
                                                        rcond=None)[0], rtol=1e-10)


def test_bootstrap_regression_result(regression):
    X, y = regression
    res = bk.bootstrap_regression(X, y, fit_intercept=True, names=["a", "b"],
                                  n_resamples=999, seed=0)
    assert res.names == ["intercept", "a", "b"]
    np.testing.assert_allclose(res.estimate,
                               np.linalg.lstsq(np.column_stack([np.ones(80), X]), y,
                                               rcond=None)[0])
    assert res.bootstrap_distribution.shape == (3, 999)
    assert np.all(res.confidence_interval.low < res.estimate)
    assert np.all(res.estimate < res.confidence_interval.high)
    rare = np.column_stack([X[:, 0], np.arange(80) == 0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bad = bk.bootstrap_regression(rare, y, n_resamples=200, seed=0, method="percentile")
    messages = [str(w.message) for w in caught]
    assert any("resamples gave no least-squares fit" in m for m in messages)
    assert any(issubclass(w.category, DegenerateDataWarning) for w in caught)
    assert np.isnan(bad.confidence_interval.low[1])
    with pytest.raises(ValueError, match="rank deficient"):
        bk.bootstrap_regression(np.column_stack([X, X[:, 0]]), y)
    with pytest.raises(ValueError, match="one value per row"):
        bk.bootstrap_regression(X, y[:-1])
