"""The one Numba decorator of the sampler kernels.

``cache=True``: compiled once per machine. ``nogil=True``: chains run in parallel threads.
``error_model="numpy"``: a float division by zero gives inf or NaN (which the kernels treat
as a rejected or divergent step) instead of raising ``ZeroDivisionError`` from inside a
running chain; the divisions that could meet a zero are also guarded where they stand.
"""

from numba import njit

compiled = njit(cache=True, nogil=True, error_model="numpy")
"""Decorator for every compiled function in ``bayeskit.samplers``."""
