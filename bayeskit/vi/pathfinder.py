"""Pathfinder (Zhang, Carpenter, Gelman & Vehtari 2022): normal approximations along an
L-BFGS path, the best one chosen by its ELBO.

One path: maximize log p with L-BFGS (scipy), recording every iterate and its gradient.
At each iterate x_l the last ``history_size`` curvature pairs (s, y) with s.y > 0 give the
L-BFGS inverse Hessian estimate in the compact low-rank-plus-diagonal form (Byrd, Nocedal &
Schnabel 1994),

    H = diag(alpha) + beta gamma beta^T,   beta = [diag(alpha) Y, S]  (dim x 2m),
    gamma = [[0, -R^-1], [-R^-T, R^-T (E + Y^T diag(alpha) Y) R^-1]],

with R the upper triangle of S^T Y, E its diagonal, and alpha the diagonal updated by
Gilbert & Lemarechal's (1989) formula for each accepted pair. The normal there is
N(x_l + H grad log p(x_l), H). Its ELBO is estimated from ``num_elbo_draws`` draws (drawn
through the thin QR factorization of diag(alpha)^-1/2 beta, so cost is linear in dim) and
the path returns the normal with the highest ELBO.

Multi-path: ``num_paths`` paths from independent random starts (uniform in
[-init_radius, init_radius], Stan's convention); the result is the equal-weight mixture
of their normals, importance-resampled with Pareto smoothing
(:class:`~bayeskit.vi.approximation.ResampledApproximation`). ``num_paths=1`` returns
the single best normal (:class:`~bayeskit.vi.approximation.GaussianApproximation`).
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np
from scipy.linalg import cholesky, qr, solve_triangular, LinAlgError
from scipy.optimize import minimize

from ..initialization import initial_point
from ..progress import progress_bar
from .approximation import Gaussian, GaussianApproximation, ResampledApproximation
from .density import logp_rows

LOG_2PI = math.log(2.0 * math.pi)
CURVATURE_EPS = 1e-12

PATHFINDER_OPTIONS = {
    "num_paths": 4,            # independent L-BFGS paths (1: single-path Pathfinder)
    "history_size": 6,         # curvature pairs kept for the inverse Hessian estimate
    "max_lbfgs_iters": 1000,   # L-BFGS iterations per path
    "num_elbo_draws": 25,      # draws per ELBO estimate along the path
    "num_draws": 1000,         # draws per path for the importance pool and k-hat
    "ftol": 1e-10,             # L-BFGS stop: relative decrease of -log p
    "gtol": 1e-8,              # L-BFGS stop: largest gradient component
    "init": None,              # dict of constrained starting values (as bk.sample)
    "init_radius": 2.0,        # random starts uniform in [-init_radius, init_radius]
}


class _LowRankNormal:
    """N(mu, diag(alpha) + beta gamma beta^T) drawn through thin-QR factors."""

    def __init__(self, mu, alpha, beta, gamma):
        self.mu = mu
        self.alpha = alpha
        self.sqrt_alpha = np.sqrt(alpha)
        dim = mu.shape[0]
        if beta.shape[1] == 0:
            self.q = np.zeros((dim, 0))
            self.lk = np.zeros((0, 0))
        else:
            self.q, r = qr(beta / self.sqrt_alpha[:, None], mode="economic")
            middle = np.eye(r.shape[0]) + r @ gamma @ r.T
            self.lk = cholesky(0.5 * (middle + middle.T), lower=True)  # LinAlgError if not PD
        self.log_det_half = (0.5 * float(np.sum(np.log(alpha)))
                             + float(np.sum(np.log(np.diag(self.lk)))))

    def draw(self, n, rng):
        u = rng.standard_normal((n, self.mu.shape[0]))
        v = u + ((u @ self.q) @ (self.lk - np.eye(self.lk.shape[0])).T) @ self.q.T
        x = self.mu + self.sqrt_alpha * v
        logq = (-0.5 * np.sum(u * u, axis=1) - 0.5 * self.mu.shape[0] * LOG_2PI
                - self.log_det_half)
        return np.ascontiguousarray(x), logq

    def dense_cholesky(self):
        """Lower Cholesky factor of the covariance (dense, dim x dim)."""
        a = np.eye(self.mu.shape[0]) + self.q @ (self.lk - np.eye(self.lk.shape[0])) @ self.q.T
        root = self.sqrt_alpha[:, None] * a
        cov = root @ root.T
        return np.linalg.cholesky(0.5 * (cov + cov.T))


def _update_alpha(alpha, s, y):
    """Gilbert & Lemarechal's diagonal inverse-Hessian update for the pair (s, y)."""
    a = y @ (alpha * y)
    b = y @ s
    c = s @ (s / alpha)
    new = b / (a / alpha + y * y - (a / c) * (s / alpha) ** 2)
    return new if np.all(np.isfinite(new) & (new > 0)) else alpha


