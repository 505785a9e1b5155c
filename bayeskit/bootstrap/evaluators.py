"""Evaluators: one object per way of computing a statistic on resamples of 1-D samples.

An evaluator knows the samples and the statistic, and offers three operations that the
interval code needs, each returning values with a trailing ``value_shape``:

- ``estimate()`` -> ``value_shape``, the statistic of the original samples;
- ``resamples(seed_seq, rows)`` -> ``(rows, *value_shape)``, the statistic of ``rows``
  bootstrap resamples drawn from the random stream seeded by ``seed_seq``;
- ``jackknife()`` -> a list (one entry per independently resampled sample; one entry when
  paired) of ``(n_j, *value_shape)`` leave-one-out values, for the BCa acceleration.

:class:`BuiltinEvaluator` and :class:`JitEvaluator` run compiled loops that draw the
indices of one resample at a time (nothing of size ``rows * n`` is ever allocated);
:class:`PythonEvaluator` calls a vectorized numpy statistic on batches of resamples;
:class:`BatchedEvaluator` lays a fast-path evaluator over the batch dimensions of N-D
samples. All draw their indices through :mod:`.resample` in the same order, so the same
seed gives the same resamples on every path.
"""

from __future__ import annotations

import numpy as np
from numba import njit, types
from numba.extending import overload

from .resample import (DRAW, IDENTITY, LEAVE_ONE_OUT, draw_index_matrix, fill_indices,
                       leave_one_out_indices, stream_state)
from .statistics import QUANTILE, builtin_jackknife, builtin_value, draw_sums, from_sums


def _no_stream():
    """A generator state for the modes that draw nothing (jackknife, estimate)."""
    return np.array([1, 0, 0, 0], dtype=np.uint64)


def broadcast_except_last(arrays):
    """Broadcast arrays against each other in every axis but the last (the observations)."""
    lead = np.broadcast_shapes(*(a.shape[:-1] for a in arrays))
    return [np.broadcast_to(a, (*lead, a.shape[-1])) for a in arrays]


# --------------------------------------------------------------------------- builtin
@njit(cache=True, nogil=True)
def _builtin_driver(code, par, mode, x, y, rank, xs, state, rows, out):
    n = max(x.shape[0], xs.shape[0])
    idx = np.empty(n, dtype=np.int64)
    counts = np.zeros(n if code == QUANTILE else 0, dtype=np.int64)
    for b in range(rows):
        if mode == DRAW and code != QUANTILE:  # moments: accumulate while drawing
            s1, s2, t1, t2, st = draw_sums(code, state, x, y)
            out[b, 0] = from_sums(code, par, n, s1, s2, t1, t2, st)
        else:
            m = fill_indices(mode, state, n, b, idx)
            builtin_value(code, par, x, y, rank, xs, idx, m, counts, out[b])
    return out


class BuiltinEvaluator:
    """A :class:`~.statistics.Statistic` on 1-D samples, computed by compiled kernels."""

    releases_gil = True

    def __init__(self, stat, samples):
        self.stat = stat
        self.n = samples[0].shape[0]
        self.arrays = stat.prepare(samples)
        self.value_shape = stat.out_shape
        self.k = int(np.prod(self.value_shape, dtype=np.int64))

    def _run(self, mode, state, rows):
        out = np.empty((rows, self.k))
        _builtin_driver(self.stat.code, self.stat.params, mode, *self.arrays, state, rows, out)
        return out.reshape((rows, *self.value_shape))

    def estimate(self):
        return self._run(IDENTITY, _no_stream(), 1)[0]

    def resamples(self, seed_seq, rows):
        return self._run(DRAW, stream_state(seed_seq), rows)

    def jackknife(self):
        out = np.empty((self.n, self.k))
        builtin_jackknife(self.stat.code, self.stat.params, *self.arrays, out)
        return [out.reshape((self.n, *self.value_shape))]


# --------------------------------------------------------------------------- user @njit
def _store(row, value):
    """Write a scalar or array ``value`` into the float64 row ``row`` (compiled only)."""


@overload(_store)
def _store_impl(row, value):
    if isinstance(value, (types.Number, types.Boolean)):
        def impl(row, value):
            row[0] = value
    else:
        def impl(row, value):
            flat = np.asarray(value).ravel()
            for i in range(flat.shape[0]):
                row[i] = flat[i]
    return impl


@njit(cache=True, nogil=True)
def _jit_driver(stat, mode, jk_sample, paired, samples, bufs, state, rows, out):
    n_max = 0
    for s in range(len(samples)):
        n_max = max(n_max, samples[s].shape[0])
    idx = np.empty(n_max, dtype=np.int64)
    for b in range(rows):
        for s in range(len(samples)):
            x = samples[s]
            buf = bufs[s]
            if not (paired and s > 0):
                smode = mode
                if mode == LEAVE_ONE_OUT and not paired and s != jk_sample:
                    smode = IDENTITY
                fill_indices(smode, state, x.shape[0], b, idx)
            for t in range(buf.shape[0]):
                buf[t] = x[idx[t]]
        _store(out[b], stat(*bufs))
    return out


def is_jitted(statistic):
    """Whether ``statistic`` is a numba ``@njit`` function (a CPU dispatcher)."""
    from numba.core.registry import CPUDispatcher

    return isinstance(statistic, CPUDispatcher)


