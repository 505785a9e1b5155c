"""Warmup: dual-averaging step size, Welford (co)variance, and Stan's windowed schedule.

Stan's warmup (the defaults of CmdStan): a fast initial buffer of 75 iterations where only
the step size adapts, then slow windows (25, 50, 100, ... iterations, the last one stretched
to the end) at whose ends the metric is set to the regularized (co)variance of the window's
draws, and a terminal buffer of 50 iterations where the step size adapts to the final
metric. After each window the step size is re-initialised by Stan's heuristic and the dual
averaging restarts with mu = log(10 * eps).
"""

import numpy as np

from .integrators import cholesky, kinetic_energy, leapfrog, sample_momentum, velocity
from .jit import compiled
from .state import DualAveragingState, Metric, WelfordState

DA_GAMMA = 0.05
DA_T0 = 10.0
DA_KAPPA = 0.75
INIT_BUFFER = 75
TERM_BUFFER = 50
BASE_WINDOW = 25
REGULARIZATION_SCALE = 1e-3
REGULARIZATION_WEIGHT = 5.0


# -- the schedule (plain Python: computed once per run) ---------------------------------------
def warmup_schedule(tune, init_buffer=INIT_BUFFER, term_buffer=TERM_BUFFER,
                    base_window=BASE_WINDOW):
    """Stan's windowed warmup as two boolean arrays over the ``tune`` iterations.

    Returns ``(in_window, window_end)``: whether iteration i's draw feeds the (co)variance
    estimate, and whether the metric is updated after iteration i. With fewer than 20
    warmup iterations no metric is estimated (as in Stan); when the default buffers do
    not fit, they shrink to 15% / 75% / 10% of ``tune``.
    """
    tune = int(tune)
    in_window = np.zeros(tune, dtype=np.bool_)
    window_end = np.zeros(tune, dtype=np.bool_)
    if tune < 20:
        return in_window, window_end
    if init_buffer + base_window + term_buffer > tune:
        init_buffer = int(0.15 * tune)
        term_buffer = int(0.1 * tune)
        base_window = tune - init_buffer - term_buffer
    end_slow = tune - term_buffer
    start, size = init_buffer, base_window
    while start < end_slow:
        end = start + size
        if end + 2 * size > end_slow:  # the next window would not fit: stretch this one
            end = end_slow
        in_window[start:end] = True
        window_end[end - 1] = True
        start, size = end, 2 * size
    return in_window, window_end


