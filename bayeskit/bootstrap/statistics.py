"""The statistics the compiled fast path computes, and how they are recognised.

``bk.bootstrap_statistics`` makes them: ``mean()``, ``median()``, ``quantile(q)``,
``std(ddof=0)``, ``var(ddof=0)`` and ``correlation()`` (Pearson's r of two paired
samples). Each is also an ordinary vectorized numpy statistic ``stat(*samples, axis=-1)``,
so it gives the same numbers in ``scipy.stats.bootstrap``. :func:`recognise` maps plain
numpy functions to them: ``np.mean``, ``np.median``, ``np.std``, ``np.var`` (also as
``functools.partial`` with ``ddof=``) and ``np.quantile`` / ``np.percentile`` as
``partial(np.quantile, q=...)``. Any other function takes the general (batched) path, or
the compiled path for user ``@njit`` functions (see :mod:`bayeskit.bootstrap.evaluators`).

The compiled statistics are evaluated on the resample ``x[idx[:m]]`` without gathering it:
sums for the mean, variance and correlation (on data centred once by the full-sample mean,
so one pass is accurate), and counts over the ranks of the sorted data for quantiles
(``O(n)`` per resample, no sort). The Bayesian bootstrap evaluates the same statistics under
Dirichlet weights ``w`` (see :func:`weighted_value`).
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numba import njit

from .resample import draw_pair, lemire_threshold

MEAN, VAR, STD, QUANTILE, CORRELATION = 0, 1, 2, 3, 4


class Statistic:
    """A statistic with a compiled fast path; callable as ``stat(*samples, axis=-1)``.

    Attributes: ``name``; ``code`` and ``params`` (what the compiled kernels compute);
    ``n_samples`` (how many samples it takes); ``paired`` (whether its samples must be
    resampled together); ``out_shape`` (``()`` or ``(len(q),)`` for several quantiles).
    """

    def __init__(self, name, code, params=(), n_samples=1, paired=False, out_shape=()):
        self.name = name
        self.code = code
        self.params = np.asarray(params, dtype=np.float64).reshape(-1)
        self.n_samples = n_samples
        self.paired = paired
        self.out_shape = out_shape

    def __repr__(self):
        return f"bootstrap_statistics.{self.name}"

    def __call__(self, *samples, axis=-1):
        if len(samples) != self.n_samples:
            raise TypeError(f"{self!r} takes {self.n_samples} sample(s), got {len(samples)}")
        x = np.asarray(samples[0], dtype=np.float64)
        if self.code == MEAN:
            return np.mean(x, axis=axis)
        if self.code == VAR:
            return np.var(x, axis=axis, ddof=self.params[0])
        if self.code == STD:
            return np.std(x, axis=axis, ddof=self.params[0])
        if self.code == QUANTILE:
            q = self.params if self.out_shape else self.params[0]
            return np.quantile(x, q, axis=axis)
        y = np.asarray(samples[1], dtype=np.float64)
        xc = x - np.mean(x, axis=axis, keepdims=True)
        yc = y - np.mean(y, axis=axis, keepdims=True)
        sxy = np.sum(xc * yc, axis=axis)
        return sxy / np.sqrt(np.sum(xc * xc, axis=axis) * np.sum(yc * yc, axis=axis))

    def prepare(self, samples):
        """The arrays the compiled kernels take for 1-D ``samples``:
        ``(x, y, rank, xs)`` (unused ones are empty)."""
        x = np.ascontiguousarray(samples[0], dtype=np.float64)
        empty_f, empty_i = np.zeros(0), np.zeros(0, dtype=np.int64)
        if self.code == MEAN:
            return x, empty_f, empty_i, empty_f
        if self.code in (VAR, STD):
            return x - x.mean(), empty_f, empty_i, empty_f
        if self.code == QUANTILE:
            order = np.argsort(x, kind="stable")
            rank = np.empty_like(order)
            rank[order] = np.arange(x.shape[0])
            return empty_f, empty_f, rank, x[order]
        y = np.ascontiguousarray(samples[1], dtype=np.float64)
        return x - x.mean(), y - y.mean(), empty_i, empty_f


def mean():
    """The arithmetic mean of one sample."""
    return Statistic("mean()", MEAN)


def median():
    """The median of one sample (numpy's; the 0.5 quantile, linear interpolation)."""
    return Statistic("median()", QUANTILE, (0.5,))


def quantile(q):
    """Quantile(s) ``q`` in [0, 1] of one sample, numpy's default 'linear' method.
    A sequence ``q`` gives one output per quantile."""
    arr = np.asarray(q, dtype=np.float64)
    if arr.ndim > 1 or arr.size == 0 or not np.all((arr >= 0) & (arr <= 1)):
        raise ValueError(f"quantile: q must be a number or 1-D sequence in [0, 1], got {q!r}")
    shape = (arr.size,) if arr.ndim == 1 else ()
    return Statistic(f"quantile({q!r})", QUANTILE, arr, out_shape=shape)


def _ddof(ddof, what):
    if not float(ddof) == int(ddof) or ddof < 0:
        raise ValueError(f"{what}: ddof must be a non-negative integer, got {ddof!r}")
    return int(ddof)


def var(ddof=0):
    """The variance of one sample with ``ddof`` delta degrees of freedom (numpy's ``var``)."""
    return Statistic(f"var(ddof={ddof})", VAR, (_ddof(ddof, "var"),))


def std(ddof=0):
    """The standard deviation of one sample with ``ddof`` (numpy's ``std``)."""
    return Statistic(f"std(ddof={ddof})", STD, (_ddof(ddof, "std"),))


def correlation():
    """Pearson's correlation of two paired samples (call ``bootstrap`` with ``paired=True``)."""
    return Statistic("correlation()", CORRELATION, n_samples=2, paired=True)


_PLAIN = {
    id(np.mean): mean, id(np.median): median, id(np.std): std, id(np.var): var,
}


def recognise(statistic):
    """The :class:`Statistic` equivalent to ``statistic``, or None if it has none."""
    if isinstance(statistic, Statistic):
        return statistic
    if id(statistic) in _PLAIN:
        return _PLAIN[id(statistic)]()
    if isinstance(statistic, functools.partial) and not statistic.args:
        kw = dict(statistic.keywords)
        fn = statistic.func
        if fn in (np.std, np.var) and set(kw) <= {"ddof"}:
            return _PLAIN[id(fn)](**kw)
        if fn is np.quantile and set(kw) == {"q"}:
            return quantile(kw["q"])
        if fn is np.percentile and set(kw) == {"q"}:
            return quantile(np.asarray(kw["q"], dtype=np.float64) / 100.0)
    return None


@njit(cache=True, nogil=True)
def _order_statistic(counts, k):
    """Position (in sorted order) of the k-th smallest element of the resample whose
    multiplicities per sorted position are ``counts``."""
    cum = 0
    for r in range(counts.shape[0]):
        cum += counts[r]
        if cum > k:
            return r
    return counts.shape[0] - 1


@njit(cache=True, nogil=True)
def from_sums(code, par, m, s1, s2, t1, t2, st):
    """The mean/variance/std/correlation of ``m`` values from their sums: ``s1 = sum x``,
    ``s2 = sum x**2``, ``t1, t2`` the same for y, ``st = sum x*y`` (data centred once by
    the full-sample means, so the differences below do not cancel)."""
    if code == MEAN:
        return s1 / m
    if code == CORRELATION:
        vx = s2 - s1 * s1 / m
        vy = t2 - t1 * t1 / m
        if vx <= 0.0 or vy <= 0.0:
            return np.nan
        return (st - s1 * t1 / m) / math.sqrt(vx * vy)
    if m - par[0] <= 0:
        return np.nan
    v = max((s2 - s1 * s1 / m) / (m - par[0]), 0.0)
    return v if code == VAR else math.sqrt(v)


@njit(cache=True, nogil=True)
def _interpolate(a, b, frac):
    return a if frac == 0.0 else a + frac * (b - a)


@njit(cache=True, nogil=True, inline="always")
def _add_row(x, y, i, squares, pairs, s1, s2, t1, t2, st):
    """The sums of :func:`draw_sums` with row ``i`` added."""
    u = x[i]
    s1 += u
    if squares:
        s2 += u * u
    if pairs:
        v = y[i]
        t1 += v
        t2 += v * v
        st += u * v
    return s1, s2, t1, t2, st


@njit(cache=True, nogil=True)
def draw_sums(code, state, x, y):
    """Draw one bootstrap resample of ``n = len(x)`` rows and return its sums
    ``(s1, s2, t1, t2, st)`` for :func:`from_sums` (x, x**2, y, y**2, x*y; only those
    ``code`` needs), without storing the indices: the same index stream as
    :func:`~.resample.fill_indices`, accumulated as it is drawn."""
    n = x.shape[0]
    nn, threshold = lemire_threshold(n)
    s0, s1, s2, s3 = state[0], state[1], state[2], state[3]
    squares = code != MEAN
    pairs = code == CORRELATION
    a1 = 0.0  # interleaved accumulators: the i-half and the j-half of each pair
    b1 = 0.0
    a2 = 0.0
    b2 = 0.0
    t1 = 0.0
    t2 = 0.0
    st = 0.0
    k = 0
    while k < n:
        s0, s1, s2, s3, i, j, i_ok, j_ok = draw_pair(s0, s1, s2, s3, nn, threshold)
        if i_ok:
            a1, a2, t1, t2, st = _add_row(x, y, i, squares, pairs, a1, a2, t1, t2, st)
            k += 1
        if j_ok and k < n:
            b1, b2, t1, t2, st = _add_row(x, y, j, squares, pairs, b1, b2, t1, t2, st)
            k += 1
    state[0], state[1], state[2], state[3] = s0, s1, s2, s3
    return a1 + b1, a2 + b2, t1, t2, st


@njit(cache=True, nogil=True)
def builtin_value(code, par, x, y, rank, xs, idx, m, counts, out):
    """Write the statistic ``code`` (with parameters ``par``) of the resample given by
    ``idx[:m]`` into ``out``; ``x, y, rank, xs`` as made by :meth:`Statistic.prepare`,
    ``counts`` a zeroed int64 work array of length n (left zeroed)."""
    if code == QUANTILE:
        for j in range(m):
            counts[rank[idx[j]]] += 1
        for i in range(par.shape[0]):
            h = (m - 1) * par[i]
            lo = int(math.floor(h))
            a = xs[_order_statistic(counts, lo)]
            b = xs[_order_statistic(counts, lo + 1)] if h > lo else a
            out[i] = _interpolate(a, b, h - lo)
        counts[:] = 0
        return
    s1 = 0.0
    s2 = 0.0
    t1 = 0.0
    t2 = 0.0
    st = 0.0
    for j in range(m):
        s1, s2, t1, t2, st = _add_row(x, y, idx[j], code != MEAN, code == CORRELATION,
                                      s1, s2, t1, t2, st)
    out[0] = from_sums(code, par, m, s1, s2, t1, t2, st)


@njit(cache=True, nogil=True)
def builtin_jackknife(code, par, x, y, rank, xs, out):
    """Write the leave-one-out values of statistic ``code`` into ``out`` (n, k) in O(n):
    sums minus one observation's terms; for quantiles the order statistics of the sorted
    data with rank ``rank[i]`` removed."""
    n = max(x.shape[0], xs.shape[0])
    m = n - 1
    if code == QUANTILE:
        for i in range(n):
            r = rank[i]
            for q in range(par.shape[0]):
                h = (m - 1) * par[q]
                lo = int(math.floor(h))
                hi = min(lo + 1, m - 1)
                a = xs[lo if lo < r else lo + 1]
                b = xs[hi if hi < r else hi + 1]
                out[i, q] = _interpolate(a, b, h - lo)
        return
    s1 = 0.0
    s2 = 0.0
    t1 = 0.0
    t2 = 0.0
    st = 0.0
    for j in range(n):
        s1, s2, t1, t2, st = _add_row(x, y, j, True, code == CORRELATION, s1, s2, t1, t2, st)
    for i in range(n):
        a = x[i]
        b = y[i] if code == CORRELATION else 0.0
        out[i, 0] = from_sums(code, par, m, s1 - a, s2 - a * a, t1 - b, t2 - b * b,
                               st - a * b)


@njit(cache=True, nogil=True)
def weighted_value(code, par, x, y, order, w, out):
    """Write the statistic ``code`` of the distribution putting weight ``w[i]`` (summing to
    one) on observation ``i`` into ``out`` (the Bayesian bootstrap's functional).

    Mean, variance and correlation are the plug-in moments of that distribution (no
    ``ddof``: it has no meaning for a weighted distribution); quantiles are its inverse CDF,
    the smallest observation whose cumulative weight reaches ``q`` (``order`` sorts ``x``).
    """
    n = x.shape[0]
    if code == QUANTILE:
        for i in range(par.shape[0]):
            cum = 0.0
            r = 0
            while r < n - 1:
                cum += w[order[r]]
                if cum >= par[i]:
                    break
                r += 1
            out[i] = x[order[r]]
        return
    mx = 0.0
    for j in range(n):
        mx += w[j] * x[j]
    if code == MEAN:
        out[0] = mx
        return
    vx = 0.0
    for j in range(n):
        vx += w[j] * (x[j] - mx) ** 2
    if code == VAR:
        out[0] = vx
    elif code == STD:
        out[0] = math.sqrt(vx)
    else:
        my = 0.0
        for j in range(n):
            my += w[j] * y[j]
        vy = 0.0
        cxy = 0.0
        for j in range(n):
            vy += w[j] * (y[j] - my) ** 2
            cxy += w[j] * (x[j] - mx) * (y[j] - my)
        out[0] = cxy / math.sqrt(vx * vy) if vx > 0.0 and vy > 0.0 else np.nan