def _normal_at(x, grad, alpha, pairs):
    """The Pathfinder normal at iterate ``x`` from the accepted curvature ``pairs``."""
    if pairs:
        s_mat = np.column_stack([p[0] for p in pairs])
        y_mat = np.column_stack([p[1] for p in pairs])
        sy = s_mat.T @ y_mat
        r_inv = solve_triangular(np.triu(sy), np.eye(len(pairs)), lower=False)
        ay = alpha[:, None] * y_mat
        beta = np.hstack([ay, s_mat])
        lower_right = r_inv.T @ (np.diag(np.diag(sy)) + y_mat.T @ ay) @ r_inv
        m = len(pairs)
        gamma = np.block([[np.zeros((m, m)), -r_inv], [-r_inv.T, lower_right]])
    else:
        beta = np.zeros((x.shape[0], 0))
        gamma = np.zeros((0, 0))
    h_grad = alpha * grad + beta @ (gamma @ (beta.T @ grad))
    return _LowRankNormal(x + h_grad, alpha, beta, gamma)


def lbfgs_path(ld, x0, opts):
    """Maximize log p from ``x0`` with scipy's L-BFGS; return iterates and gradients."""
    dim = ld.dim
    recent = []

    def objective(x):
        g = np.empty(dim)
        lp = ld.logp_grad(x, g)
        if not (np.isfinite(lp) and np.all(np.isfinite(g))):
            return np.inf, np.zeros(dim)
        recent.append((x.copy(), g))
        del recent[:-50]
        return -lp, -g

    g0 = np.empty(dim)
    ld.logp_grad(x0, g0)
    xs, gs = [x0.copy()], [g0]

    def callback(intermediate_result):
        x = np.asarray(intermediate_result.x)
        for xr, gr in reversed(recent):
            if np.array_equal(xr, x):
                xs.append(xr)
                gs.append(gr)
                return
        g = np.empty(dim)
        if np.isfinite(ld.logp_grad(x.copy(), g)):
            xs.append(x.copy())
            gs.append(g)

    result = minimize(objective, x0, jac=True, method="L-BFGS-B", callback=callback,
                      options={"maxiter": opts["max_lbfgs_iters"],
                               "maxcor": opts["history_size"],
                               "ftol": opts["ftol"], "gtol": opts["gtol"]})
    return xs, gs, result


def single_path(ld, x0, rng, opts):
    """Run one Pathfinder path: (best normal or None, ELBO per iterate, info)."""
    xs, gs, result = lbfgs_path(ld, x0, opts)
    alpha = np.ones(ld.dim)
    pairs = []
    elbos = []
    best, best_elbo = None, -np.inf
    for l in range(1, len(xs)):
        s = xs[l] - xs[l - 1]
        y = gs[l - 1] - gs[l]  # gradient difference of -log p
        if s @ y > CURVATURE_EPS * (y @ y):
            pairs = (pairs + [(s, y)])[-opts["history_size"]:]
            alpha = _update_alpha(alpha, s, y)
        try:
            normal = _normal_at(xs[l], gs[l], alpha, pairs)
        except (LinAlgError, ValueError):
            elbos.append(-np.inf)
            continue
        draws, logq = normal.draw(opts["num_elbo_draws"], rng)
        lw = logp_rows(ld, draws) - logq
        elbo = float(np.mean(lw)) if np.all(np.isfinite(lw)) else -np.inf
        elbos.append(elbo)
        if elbo > best_elbo:
            best, best_elbo = normal, elbo
    info = {"lbfgs_iterations": len(xs) - 1, "lbfgs_message": str(result.message),
            "n_grad_evals": int(result.nfev) + len(xs),
            "best_iteration": int(np.argmax(elbos)) + 1 if best is not None else None}
    return best, np.array(elbos), info


