"""Automatic differentiation variational inference (Kucukelbir et al. 2017).

A Gaussian q(theta) = N(mu, L L^T) on the unconstrained space is fitted by stochastic
gradient ascent on the ELBO, E_q[log p(theta)] + H[q], with reparameterized gradients
(theta = mu + L z, z ~ N(0, I), ``grad_samples`` draws per step). State: ``mu``,
``log_diag`` (log of L's diagonal, so it stays positive) and, for full rank, ``strict``
(L's strictly lower triangle; shape (0, 0) for mean-field, so one compiled loop serves
both).

Optimizer (:mod:`bayeskit.vi.optimizers`): natural-gradient steps, which are invariant to
the scale of each parameter (a coefficient with posterior sd 0.01 converges as fast and
as accurately as one with sd 100, where Adam-type steps in unconstrained units jitter
it by many sds), clipped to a trust region for the first iterations.

Convergence (Stan's rule, made aware of Monte Carlo noise): every ``eval_elbo`` iterations
the ELBO is estimated with ``elbo_samples`` fresh draws at the average of the iterates
since the last estimate; the relative change |ELBO_k - ELBO_{k-1}| / |ELBO_k|, less twice
the standard error of the difference (so pure estimation noise counts as no change, and an
ELBO near 0 does not stall the rule as it does in Stan), goes into a buffer of the last
``max(3, 0.1 * max_iters / eval_elbo)`` changes, and the ELBO is flat when the buffer's
mean or median falls below ``tol_rel_obj``. Each time it is flat the learning rate is cut
by ``lr_factor``, ``lr_reductions`` times; after the last cut the result is the average of
the iterates of that stage, which runs for at least the buffer's length (Polyak-Ruppert
averaging; it removes the remaining jitter).
Full rank starts from the mean-field solution (then at ``fullrank_learning_rate``): the
full-rank steps are noisier, and from a far-off start they can blow L up.
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np
from numba import njit

from ..logdensity import call_logp_grad
from .approximation import GaussianApproximation
from ..initialization import initial_point
from ..progress import progress_bar
from .optimizers import natural_gradient_step

LOG_2PI = math.log(2.0 * math.pi)
MAX_REDRAWS = 10
MIN_CHANGES = 3  # ELBO changes needed before Stan's rule may declare convergence

ADVI_OPTIONS = {
    "learning_rate": 0.1,      # first natural-gradient step size (fraction of the way)
    "fullrank_learning_rate": 0.02,  # first step size of the full-rank stage
    "max_step": 1.0,           # largest change of any parameter in one step
    "lr_reductions": 3,        # times the learning rate is cut once the ELBO is flat
    "lr_factor": 0.3,          # ... by this factor
    "max_iters": 10000,        # hard cap on optimizer iterations
    "tol_rel_obj": 0.01,       # Stan's relative ELBO-change tolerance
    "eval_elbo": 100,          # iterations between ELBO evaluations
    "grad_samples": 1,         # Monte Carlo draws per gradient
    "elbo_samples": 100,       # Monte Carlo draws per ELBO estimate
    "init": None,              # dict of constrained starting values (as bk.sample)
    "init_sd": 1.0,            # starting standard deviation of every coordinate
    "psis_draws": 1000,        # draws for the Pareto k-hat diagnostic
}


@njit(cache=True, nogil=True)
def _transform(mu, log_diag, strict, z, theta):
    """theta = mu + L z."""
    fullrank = strict.shape[0] > 0
    for i in range(mu.shape[0]):
        acc = mu[i] + math.exp(log_diag[i]) * z[i]
        if fullrank:
            for j in range(i):
                acc += strict[i, j] * z[j]
        theta[i] = acc


@njit(cache=True, nogil=True)
def advi_iterations(fn, fdata, idata, mu, log_diag, strict, n_iter, lr, max_step,
                    grad_samples, rng, sums):
    """Run ``n_iter`` natural-gradient steps on the ELBO; add each iterate into ``sums``
    (a tuple of arrays shaped like mu, log_diag, strict).

    Returns the number of iterations done; fewer than ``n_iter`` means that no finite
    log density was found in ``MAX_REDRAWS`` draws from the current approximation.
    """
    dim = mu.shape[0]
    fullrank = strict.shape[0] > 0
    z = np.empty(dim)
    theta = np.empty(dim)
    g = np.empty(dim)
    w = np.empty(dim)
    w_mean = np.empty(dim)
    wz_lower = np.zeros(strict.shape)
    wz_diag = np.empty(dim)
    for it in range(n_iter):
        w_mean[:] = 0.0
        wz_lower[:] = 0.0
        wz_diag[:] = 0.0
        for _ in range(grad_samples):
            ok = False
            for _attempt in range(MAX_REDRAWS):
                for i in range(dim):
                    z[i] = rng.standard_normal()
                _transform(mu, log_diag, strict, z, theta)
                lp = call_logp_grad(fn, theta, g, fdata, idata)
                if np.isfinite(lp) and np.all(np.isfinite(g)):
                    ok = True
                    break
            if not ok:
                return it
            for j in range(dim):  # w = L^T g
                acc = math.exp(log_diag[j]) * g[j]
                if fullrank:
                    for i in range(j + 1, dim):
                        acc += strict[i, j] * g[i]
                w[j] = acc
            for i in range(dim):
                w_mean[i] += w[i] / grad_samples
                wz_diag[i] += w[i] * z[i] / grad_samples
                if fullrank:
                    for j in range(i):
                        wz_lower[i, j] += w[i] * z[j] / grad_samples
        natural_gradient_step(mu, log_diag, strict, w_mean, wz_diag, wz_lower, lr, max_step)
        sums[0][:] += mu
        sums[1][:] += log_diag
        sums[2][:] += strict
    return n_iter


@njit(cache=True, nogil=True)
def elbo_estimate(fn, fdata, idata, mu, log_diag, strict, n_draws, rng):
    """Monte Carlo ELBO of N(mu, L L^T), its standard error, and the number of draws with
    non-finite density.

    The mean is over the finite draws (Stan drops the others); the caller decides how
    many dropped draws make the estimate unusable.
    """
    dim = mu.shape[0]
    z = np.empty(dim)
    theta = np.empty(dim)
    g = np.empty(dim)
    lps = np.empty(n_draws)
    n_ok = 0
    for _ in range(n_draws):
        for i in range(dim):
            z[i] = rng.standard_normal()
        _transform(mu, log_diag, strict, z, theta)
        lp = call_logp_grad(fn, theta, g, fdata, idata)
        if np.isfinite(lp):
            lps[n_ok] = lp
            n_ok += 1
    if n_ok < 2:
        return -np.inf, np.inf, n_draws - n_ok
    entropy = 0.5 * dim * (1.0 + LOG_2PI) + np.sum(log_diag)
    ok = lps[:n_ok]
    return np.mean(ok) + entropy, np.std(ok) / np.sqrt(n_ok), n_draws - n_ok


def _check_options(opts):
    for name in ("max_iters", "eval_elbo", "grad_samples", "elbo_samples", "psis_draws"):
        value = opts[name]
        if not (isinstance(value, (int, np.integer)) and value >= 1):
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    for name in ("learning_rate", "fullrank_learning_rate", "tol_rel_obj", "init_sd",
                 "max_step"):
        value = opts[name]
        if not (isinstance(value, (int, float)) and np.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a positive number, got {value!r}")
    if not (isinstance(opts["lr_reductions"], (int, np.integer)) and opts["lr_reductions"] >= 0):
        raise ValueError(f"lr_reductions must be a non-negative integer, "
                         f"got {opts['lr_reductions']!r}")
    if not (isinstance(opts["lr_factor"], float) and 0.0 < opts["lr_factor"] < 1.0):
        raise ValueError(f"lr_factor must be a float in (0, 1), got {opts['lr_factor']!r}")


def _relative_change(new, old, se):
    """|new - old| beyond twice its Monte Carlo standard error ``se``, relative to |new|."""
    excess = max(0.0, abs(new - old) - 2.0 * se)
    if excess == 0.0:
        return 0.0
    return excess / abs(new) if new != 0.0 else math.inf


def _stationary(changes, window, tol):
    """Stan's rule on the last ``window`` relative ELBO changes: 'mean', 'median' or None."""
    recent = changes[-window:]
    if len(recent) < MIN_CHANGES:
        return None
    if np.mean(recent) < tol:
        return "mean"
    if np.median(recent) < tol:
        return "median"
    return None


