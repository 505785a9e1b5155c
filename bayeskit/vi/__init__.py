"""Variational inference: ``bk.fit(model, method="advi" | "fullrank_advi" | "pathfinder")``.

* ``advi`` / ``fullrank_advi``: :mod:`bayeskit.vi.advi` (options ``ADVI_OPTIONS``);
* ``pathfinder``: :mod:`bayeskit.vi.pathfinder` (options ``PATHFINDER_OPTIONS``).

Every method returns an :class:`~bayeskit.vi.approximation.Approximation` with
``sample(draws, seed=)`` (an ArviZ object like ``bk.sample``'s), ``mean``/``cov`` on the
unconstrained space, the ``elbo`` history, the Pareto ``pareto_k`` diagnostic,
``method`` and ``timings``. ``pathfinder_init`` gives MCMC starting points.
"""

from __future__ import annotations

import numpy as np

from .advi import ADVI_OPTIONS, fit_advi
from .approximation import Approximation, GaussianApproximation, ResampledApproximation
from .density import as_logdensity
from .pathfinder import PATHFINDER_OPTIONS, fit_pathfinder, pathfinder_init

METHODS = {"advi": ADVI_OPTIONS, "fullrank_advi": ADVI_OPTIONS,
           "pathfinder": PATHFINDER_OPTIONS}

__all__ = ["fit", "pathfinder_init", "Approximation", "GaussianApproximation",
           "ResampledApproximation", "METHODS"]


def fit(model_or_logdensity, method="advi", *, seed=None, progressbar=True, **options):
    """Fit a variational approximation to the posterior.

    ``model_or_logdensity``: a ``bk.Model`` (compiled with ``compile()``) or a
    ``bk.LogDensity``. ``method``: ``"advi"`` (mean-field Gaussian), ``"fullrank_advi"``
    (Gaussian with a full covariance) or ``"pathfinder"`` (multi-path Pathfinder with
    Pareto-smoothed importance resampling; ``num_paths=1`` for single-path). ``seed``: an
    int, None or a ``numpy.random.Generator``; the same seed gives the same result.
    ``options``: the method's options (``bayeskit.vi.METHODS[method]`` lists them with
    their defaults), e.g. ``tol_rel_obj``, ``max_iters``, ``num_paths``.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {sorted(METHODS)}")
    unknown = sorted(set(options) - set(METHODS[method]))
    if unknown:
        raise TypeError(f"unknown option(s) {unknown} for method {method!r}; its options "
                        f"are {sorted(METHODS[method])}")
    ld = as_logdensity(model_or_logdensity)
    rng = np.random.default_rng(seed)
    if method == "pathfinder":
        return fit_pathfinder(ld, rng, progressbar=progressbar, **options)
    return fit_advi(ld, rng, fullrank=method == "fullrank_advi", progressbar=progressbar,
                    **options)
