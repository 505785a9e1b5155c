"""Random streams, index and weight generation for resampling, compiled by Numba.

Every resampling path in :mod:`bayeskit.bootstrap` draws its observations through
:func:`fill_indices` (or :func:`fill_dirichlet_weights` for the Bayesian bootstrap), so
the same seed gives the same resamples whichever statistic path consumes them.

The generator is xoshiro256++ (Blackman & Vigna 2018, the default of Julia), stepped
inline in the compiled loops: drawing through numpy's ``Generator`` from Numba costs a
call per number and was the bottleneck. A stream's 256-bit state comes from a numpy
``SeedSequence`` (:func:`stream_state`), so streams spawned from one seed are independent.
Indices are exactly uniform (Lemire's multiply-and-reject on 32-bit halves, two per
step), for samples of up to ``2**32 - 1`` observations.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, uint64

DRAW = 0
"""Mode: a bootstrap resample, ``n`` indices drawn uniformly with replacement."""
LEAVE_ONE_OUT = 1
"""Mode: the ``n - 1`` indices of the jackknife sample that leaves out observation ``row``."""
IDENTITY = 2
"""Mode: the original sample, ``0 .. n-1``."""

MAX_OBSERVATIONS = 2**32 - 1
"""Largest sample the index generator handles."""

_MASK32 = uint64(0xFFFFFFFF)


def stream_state(seed_seq):
    """The xoshiro256++ state (uint64[4], never all zero) of the stream ``seed_seq``."""
    state = seed_seq.generate_state(4, np.uint64)
    if not state.any():
        state[0] = 1
    return state


@njit(cache=True, nogil=True, inline="always")
def _rotl(x, k):
    return (x << uint64(k)) | (x >> uint64(64 - k))


@njit(cache=True, nogil=True, inline="always")
def _step(s0, s1, s2, s3):
    """One xoshiro256++ step on a state held in locals: ``(s0, s1, s2, s3, 64 bits)``."""
    result = _rotl(s0 + s3, 23) + s0
    t = s1 << uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    return s0, s1, s2, s3, result


@njit(cache=True, nogil=True, inline="always")
def next_u64(state):
    """Advance the xoshiro256++ ``state`` array in place and return 64 random bits."""
    s0, s1, s2, s3, result = _step(state[0], state[1], state[2], state[3])
    state[0], state[1], state[2], state[3] = s0, s1, s2, s3
    return result


@njit(cache=True, nogil=True, inline="always")
def draw_pair(s0, s1, s2, s3, nn, threshold):
    """Two candidate indices uniform on ``0 .. nn-1`` from one step of the state in locals:
    Lemire's multiply-and-reject on each 32-bit half (``threshold = 2**32 mod nn``).
    Returns ``(s0, s1, s2, s3, i, j, i_ok, j_ok)``; a rejected candidate (probability
    < nn / 2**32) is skipped by the caller, so the indices stay exactly uniform."""
    s0, s1, s2, s3, r = _step(s0, s1, s2, s3)
    a = (r >> uint64(32)) * nn
    b = (r & _MASK32) * nn
    return (s0, s1, s2, s3, np.int64(a >> uint64(32)), np.int64(b >> uint64(32)),
            (a & _MASK32) >= threshold, (b & _MASK32) >= threshold)


@njit(cache=True, nogil=True, inline="always")
def lemire_threshold(n):
    """``(uint64 n, 2**32 mod n)``, the arguments :func:`draw_pair` takes."""
    nn = uint64(n)
    return nn, (uint64(4294967296) - nn) % nn


@njit(cache=True, nogil=True)
def _fill_uniform(state, n, idx):
    """``idx[:n]`` uniform on ``0 .. n-1``, two per generator step (see :func:`draw_pair`;
    the state lives in locals during the loop, which keeps it in registers)."""
    nn, threshold = lemire_threshold(n)
    s0, s1, s2, s3 = state[0], state[1], state[2], state[3]
    j = 0
    while j < n:
        s0, s1, s2, s3, a, b, a_ok, b_ok = draw_pair(s0, s1, s2, s3, nn, threshold)
        if a_ok:
            idx[j] = a
            j += 1
        if b_ok and j < n:
            idx[j] = b
            j += 1
    state[0], state[1], state[2], state[3] = s0, s1, s2, s3


@njit(cache=True, nogil=True, inline="always")
def next_exponential(state):
    """A standard exponential variate, ``-log(u)`` with ``u`` uniform on (0, 1]."""
    u = (np.float64(next_u64(state) >> uint64(11)) + 1.0) * (1.0 / 9007199254740992.0)
    return -math.log(u)


@njit(cache=True, nogil=True)
def fill_indices(mode, state, n, row, idx):
    """Fill ``idx`` with the indices of one resample of ``n`` observations; return its size."""
    if mode == DRAW:
        _fill_uniform(state, n, idx)
        return n
    if mode == LEAVE_ONE_OUT:
        k = 0
        for j in range(n):
            if j != row:
                idx[k] = j
                k += 1
        return n - 1
    for j in range(n):
        idx[j] = j
    return n


@njit(cache=True, nogil=True)
def draw_index_matrix(state, sizes, paired, rows):
    """Draw ``rows`` resamples as one int64 matrix ``(rows, sum(sizes))`` (or ``(rows, n)``
    when ``paired``), in the order the compiled drivers consume the stream: per resample,
    the indices of sample 0, then sample 1, ...
    """
    n_samples = 1 if paired else sizes.shape[0]
    total = 0
    for s in range(n_samples):
        total += sizes[s]
    out = np.empty((rows, total), dtype=np.int64)
    for b in range(rows):
        start = 0
        for s in range(n_samples):
            fill_indices(DRAW, state, sizes[s], 0, out[b, start:start + sizes[s]])
            start += sizes[s]
    return out


@njit(cache=True, nogil=True)
def fill_dirichlet_weights(state, w):
    """Fill ``w`` with a Dirichlet(1, ..., 1) draw: normalized standard exponentials."""
    total = 0.0
    for j in range(w.shape[0]):
        w[j] = next_exponential(state)
        total += w[j]
    for j in range(w.shape[0]):
        w[j] /= total


def leave_one_out_indices(n, start, stop):
    """The jackknife index sets that leave out observations ``start .. stop-1``: an int64
    matrix ``(stop - start, n - 1)`` (a numpy helper for statistics that are not compiled)."""
    rows = np.arange(start, stop)[:, None]
    cols = np.arange(n - 1)[None, :]
    return cols + (cols >= rows)
