"""Probability distributions: frozen objects for users, numba kernels for the compiler.

Every family is a class (``bk.Normal(0, 1)``) with ``logpdf``, ``sample``, ``mean``,
``var``, ``support`` and ``default_transform()``, plus what the model compiler reads:
``param_names``, ``params``, ``kernel``, ``kernel_grad``, ``is_discrete``, ``event_ndim``.

Kernels (module-level, ``@njit(cache=True, nogil=True)``, float64 arguments):

* univariate: ``<fam>_lpdf(x, *params) -> lp`` and
  ``<fam>_lpdf_grad(x, *params) -> (lp, d_x, *d_params)``; discrete ones give ``d_x = 0``;
* multivariate: ``<fam>_lpdf(x, *params)`` and
  ``<fam>_lpdf_grad(x, *params, g_x, *g_params) -> lp`` adding into the arrays
  (a scalar parameter's gradient array has length 1);
* Categorical (scalar x, vector parameter, ``event_ndim`` 0) uses the multivariate
  convention with a length-1 ``g_x``: ``categorical_lpdf_grad(x, p, g_x, g_p) -> lp``.

All return ``-inf`` outside the support or for invalid parameters; they never raise
(compiled with ``error_model="numpy"``: a division by an underflowed zero is inf, not an
exception). Discrete families take counts as float64.
"""

from . import continuous, discrete, multivariate
from ._special import digamma, log_bessel_i, log_ndtr
from .base import Distribution
from .censored import Censored
from .continuous import *  # noqa: F401,F403
from .continuous import __all__ as _continuous
from .discrete import *  # noqa: F401,F403
from .discrete import __all__ as _discrete
from .multivariate import *  # noqa: F401,F403
from .multivariate import __all__ as _multivariate

__all__ = ["Distribution", "Censored", *_continuous, *_discrete, *_multivariate]