def _optimize(ld, rng, state, lr, opts, bar, method):
    """Natural-gradient ascent from ``state`` until Stan's rule holds at the last of the
    learning-rate stages; returns (averaged final state, ELBO history, iterations done,
    converged, rule)."""
    def elbo_at(s):
        value, se, dropped = elbo_estimate(ld.fn, ld.fdata, ld.idata, *s,
                                           opts["elbo_samples"], rng)
        return (value, se) if dropped * 2 <= opts["elbo_samples"] else (-math.inf, math.inf)

    elbo0, se0 = elbo_at(state)
    if not np.isfinite(elbo0):
        raise ValueError(f"{method}: the ELBO is not finite at the initial approximation: "
                         "the log density is -inf or NaN at most draws around the starting "
                         "point; pass init= (constrained values) or a smaller init_sd")
    max_iters, every = opts["max_iters"], opts["eval_elbo"]
    window = max(MIN_CHANGES, int(0.1 * max_iters / every))
    history, errors = [elbo0], [se0]
    stage, changes, stage_sums, stage_blocks = 0, [], None, 0
    converged, rule, t = False, None, 0
    while t < max_iters:
        n = min(every, max_iters - t)
        sums = tuple(np.zeros_like(x) for x in state)
        done = advi_iterations(ld.fn, ld.fdata, ld.idata, *state, n, lr, opts["max_step"],
                               opts["grad_samples"], rng, sums)
        if done < n:
            raise ValueError(
                f"{method}: the log density was not finite at {MAX_REDRAWS} consecutive "
                f"draws from the approximation at iteration {t + done}; the optimization "
                "diverged (try a smaller learning_rate)")
        t += n
        block_mean = tuple(x / n for x in sums)
        elbo, se = elbo_at(block_mean)
        if not np.isfinite(elbo):
            raise ValueError(f"{method}: the ELBO became non-finite at iteration {t}; the "
                             "optimization diverged (try a smaller learning_rate)")
        changes.append(_relative_change(elbo, history[-1], math.hypot(se, errors[-1])))
        history.append(elbo)
        errors.append(se)
        if len(changes) > 1:  # a stage's first block is still moving
            stage_sums = block_mean if stage_sums is None else tuple(
                a + b for a, b in zip(stage_sums, block_mean))
            stage_blocks += 1
        if bar is not None:
            bar.update(n)
            bar.set_postfix(elbo=f"{elbo:.4g}", lr=f"{lr:.2g}", refresh=False)
        rule = _stationary(changes, window, opts["tol_rel_obj"])
        if rule is None:
            continue
        if stage == opts["lr_reductions"]:
            if len(changes) >= window:
                converged = True
                break
            continue
        stage += 1
        lr *= opts["lr_factor"]
        changes, stage_sums, stage_blocks = [], None, 0
    if not converged:
        warnings.warn(f"{method} did not converge in max_iters={max_iters} iterations "
                      f"(at learning-rate stage {stage} of {opts['lr_reductions']}); "
                      "increase max_iters", RuntimeWarning, stacklevel=4)
    final = block_mean if stage_sums is None else tuple(x / stage_blocks for x in stage_sums)
    return final, history, t, converged, rule


