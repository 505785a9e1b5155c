"""Input checks and the resampling loop shared by the bootstrap routines.

Resamples are cut into streams of :data:`STREAM_SIZE`; stream ``i`` draws from
``default_rng(children[i])`` where ``children = SeedSequence(seed).spawn(n_streams)``.
The cut depends only on ``n_resamples``, so the same seed gives the same resamples whether
the streams run in this thread, on a thread per core (the default for compiled statistics,
whose loops release the GIL) or on any ``concurrent.futures.Executor``.
"""

from __future__ import annotations

import math
import numbers
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..progress import progress_bar
from .resample import MAX_OBSERVATIONS

STREAM_SIZE = 1024
"""Resamples per independent random stream (and per executor task)."""

METHODS = ("percentile", "basic", "bca")
ALTERNATIVES = ("two-sided", "less", "greater")


def check_level(value, name):
    """``value`` as a float in the open interval (0, 1)."""
    try:
        level = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number in (0, 1), got {value!r}") from None
    if not 0.0 < level < 1.0:
        raise ValueError(f"{name} must be in the open interval (0, 1), got {value!r}")
    return level


def check_choice(value, choices, name):
    """``value`` lower-cased, which must be one of ``choices``."""
    if not isinstance(value, str) or value.lower() not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; "
                         f"got {value!r}")
    return value.lower()


def check_count(value, name, minimum=1):
    """``value`` as an int >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def as_array(values, name, min_obs=2, axis=0):
    """``values`` as a float64 array with the observations (``axis``) last; rejects
    non-numeric input, NaN/inf (saying where) and fewer than ``min_obs`` observations."""
    arr = np.asarray(values)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    if arr.ndim == 0:
        raise ValueError(f"{name} is a scalar; it must hold observations along axis {axis}")
    arr = arr.astype(np.float64, copy=False)
    bad = ~np.isfinite(arr)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        where = where[0] if len(where) == 1 else where
        raise ValueError(f"{name} contains {int(bad.sum())} NaN or infinite value(s), the "
                         f"first at index {where}; remove or impute them first")
    try:
        arr = np.moveaxis(arr, axis, -1)
    except np.exceptions.AxisError:
        raise ValueError(f"axis={axis} is out of range for {name} with shape "
                         f"{arr.shape}") from None
    if arr.shape[-1] > MAX_OBSERVATIONS:
        raise ValueError(f"{name} has {arr.shape[-1]} observations; the resampler handles "
                         f"at most {MAX_OBSERVATIONS}")
    if arr.shape[-1] < min_obs:
        raise ValueError(f"{name} has {arr.shape[-1]} observation(s) along axis {axis}; "
                         f"at least {min_obs} are needed")
    return arr


def as_samples(data, axis, paired, min_obs=2):
    """The samples of ``data`` (a sequence of array-likes) as float64 arrays with the
    observations last, checked for broadcastable batch shapes and, if ``paired``, equal
    lengths."""
    if isinstance(data, np.ndarray) or not isinstance(data, (list, tuple)):
        raise TypeError("data must be a sequence of samples (a tuple or list of arrays), "
                        "e.g. (x,) for one sample or (x, y) for two")
    if len(data) == 0:
        raise ValueError("data must contain at least one sample")
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise ValueError(f"axis must be an integer, got {axis!r}")
    samples = [as_array(s, f"data[{i}]", min_obs, axis) for i, s in enumerate(data)]
    try:
        np.broadcast_shapes(*(s.shape[:-1] for s in samples))
    except ValueError:
        shapes = ", ".join(str(np.shape(s)) for s in data)
        raise ValueError(f"the samples' shapes {shapes} do not broadcast in the axes other "
                         f"than axis={axis}") from None
    if paired:
        lengths = [s.shape[-1] for s in samples]
        if len(set(lengths)) > 1:
            raise ValueError(f"paired=True needs samples of equal length along axis {axis}; "
                             f"got lengths {lengths}")
    return samples


def spawn_streams(seed, n_resamples):
    """``[(seed_seq, rows), ...]`` covering ``n_resamples`` in streams of STREAM_SIZE.
    ``seed`` is None, an int, a SeedSequence or a Generator (whose seed sequence spawns,
    so successive calls with one Generator give different resamples)."""
    if isinstance(seed, np.random.Generator):
        seed_seq = seed.bit_generator.seed_seq
    elif isinstance(seed, np.random.SeedSequence):
        seed_seq = seed
    elif seed is None or (isinstance(seed, numbers.Integral) and not isinstance(seed, bool)
                          and seed >= 0):
        seed_seq = np.random.SeedSequence(seed)
    else:
        raise TypeError(f"seed must be None, a non-negative int or a numpy Generator, "
                        f"got {seed!r}")
    n_streams = math.ceil(n_resamples / STREAM_SIZE)
    children = seed_seq.spawn(n_streams)
    return [(child, min(STREAM_SIZE, n_resamples - i * STREAM_SIZE))
            for i, child in enumerate(children)]


def available_cores():
    """CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run_streams(task, streams, executor=None, progressbar=False, desc="bootstrap",
                threads=False):
    """Concatenate ``task(seed_seq, rows)`` over ``streams`` (along axis 0), run on
    ``executor`` (any ``concurrent.futures.Executor``), or when it is None on a thread per
    core if ``threads`` (for tasks in compiled code that releases the GIL), else here."""
    if executor is None and threads and len(streams) > 1 and available_cores() > 1:
        with ThreadPoolExecutor(min(available_cores(), len(streams))) as pool:
            return run_streams(task, streams, pool, progressbar, desc)
    bar = progress_bar(progressbar, sum(rows for _, rows in streams), desc, unit="resample")
    try:
        if executor is None:
            parts = []
            for seed_seq, rows in streams:
                parts.append(task(seed_seq, rows))
                if bar is not None:
                    bar.update(rows)
        else:
            if not hasattr(executor, "submit"):
                raise TypeError(f"executor must be a concurrent.futures.Executor, got "
                                f"{executor!r}")
            futures = [executor.submit(task, seed_seq, rows) for seed_seq, rows in streams]
            parts = []
            for future, (_, rows) in zip(futures, streams):
                parts.append(future.result())
                if bar is not None:
                    bar.update(rows)
    finally:
        if bar is not None:
            bar.close()
    return np.concatenate(parts, axis=0)