class JitEvaluator:
    """A user ``@njit`` statistic ``stat(*samples) -> float or array`` on 1-D samples,
    called on each resample inside a compiled loop."""

    releases_gil = True

    def __init__(self, stat, samples, paired):
        self.stat = stat
        self.samples = tuple(np.ascontiguousarray(s, dtype=np.float64) for s in samples)
        self.paired = paired
        try:
            value = np.asarray(stat(*self.samples), dtype=np.float64)
        except Exception as exc:  # numba typing errors are long: say what failed first
            raise TypeError(
                f"the @njit statistic {getattr(stat, '__name__', stat)!r} failed on the "
                f"data (it must take {len(samples)} 1-D float64 array(s) and return a "
                f"float or an array): {type(exc).__name__}: {str(exc)[:500]}") from exc
        self.value_shape = value.shape
        self.k = max(value.size, 1)

    def _run(self, mode, jk_sample, state, rows):
        sizes = [s.shape[0] for s in self.samples]
        if mode == LEAVE_ONE_OUT:
            sizes = [n - 1 if (self.paired or j == jk_sample) else n
                     for j, n in enumerate(sizes)]
        bufs = tuple(np.empty(n) for n in sizes)
        out = np.empty((rows, self.k))
        _jit_driver(self.stat, mode, jk_sample, self.paired, self.samples, bufs, state, rows,
                    out)
        return out.reshape((rows, *self.value_shape))

    def estimate(self):
        return self._run(IDENTITY, 0, _no_stream(), 1)[0]

    def resamples(self, seed_seq, rows):
        return self._run(DRAW, 0, stream_state(seed_seq), rows)

    def jackknife(self):
        state = _no_stream()
        groups = [0] if self.paired else range(len(self.samples))
        return [self._run(LEAVE_ONE_OUT, j, state, self.samples[j].shape[0]) for j in groups]


# --------------------------------------------------------------------------- N-D batches
class BatchedEvaluator:
    """A fast-path evaluator per element of the batch dimensions of N-D samples (those
    left of the resampled last axis). Every element sees the same resample indices, as in
    ``scipy.stats.bootstrap``; values have shape ``(*stat_shape, *batch_shape)``."""

    releases_gil = True

    def __init__(self, make, samples):
        samples = broadcast_except_last(samples)
        self.batch_shape = samples[0].shape[:-1]
        self.parts = [make([s[i] for s in samples]) for i in np.ndindex(self.batch_shape)]
        self.value_shape = (*self.parts[0].value_shape, *self.batch_shape)

    def _stack(self, values, lead):
        arr = np.stack(values, axis=-1)  # (*lead, *stat_shape, n_batch)
        return arr.reshape((*lead, *self.value_shape))

    def estimate(self):
        return self._stack([p.estimate() for p in self.parts], ())

    def resamples(self, seed_seq, rows):
        return self._stack([p.resamples(seed_seq, rows) for p in self.parts], (rows,))

    def jackknife(self):
        per_part = [p.jackknife() for p in self.parts]
        return [self._stack([jk[j] for jk in per_part], (jk_rows.shape[0],))
                for j, jk_rows in enumerate(per_part[0])]


# --------------------------------------------------------------------------- python
def vectorize(statistic):
    """Turn a statistic of 1-D samples into ``stat(*samples, axis=-1)`` for N-D samples
    (one Python call per 1-D slice; outputs of the statistic come first in the result)."""

    def vectorized(*samples, axis=-1):
        samples = [np.moveaxis(np.asarray(s), axis, -1) for s in samples]
        samples = broadcast_except_last(samples)
        batch = samples[0].shape[:-1]
        values = [np.asarray(statistic(*(s[i] for s in samples)))
                  for i in np.ndindex(batch)]
        arr = np.stack(values, axis=-1)
        return arr.reshape((*values[0].shape, *batch))

    return vectorized


class PythonEvaluator:
    """A vectorized numpy statistic ``stat(*samples, axis=-1)`` on N-D samples (resampled
    along the last axis), called on batches of at most ``batch`` resamples."""

    def __init__(self, stat, samples, paired, batch):
        self.stat = stat
        self.samples = samples
        self.paired = paired
        self.sizes = np.array([s.shape[-1] for s in samples], dtype=np.int64)
        self.batch = batch
        self.value_shape = np.shape(self.estimate())

    def _call(self, resampled):
        """Values ``(rows, *value_shape)`` of the statistic of samples ``(..., rows, n)``."""
        value = np.asarray(self.stat(*resampled, axis=-1), dtype=np.float64)
        return np.moveaxis(value, -1, 0)

    def estimate(self):
        return np.asarray(self.stat(*self.samples, axis=-1), dtype=np.float64)

    def resamples(self, seed_seq, rows):
        state = stream_state(seed_seq)
        parts = []
        for start in range(0, rows, self.batch):
            count = min(self.batch, rows - start)
            idx = draw_index_matrix(state, self.sizes, self.paired, count)
            if self.paired:
                resampled = [s[..., idx] for s in self.samples]
            else:
                bounds = np.cumsum(self.sizes)[:-1]
                resampled = [s[..., i] for s, i in zip(self.samples, np.split(idx, bounds, 1))]
            parts.append(self._call(resampled))
        return np.concatenate(parts, axis=0)

    def jackknife(self):
        groups = [None] if self.paired else range(len(self.samples))
        result = []
        for j in groups:
            n = self.sizes[0 if j is None else j]
            parts = []
            for start in range(0, n, self.batch):
                stop = min(start + self.batch, n)
                loo = leave_one_out_indices(n, start, stop)
                resampled = []
                for s_i, s in enumerate(self.samples):
                    if j is None or s_i == j:
                        resampled.append(s[..., loo])
                    else:
                        resampled.append(s[..., None, :])
                parts.append(self._call(broadcast_except_last(resampled)))
            result.append(np.concatenate(parts, axis=0))
        return result
