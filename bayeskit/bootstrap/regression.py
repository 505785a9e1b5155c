"""Case-resampling bootstrap of regression coefficients.

:func:`bootstrap_regression` resamples the rows ``(x_i, y_i)`` and refits least squares
in a compiled loop: with the full-data QR ``X = QR`` done once, each resample's fit is a
p x p Cholesky solve of ``Q' C Q`` (C the resample counts), O(n p^2); a rank-deficient
resample gives NaN and a warning. BCa's jackknife uses the exact leave-one-out update
``beta_(-i) = beta - (X'X)^{-1} x_i e_i / (1 - h_ii)`` (O(n p^2) in all, not n refits).
``bayesian=True`` draws Rubin's Dirichlet weights instead and fits weighted least squares.

:func:`bootstrap_map` does the same for the MAP estimate of a bayeskit model: it resamples
the rows of the named data (``Model.set_data``), refits with ``bk.find_map`` (warm-started at
the full-data mode) and gives an interval per parameter element.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numba import njit

from ..model.runtime import cholesky
from .api import BootstrapResult, run_bootstrap
from .common import (ALTERNATIVES, METHODS, as_array, check_choice, check_count,
                     check_level)
from .resample import (DRAW, draw_index_matrix, fill_dirichlet_weights, fill_indices,
                       leave_one_out_indices, stream_state)


@dataclass
class RegressionBootstrapResult(BootstrapResult):
    """A :class:`BootstrapResult` over coefficients (first axis), plus ``estimate`` (the
    full-data fit) and ``names`` (one per coefficient)."""

    estimate: np.ndarray = None
    names: list = None


@njit(cache=True, nogil=True)
def _weighted_fit(Q, y, R, c, G, L, g, coef):
    """Least squares with case weights ``c`` (summing to n) through the full-data QR
    ``X = Q R``: solve ``(Q' C Q) z = Q' C y`` by Cholesky (``Q' C Q`` is near the identity, so the
    normal equations are well conditioned here), then ``R coef = z``. Writes NaN when
    the weighted design is rank deficient."""
    n, p = Q.shape
    G[:, :] = 0.0
    g[:] = 0.0
    for i in range(n):
        ci = c[i]
        if ci == 0.0:
            continue
        for a in range(p):
            qa = ci * Q[i, a]
            g[a] += qa * y[i]
            for b in range(a + 1):
                G[a, b] += qa * Q[i, b]
    if not cholesky(G, L):
        coef[:] = np.nan
        return
    for j in range(p):
        if L[j, j] ** 2 <= 1e-10:  # G is near I for a full-rank resample
            coef[:] = np.nan
            return
    for i in range(p):  # L u = g
        v = g[i]
        for k in range(i):
            v -= L[i, k] * g[k]
        g[i] = v / L[i, i]
    for i in range(p - 1, -1, -1):  # L' z = u
        v = g[i]
        for k in range(i + 1, p):
            v -= L[k, i] * g[k]
        g[i] = v / L[i, i]
    for i in range(p - 1, -1, -1):  # R coef = z
        v = g[i]
        for k in range(i + 1, p):
            v -= R[i, k] * coef[k]
        coef[i] = v / R[i, i]


@njit(cache=True, nogil=True)
def _lstsq_driver(bayesian, Q, y, R, state, rows, out):
    n, p = Q.shape
    idx = np.empty(n, dtype=np.int64)
    c = np.empty(n)
    G = np.empty((p, p))
    L = np.empty((p, p))
    g = np.empty(p)
    for b in range(rows):
        if bayesian:
            fill_dirichlet_weights(state, c)
            c *= n
        else:
            fill_indices(DRAW, state, n, 0, idx)
            c[:] = 0.0
            for i in range(n):
                c[idx[i]] += 1.0
        _weighted_fit(Q, y, R, c, G, L, g, out[b])
    return out


class LeastSquaresEvaluator:
    """Least-squares coefficients of ``y`` on ``X`` under case resampling (an evaluator,
    see :mod:`.evaluators`)."""

    releases_gil = True

    def __init__(self, X, y, bayesian=False):
        self.X = np.ascontiguousarray(X)
        self.y = np.ascontiguousarray(y)
        self.bayesian = bayesian
        self.value_shape = (X.shape[1],)
        q, r = np.linalg.qr(self.X)
        diag = np.abs(np.diag(r))
        if diag.min() <= 1e-10 * diag.max():
            raise ValueError(f"X (with {X.shape[1]} columns) is rank deficient: the "
                             "coefficients are not identified (collinear or constant columns)")
        self.Q, self.R = np.ascontiguousarray(q), np.ascontiguousarray(r)
        self.coef = np.linalg.solve(self.R, self.Q.T @ self.y)

    def estimate(self):
        return self.coef

    def resamples(self, seed_seq, rows):
        out = np.empty((rows, self.X.shape[1]))
        return _lstsq_driver(self.bayesian, self.Q, self.y, self.R, stream_state(seed_seq),
                             rows, out)

    def jackknife(self):
        resid = self.y - self.X @ self.coef
        leverage = np.sum(self.Q * self.Q, axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(leverage < 1 - 1e-12, resid / (1 - leverage), np.nan)
        # beta_(-i) = beta - (X'X)^-1 x_i e_i / (1 - h_ii), and (X'X)^-1 x_i = R^-1 q_i
        delta = np.linalg.solve(self.R, (self.Q * scale[:, None]).T).T
        return [self.coef - delta]


def _names(names, p, default):
    if names is None:
        return [f"{default}[{j}]" for j in range(p)]
    names = [str(v) for v in names]
    if len(names) != p:
        raise ValueError(f"names has {len(names)} entries for {p} coefficients")
    return names


def _warn_nan(dist, what):
    bad = np.isnan(dist).any(axis=0)
    if bad.any():
        warnings.warn(f"{int(bad.sum())} of {bad.size} resamples gave no {what} (a "
                      "rank-deficient or failed fit, e.g. a rare category missing from the "
                      "resample); the intervals are NaN. Drop or merge such columns.",
                      RuntimeWarning, stacklevel=3)


def bootstrap_regression(X, y, *, n_resamples=9999, method="bca", confidence_level=0.95,
                         alternative="two-sided", fit_intercept=False, names=None,
                         bayesian=False, seed=None, executor=None, progressbar=False):
    """Bootstrap intervals of least-squares coefficients by resampling cases (rows).

    Parameters
    ----------
    X : array-like (n, p)
        Design matrix, one row per case. ``fit_intercept=True`` prepends a column of ones
        (its coefficient is named ``"intercept"``).
    y : array-like (n,)
    n_resamples, method, confidence_level, alternative, seed, executor, progressbar
        As in :func:`~bayeskit.bootstrap.bootstrap`.
    names : sequence of str, optional
        Coefficient names (default ``beta[j]``), e.g. a data frame's columns.
    bayesian : bool
        Rubin's Bayesian bootstrap instead: Dirichlet weights, weighted least squares,
        an equal-tailed credible interval at ``confidence_level`` (``method`` ignored).

    Returns
    -------
    RegressionBootstrapResult
        ``confidence_interval.low/high`` (p,), ``bootstrap_distribution`` (p, B),
        ``standard_error`` (p,), ``estimate`` (p,), ``names``.
    """
    method = check_choice(method, METHODS, "method")
    alternative = check_choice(alternative, ALTERNATIVES, "alternative")
    confidence_level = check_level(confidence_level, "confidence_level")
    n_resamples = check_count(n_resamples, "n_resamples")
    X = np.asarray(X)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D design matrix (n, p), got shape {X.shape}")
    X = np.moveaxis(as_array(X, "X", min_obs=1, axis=1), -1, 1)  # checks dtype/NaN
    y = as_array(y, "y", min_obs=2)
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(f"y must be 1-D with one value per row of X ({X.shape[0]}), got "
                         f"shape {y.shape}")
    if fit_intercept:
        X = np.column_stack([np.ones(X.shape[0]), X])
    n, p = X.shape
    if n <= p:
        raise ValueError(f"{n} rows for {p} coefficients: least squares needs n > p")
    labels = _names(names, p - fit_intercept, "beta")
    labels = (["intercept"] if fit_intercept else []) + labels
    evaluator = LeastSquaresEvaluator(X, y, bayesian=bayesian)
    if bayesian:
        method = "percentile"  # an equal-tailed credible interval of the weighted fits
    result, estimate = run_bootstrap(evaluator, n_resamples=n_resamples, method=method,
                                     confidence_level=confidence_level,
                                     alternative=alternative, seed=seed, executor=executor,
                                     progressbar=progressbar)
    _warn_nan(result.bootstrap_distribution, "least-squares fit")
    return RegressionBootstrapResult(**vars(result), estimate=estimate, names=labels)


class MAPEvaluator:
    """The MAP estimate of a bayeskit model, refitted on resampled rows of its data
    (an evaluator, see :mod:`.evaluators`; runs in this thread: it swaps the model's data)."""

    def __init__(self, model, data, find_map, map_kwargs):
        self.model = model
        self.data = data
        self.n = next(iter(data.values())).shape[0]
        self.find_map = find_map
        self.map_kwargs = map_kwargs
        self.full = find_map(model, **map_kwargs)
        self.names = list(self.full)
        self.shapes = [np.shape(self.full[k]) for k in self.names]
        self.value_shape = (sum(int(np.prod(s)) for s in self.shapes),)
        self.labels = [k if s == () else f"{k}[{','.join(map(str, i))}]"
                       for k, s in zip(self.names, self.shapes) for i in np.ndindex(s)]

    def _flatten(self, values):
        return np.concatenate([np.ravel(values[k]) for k in self.names])

    def _fit(self, rows):
        self.model.set_data({k: v[rows] for k, v in self.data.items()})
        try:
            fit = self.find_map(self.model, init={k: self.full[k] for k in self.names},
                                **self.map_kwargs)
        except RuntimeError:
            return np.full(self.value_shape, np.nan)
        return self._flatten(fit)

    def _fits(self, index_rows):
        try:
            return np.stack([self._fit(rows) for rows in index_rows])
        finally:
            self.model.set_data(self.data)

    def estimate(self):
        return self._flatten(self.full)

    def resamples(self, seed_seq, rows):
        idx = draw_index_matrix(stream_state(seed_seq), np.array([self.n]), True, rows)
        return self._fits(idx)

    def jackknife(self):
        return [self._fits(leave_one_out_indices(self.n, 0, self.n))]


def bootstrap_map(model, rows, *, n_resamples=999, method="percentile",
                  confidence_level=0.95, alternative="two-sided", seed=None,
                  progressbar=False, **map_kwargs):
    """Bootstrap intervals of a bayeskit model's MAP estimate by resampling cases.

    ``rows``: the names of the model's data (``m.data``/``m.observe``) whose first axis
    indexes the cases, e.g. ``("X", "y")``; they are resampled together and swapped in with
    ``model.set_data`` (restored afterwards). Each resample is refitted by ``bk.find_map``
    (``map_kwargs`` passed on), warm-started at the full-data mode; a failed fit is NaN (and
    warned about). BCa needs n extra fits (the jackknife), hence ``method="percentile"`` by
    default. Returns a :class:`RegressionBootstrapResult` over the flattened parameters
    (``names`` like ``"beta[2]"``).
    """
    from .. import find_map

    method = check_choice(method, METHODS, "method")
    alternative = check_choice(alternative, ALTERNATIVES, "alternative")
    confidence_level = check_level(confidence_level, "confidence_level")
    n_resamples = check_count(n_resamples, "n_resamples")
    if isinstance(rows, str):
        rows = (rows,)
    nodes = getattr(model, "data_nodes", None)
    if nodes is None or not hasattr(model, "set_data"):
        raise TypeError(f"model must be a bk.Model, got {type(model).__name__}")
    missing = [k for k in rows if k not in nodes]
    if not rows or missing:
        raise ValueError(f"rows must name the model's data; unknown: {missing or rows} "
                         f"(data: {', '.join(nodes)})")
    data = {k: np.asarray(nodes[k].value) for k in rows}
    lengths = {k: (v.shape[0] if v.ndim else 0) for k, v in data.items()}
    if len(set(lengths.values())) != 1 or min(lengths.values()) < 2:
        raise ValueError(f"the data in rows must share a first axis of >= 2 cases; got "
                         f"lengths {lengths}")
    evaluator = MAPEvaluator(model, data, find_map, map_kwargs)
    result, estimate = run_bootstrap(evaluator, n_resamples=n_resamples, method=method,
                                     confidence_level=confidence_level,
                                     alternative=alternative, seed=seed,
                                     progressbar=progressbar)
    _warn_nan(result.bootstrap_distribution, "MAP fit")
    return RegressionBootstrapResult(**vars(result), estimate=estimate,
                                     names=evaluator.labels)