def fit_advi(ld, rng, *, fullrank, progressbar, **options):
    """Fit mean-field (``fullrank=False``) or full-rank ADVI; see the module docstring."""
    opts = dict(ADVI_OPTIONS)
    opts.update(options)
    _check_options(opts)
    method = "fullrank_advi" if fullrank else "advi"
    start = time.perf_counter()
    dim = ld.dim
    state = (initial_point(ld, rng, opts["init"]),
             np.full(dim, math.log(opts["init_sd"])), np.zeros((0, 0)))
    bar = progress_bar(progressbar, opts["max_iters"] * (2 if fullrank else 1), method,
                       leave=False)
    try:
        state, history, t, converged, rule = _optimize(ld, rng, state, opts["learning_rate"],
                                                       opts, bar, method)
        iterations = list(range(0, t + 1, opts["eval_elbo"]))[:len(history) - 1] + [t]
        if fullrank:
            state = (state[0], state[1], np.zeros((dim, dim)))
            state, more, t_full, converged, rule = _optimize(
                ld, rng, state, opts["fullrank_learning_rate"], opts, bar, method)
            history += more[1:]
            iterations += [t + min(k * opts["eval_elbo"], t_full)
                           for k in range(1, len(more))]
            t += t_full
    finally:
        if bar is not None:
            bar.close()
    chol = np.diag(np.exp(state[1]))
    if fullrank:
        chol += np.tril(state[2], -1)
    return GaussianApproximation(
        ld, state[0], chol, method=method,
        elbo=np.array(history), elbo_iterations=np.array(iterations), converged=converged,
        info={"iterations": t, "convergence_rule": rule,
              "n_grad_evals": t * opts["grad_samples"], "options": opts,
              "fit_seconds": time.perf_counter() - start},
        rng=rng, psis_draws=opts["psis_draws"])