def proportional_schedule(tune):
    """Warmup windows scaled to the warmup length (buffers of 10%, first window 2.5%).

    Used by random-walk Metropolis, whose draws are ~dim times more autocorrelated than
    HMC's: Stan's fixed 75/25/50 iterations are too short to tune its proposal scale or
    to give a usable first covariance estimate, so the same doubling windows are
    stretched in proportion to ``tune`` (never shorter than Stan's).
    """
    return warmup_schedule(tune, max(INIT_BUFFER, tune // 10), max(TERM_BUFFER, tune // 10),
                           max(BASE_WINDOW, tune // 40))


# -- dual averaging ----------------------------------------------------------------------------
@compiled
def dual_averaging_init(step_size, mu):
    """Start dual averaging at ``step_size`` shrinking towards ``exp(mu)``."""
    return DualAveragingState(np.log(step_size), 0.0, 0.0, 0.0, mu)


@compiled
def dual_averaging_update(da, accept_stat, target):
    """One dual-averaging update from an acceptance statistic (Stan's stepsize_adaptation)."""
    if not (accept_stat >= 0.0):  # NaN
        accept_stat = 0.0
    accept_stat = min(1.0, accept_stat)
    count = da.count + 1.0
    eta = 1.0 / (count + DA_T0)
    error_avg = (1.0 - eta) * da.error_avg + eta * (target - accept_stat)
    log_step = da.mu - error_avg * np.sqrt(count) / DA_GAMMA
    w = count ** (-DA_KAPPA)
    log_step_avg = (1.0 - w) * da.log_step_avg + w * log_step
    return DualAveragingState(log_step, log_step_avg, error_avg, count, da.mu)


# -- Welford (co)variance ------------------------------------------------------------------------
def welford_init(dim, dense):
    """An empty estimator for ``dim`` parameters (dense keeps the full covariance)."""
    m2_dense = np.zeros((dim, dim) if dense else (0, 0))
    return WelfordState(0.0, np.zeros(dim), np.zeros(dim), m2_dense)


@compiled
def welford_reset(w):
    """Empty the estimator in place (a new window starts)."""
    w.mean[:] = 0.0
    w.m2[:] = 0.0
    w.m2_dense[:, :] = 0.0
    return WelfordState(0.0, w.mean, w.m2, w.m2_dense)


@compiled
def welford_update(w, x, delta):
    """Add draw ``x``; ``delta`` is (dim,) scratch."""
    count = w.count + 1.0
    d = x.size
    for i in range(d):
        delta[i] = x[i] - w.mean[i]
        w.mean[i] += delta[i] / count
        w.m2[i] += delta[i] * (x[i] - w.mean[i])
    if w.m2_dense.shape[0] == d:
        for i in range(d):
            for j in range(d):
                w.m2_dense[i, j] += delta[i] * (x[j] - w.mean[j])
    return WelfordState(count, w.mean, w.m2, w.m2_dense)


@compiled
def update_metric(metric, w, min_dense_draws):
    """Set the metric to the window's (co)variance, shrunk towards 1e-3 as Stan does.

    With n draws: (n / (n + 5)) * cov + 1e-3 * (5 / (n + 5)) * I. A dense metric is
    estimated only from a window of at least ``min_dense_draws`` draws; a shorter window
    sets it to the diagonal of variances. (With fewer draws than dimensions the dense
    estimate is singular, and the shrinkage then gives a variance of ~1e-4 in every
    direction the window did not see: NUTS recovers by building longer trajectories, a
    fixed integration time cannot; see ``hmc``.) A dense estimate that is not positive
    definite (cannot happen in exact arithmetic) leaves the metric unchanged.
    """
    n = w.count
    if n < 2.0:
        return
    a = n / (n + REGULARIZATION_WEIGHT)
    b = REGULARIZATION_SCALE * REGULARIZATION_WEIGHT / (n + REGULARIZATION_WEIGHT)
    d = w.mean.size
    if metric.dense and n >= min_dense_draws:
        cov = np.empty((d, d))
        for i in range(d):
            for j in range(d):
                c = 0.5 * (w.m2_dense[i, j] + w.m2_dense[j, i]) / (n - 1.0)
                cov[i, j] = a * c + (b if i == j else 0.0)
        chol = np.empty((d, d))
        if cholesky(cov, chol):
            metric.inv_mass[:, :] = cov
            metric.chol[:, :] = chol
            for i in range(d):
                metric.inv_mass_diag[i] = cov[i, i]
        return
    for i in range(d):
        metric.inv_mass_diag[i] = a * w.m2[i] / (n - 1.0) + b
    if metric.dense:
        metric.inv_mass[:, :] = 0.0
        metric.chol[:, :] = 0.0
        for i in range(d):
            metric.inv_mass[i, i] = metric.inv_mass_diag[i]
            metric.chol[i, i] = np.sqrt(metric.inv_mass_diag[i])


# -- Stan's step-size heuristic -------------------------------------------------------------------
@compiled
def find_reasonable_step_size(rng, fn, fdata, idata, state, metric, step_size, ws):
    """Double or halve ``step_size`` until one leapfrog step's acceptance crosses 0.8.

    Stan's ``init_stepsize``. ``ws`` is (>= 4, dim) scratch. Never raises: the search is
    bounded to [1e-10, 1e7].
    """
    q, p, g, v = ws[0], ws[1], ws[2], ws[3]
    log_target = np.log(0.8)
    direction = 0
    for _ in range(200):
        q[:] = state.position
        g[:] = state.grad
        sample_momentum(rng, metric, p)
        velocity(metric, p, v)
        h0 = -state.logdensity + kinetic_energy(p, v)
        lp = leapfrog(fn, fdata, idata, metric, q, p, g, step_size, v)
        h = -lp + kinetic_energy(p, v)
        delta_h = h0 - h
        if not np.isfinite(delta_h):
            delta_h = -np.inf
        if direction == 0:
            direction = 1 if delta_h > log_target else -1
        elif direction == 1 and not (delta_h > log_target):
            break
        elif direction == -1 and not (delta_h < log_target):
            break
        else:
            step_size = step_size * 2.0 if direction == 1 else step_size * 0.5
        if step_size > 1e7:
            return 1e7
        if step_size < 1e-10:
            return 1e-10
    return step_size


# -- one warmup iteration ------------------------------------------------------------------------
@compiled
def warmup_update(i, tune, in_window, window_end, accept_stat, target, position, da, welford,
                  metric, min_dense_draws, scratch):
    """Adapt after warmup iteration ``i``: returns ``(da, welford, step_size, window_closed)``.

    Updates the dual averaging with the iteration's acceptance statistic, feeds the draw
    to the (co)variance estimate inside slow windows, and updates the metric in place at a
    window's end (dense only from windows of ``min_dense_draws`` draws or more). When
    ``window_closed`` is True the caller re-initialises the step size and restarts the dual
    averaging (sampler-specific). After the last warmup iteration the step size is the
    dual-averaging iterate average.
    """
    da = dual_averaging_update(da, accept_stat, target)
    step_size = np.exp(da.log_step)
    closed = False
    if in_window[i]:
        welford = welford_update(welford, position, scratch)
        if window_end[i]:
            update_metric(metric, welford, min_dense_draws)
            welford = welford_reset(welford)
            closed = True
    if i == tune - 1:
        step_size = np.exp(da.log_step_avg)
    return da, welford, step_size, closed