def _check_options(opts):
    for name in ("num_paths", "history_size", "max_lbfgs_iters", "num_elbo_draws",
                 "num_draws"):
        value = opts[name]
        if not (isinstance(value, (int, np.integer)) and value >= 1):
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if opts["num_draws"] < 5 or opts["num_elbo_draws"] < 2:
        raise ValueError("num_draws must be >= 5 and num_elbo_draws >= 2")
    for name in ("ftol", "gtol", "init_radius"):
        if not (np.isfinite(opts[name]) and opts[name] > 0):
            raise ValueError(f"{name} must be a positive number, got {opts[name]!r}")


def fit_pathfinder(ld, rng, *, progressbar=True, **options):
    """Single- or multi-path Pathfinder; see the module docstring."""
    opts = dict(PATHFINDER_OPTIONS)
    opts.update(options)
    _check_options(opts)
    start = time.perf_counter()
    bar = progress_bar(progressbar, opts["num_paths"], "pathfinder", unit="path", leave=False)
    paths = []
    try:
        for _ in range(opts["num_paths"]):
            x0 = initial_point(ld, rng, opts["init"], radius=opts["init_radius"])
            paths.append(single_path(ld, x0, rng, opts))
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    good = [p for p in paths if p[0] is not None]
    if not good:
        raise ValueError("pathfinder: no path found a normal approximation with a finite "
                         "ELBO (the log density is -inf or NaN at the draws along every "
                         "path); check the model or pass init=")
    if len(good) < len(paths):
        warnings.warn(f"pathfinder: {len(paths) - len(good)} of {len(paths)} paths found "
                      "no approximation with a finite ELBO and were dropped", UserWarning,
                      stacklevel=3)
    lead = max(good, key=lambda p: np.max(p[1]))
    info = {"paths": [p[2] for p in paths], "path_elbos": [p[1] for p in paths],
            "n_grad_evals": sum(p[2]["n_grad_evals"] for p in paths),
            "options": opts}
    info["fit_seconds"] = time.perf_counter() - start
    common = dict(method="pathfinder", elbo=lead[1],
                  elbo_iterations=np.arange(1, lead[1].shape[0] + 1), converged=True,
                  info=info, rng=rng, psis_draws=opts["num_draws"])
    components = [_as_gaussian(p[0]) for p in good]
    if opts["num_paths"] == 1:
        return GaussianApproximation(ld, components[0].mu, components[0].chol, **common)
    return ResampledApproximation(ld, components, **common)


def _as_gaussian(normal):
    return Gaussian(normal.mu, normal.dense_cholesky())


def pathfinder_init(ld, chains, rng, **options):
    """Starting points (chains, dim) for MCMC from multi-path Pathfinder.

    The draws are importance-resampled without replacement, so chains start at distinct
    points of the approximate posterior. ``options``: as for ``bk.fit(method=
    "pathfinder")``. The k-hat warning is silenced: a rough approximation still gives
    good starting points.
    """
    chains = int(chains)
    if chains < 1:
        raise ValueError(f"chains must be a positive integer, got {chains}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        approx = fit_pathfinder(ld, rng, progressbar=False, **options)
    if isinstance(approx, ResampledApproximation):
        per = max(approx.info["options"]["num_draws"], chains)
        return approx.resample(chains, rng, proposals_per_component=per, replace=False)
    return approx.normal.draw(chains, rng)[0]
