"""``bk.sample``: run MCMC chains on a model or log density and return ArviZ data.

The driver around :func:`bayeskit.samplers.run_chain`. It chooses starting points
(:mod:`bayeskit.initialization`), gives each chain its own random stream
(``SeedSequence(seed).spawn(chains)``, so the same seed gives the same draws whatever the
executor or thread count), runs the chains in parallel threads (the compiled kernels
release the GIL) or on any ``concurrent.futures.Executor``, shows a progress bar per chain,
turns Ctrl-C into a partial result, and packs draws, sampler statistics, observed data and
pointwise log-likelihoods into one ArviZ object through :mod:`bayeskit.arviz_adapter`.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import pickle
import signal
import threading
import time
import warnings

import numpy as np

from . import arviz_adapter
from ._version import __version__
from .initialization import InitializationError, check_point, initial_point
from .logdensity import LogDensity
from .progress import progress_bar

__all__ = ["sample", "as_log_density", "chain_generators"]

SAMPLERS = ("nuts", "hmc", "metropolis")
DEFAULT_MEMORY_BUDGET_MB = 200.0
_EXTRA_OPTIONS = {
    "path_length": "HMC trajectory length (default: the sampler's choice)",
    "init_step_size": "first step size before adaptation",
    "log_likelihood": "True/False/None: store pointwise log-likelihood (None: if in budget)",
    "memory_budget_mb": "largest pointwise log-likelihood stored by default, in MB",
    "max_init_tries": "random starting points tried per chain (default 100)",
    "init_radius": "half-width of the uniform starting-point box (default 2)",
}
_BOOL_STATS = ("diverging", "reached_max_treedepth")
_INT_STATS = ("tree_depth", "n_steps")


def as_log_density(model_or_ld):
    """A LogDensity from a ``bk.Model`` (compiled) or a LogDensity (returned as is)."""
    if isinstance(model_or_ld, LogDensity):
        return model_or_ld
    if hasattr(model_or_ld, "compile"):
        ld = model_or_ld.compile()
        if isinstance(ld, LogDensity):
            return ld
    raise TypeError("expected a bk.Model or a bk.LogDensity, got "
                    f"{type(model_or_ld).__name__}")


def seed_sequence(seed):
    """A fresh ``SeedSequence`` for ``seed`` (int, SeedSequence or None: fresh entropy).

    A SeedSequence given by the caller is copied, not spawned from, so passing the same
    one twice gives the same streams.
    """
    if isinstance(seed, np.random.SeedSequence):
        return np.random.SeedSequence(seed.entropy, spawn_key=seed.spawn_key)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise TypeError(f"seed must be an int, a SeedSequence or None, got {seed!r}")
    return np.random.SeedSequence(seed)


def _stream(seed, index, count):
    """Generator for child ``index`` of ``count`` children of ``seed``'s SeedSequence."""
    return np.random.Generator(np.random.PCG64(seed_sequence(seed).spawn(count)[index]))


def chain_generators(seed, chains):
    """One independent ``np.random.Generator`` per chain: chain c uses child c of
    ``SeedSequence(seed)``, so its stream does not depend on the number of chains."""
    children = seed_sequence(seed).spawn(chains)
    return [np.random.Generator(np.random.PCG64(child)) for child in children]


def _check_int(name, value, low):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def default_target_accept(sampler):
    """The sampler's own acceptance target: 0.8 for NUTS and HMC, 0.234 for Metropolis."""
    from . import samplers

    return getattr(samplers, sampler).DEFAULT_TARGET_ACCEPT


def _settings(draws, tune, chains, sampler, target_accept, max_treedepth, dense_mass,
              options):
    unknown = sorted(set(options) - set(_EXTRA_OPTIONS))
    if unknown:
        raise ValueError(f"bk.sample got unknown options {unknown}; it accepts draws, tune, "
                         "chains, sampler, seed, target_accept, init, progressbar, executor, "
                         "cores, max_treedepth, dense_mass and "
                         + ", ".join(f"{k} ({v})" for k, v in _EXTRA_OPTIONS.items()))
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler must be one of {SAMPLERS}, got {sampler!r}")
    if target_accept is None:
        target_accept = default_target_accept(sampler)
    if not (isinstance(target_accept, (float, int)) and 0 < target_accept < 1):
        raise ValueError(f"target_accept must be in (0, 1), got {target_accept!r}")
    budget = options.get("memory_budget_mb", DEFAULT_MEMORY_BUDGET_MB)
    if not budget >= 0:
        raise ValueError(f"memory_budget_mb must be >= 0, got {budget!r}")
    if options.get("log_likelihood") not in (None, True, False):
        raise ValueError(f"log_likelihood must be True, False or None, got "
                         f"{options['log_likelihood']!r}")
    kernel = {"sampler": sampler, "draws": _check_int("draws", draws, 1),
              "tune": _check_int("tune", tune, 0), "target_accept": float(target_accept),
              "max_treedepth": _check_int("max_treedepth", max_treedepth, 1),
              "dense_mass": bool(dense_mass),
              "path_length": options.get("path_length"),
              "init_step_size": options.get("init_step_size")}
    return kernel, _check_int("chains", chains, 1)


def _pathfinder_points(ld, chains, seed):
    """Starting points (chains, dim) from multi-path Pathfinder (``bayeskit.vi``).

    Its random stream is child ``chains`` of ``SeedSequence(seed)``, independent of the
    chains' own streams (children 0 .. chains-1).
    """
    try:
        from .vi import pathfinder_init
    except ImportError:
        raise ValueError("init='pathfinder' needs bayeskit.vi, which is not available") \
            from None
    rng = _stream(seed, chains, chains + 1)
    points = np.asarray(pathfinder_init(ld, chains, rng), dtype=float)
    for c, theta in enumerate(points):
        if not check_point(ld, theta):
            raise InitializationError(f"Pathfinder's starting point for chain {c} has a "
                                      "non-finite log density or gradient; use init=None")
    return list(points)


def _initial_points(ld, rngs, init, seed, options):
    chains = len(rngs)
    if isinstance(init, str):
        if init != "pathfinder":
            raise ValueError(f"init must be None, a dict, a list of dicts (one per chain) "
                             f"or 'pathfinder', got {init!r}")
        return _pathfinder_points(ld, chains, seed)
    if isinstance(init, (list, tuple)):
        if len(init) != chains:
            raise ValueError(f"init has {len(init)} entries for {chains} chains")
        per_chain = list(init)
    else:
        per_chain = [init] * chains
    tries = _check_int("max_init_tries", options.get("max_init_tries", 100), 1)
    radius = float(options.get("init_radius", 2.0))
    return [initial_point(ld, rng, i, radius=radius, max_tries=tries)
            for rng, i in zip(rngs, per_chain)]


def _chain_task(ld, theta0, rng, kernel, progress=None, stop=None):
    """Run one chain; module-level so process pools can pickle it."""
    from .samplers import run_chain

    return run_chain(ld.fn, ld.fdata, ld.idata, theta0, rng=rng, progress=progress,
                     stop=stop, **kernel)


class _Progress:
    """tqdm bars, one per chain; the callback the samplers call from their threads."""

    def __init__(self, chains, total, enabled, per_chain=True):
        self.bars = []
        if not enabled:
            return
        if per_chain:
            self.bars = [progress_bar(True, total, f"chain {c}", position=c, leave=True)
                         for c in range(chains)]
        else:
            self.bars = [progress_bar(True, chains, "chains", unit="chain")]

    def callback(self, chain):
        if not self.bars:
            return None
        bar = self.bars[chain]

        def progress(done, total, info):
            bar.update(max(0, done - bar.n))
            post = {}
            if "divergences" in info:
                post["divergences"] = int(info["divergences"])
            if "step_size" in info:
                post["step_size"] = f"{float(info['step_size']):.3g}"
            if "phase" in info:
                post["phase"] = info["phase"]
            if post:
                bar.set_postfix(post, refresh=False)
        return progress

    def chain_done(self):
        if len(self.bars) == 1 and self.bars[0].total is not None:
            self.bars[0].update(1)

    def close(self):
        for bar in self.bars:
            bar.close()


def _ensure_picklable(ld):
    try:
        pickle.dumps(ld)
    except Exception as err:  # noqa: BLE001 - any pickling failure means the same thing
        raise TypeError(
            "this executor runs chains in other processes, which needs a picklable log "
            f"density; {type(ld).__name__} is not ({type(err).__name__}: {err}). Use a "
            "model's log density (bk.Model.compile()) or run with executor=None (threads)"
        ) from None


class _Interrupts:
    """Turn Ctrl-C into a flag while chains run, so it cannot strike between two Python
    statements (e.g. after a chain was queued but before its future was recorded).

    Active only in the main thread with Python's default SIGINT handler; elsewhere
    KeyboardInterrupt is caught as usual. Pressing Ctrl-C again while the chains wind
    down raises KeyboardInterrupt (gives up on the partial result).
    """

    def __init__(self):
        self.flag = threading.Event()
        self._previous = None

    def _handler(self, signum, frame):
        if self.flag.is_set():
            raise KeyboardInterrupt
        self.flag.set()

    def __enter__(self):
        if (threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler):
            self._previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False


def _run_chains(ld, theta0s, rngs, kernel, executor, cores, progressbar):
    """Run every chain; return (results, interrupted).

    A result is None for a chain that produced nothing (cancelled by Ctrl-C before it
    started, or still running in another process). Threads are stopped through a shared
    event after their current chunk; other executors cannot be reached, so their running
    chains are abandoned.
    """
    chains = len(rngs)
    shared_memory = executor is None or isinstance(executor, cf.ThreadPoolExecutor)
    if not shared_memory:
        _ensure_picklable(ld)
    own = None
    if executor is None:
        workers = cores if cores is not None else min(chains, os.cpu_count() or 1)
        workers = _check_int("cores", workers, 1)
        executor = own = cf.ThreadPoolExecutor(max_workers=workers,
                                               thread_name_prefix="bayeskit-chain")
    bars = _Progress(chains, kernel["tune"] + kernel["draws"], bool(progressbar),
                     per_chain=shared_memory)
    stop = threading.Event() if shared_memory else None
    futures, failure, interrupted = [], None, False
    with _Interrupts() as ctrl_c:
        try:
            for c in range(chains):
                extra = {"progress": bars.callback(c), "stop": stop} if shared_memory else {}
                futures.append(executor.submit(_chain_task, ld, theta0s[c], rngs[c],
                                               kernel, **extra))
            pending = set(futures)
            while pending and failure is None and not interrupted:
                done, pending = cf.wait(pending, timeout=0.1, return_when=cf.FIRST_COMPLETED)
                interrupted = ctrl_c.flag.is_set()
                for f in done:
                    bars.chain_done()
                    exc = f.exception()
                    if isinstance(exc, KeyboardInterrupt):
                        interrupted = True
                    elif exc is not None:
                        failure = exc
        except KeyboardInterrupt:
            interrupted = True
        finally:
            if stop is not None:
                stop.set()  # harmless when every chain has finished
            for f in futures:
                f.cancel()
            if shared_memory:
                cf.wait(futures)
            bars.close()
            if own is not None:
                own.shutdown(wait=True)
        interrupted = interrupted or ctrl_c.flag.is_set()
    if failure is not None:
        raise failure
    results = []
    for f in futures:
        ok = f.done() and not f.cancelled() and f.exception() is None
        results.append(f.result() if ok else None)
    return results, interrupted


def _log_likelihood(ld, draws, wanted, budget_mb):
    """Pointwise log-likelihood of the draws if wanted and within budget, with a note."""
    if not hasattr(ld, "log_likelihood_draws") or wanted is False:
        return None, "not requested" if wanted is False else "not available"
    n = draws.shape[0] * draws.shape[1]
    size = sum(int(np.size(v)) for v in ld.observed_data.values()) * n * 8 / 2**20
    if wanted is None and size > budget_mb:
        warnings.warn(
            f"the pointwise log-likelihood would take {size:.0f} MB (over the "
            f"{budget_mb:g} MB budget), so it was not stored; compute it when needed with "
            "bk.compute_log_likelihood(idata, model), or pass memory_budget_mb= or "
            "log_likelihood=True to bk.sample", UserWarning, stacklevel=3)
        return None, f"skipped: {size:.0f} MB over the {budget_mb:g} MB budget"
    return ld.log_likelihood_draws(draws), "stored"


def _inference_data(ld, results, kernel, seed, options, interrupted, wall):
    done = [r for r in results if r is not None and r.n_draws_done > 0]
    if not done:
        raise KeyboardInterrupt("sampling was interrupted before any draw was kept")
    n = min(r.n_draws_done for r in done)
    partial = interrupted or len(done) < len(results) or n < kernel["draws"]
    if partial:
        warnings.warn(
            f"sampling was interrupted: returning {n} draws from {len(done)} of "
            f"{len(results)} chains (attrs['partial'] = 1); these are not a full run, so "
            "check diagnostics before using them", UserWarning, stacklevel=3)
    draws = np.stack([r.draws[:n] for r in done])
    posterior = ld.constrain_draws(draws)
    stats = {}
    for name in done[0].stats:
        values = np.stack([np.asarray(r.stats[name])[:n] for r in done])
        if name in _BOOL_STATS:
            values = values.astype(bool)
        elif name in _INT_STATS:
            values = values.astype(np.int64)
        stats[name] = values
    loglik, loglik_note = _log_likelihood(ld, draws, options.get("log_likelihood"),
                                          options.get("memory_budget_mb",
                                                      DEFAULT_MEMORY_BUDGET_MB))
    attrs = {
        "sampler": kernel["sampler"], "draws": n, "draws_requested": kernel["draws"],
        "tune": kernel["tune"], "tuning_steps": kernel["tune"], "chains": len(done),
        "seed": int(seed) if isinstance(seed, (int, np.integer)) else str(seed.entropy),
        "target_accept": kernel["target_accept"], "max_treedepth": kernel["max_treedepth"],
        "dense_mass": kernel["dense_mass"], "path_length": kernel["path_length"],
        "tuning_seconds": [float(r.tune_seconds) for r in done],
        "sampling_seconds": [float(r.sample_seconds) for r in done],
        "sampling_time": float(wall), "n_grad_evals": int(sum(r.n_grad_evals for r in done)),
        "n_grad_evals_per_chain": [int(r.n_grad_evals) for r in done],
        "final_step_size": [float(r.step_size) for r in done],
        "log_likelihood": loglik_note, "bayeskit_version": __version__, "partial": partial,
        "inference_library_version": __version__,
        "deterministics": list(getattr(ld, "deterministic_names", ())),
    }
    observed = getattr(ld, "observed_data", None) or None
    return arviz_adapter.make_inference_data(
        posterior, sample_stats=stats, log_likelihood=loglik, observed_data=observed,
        coords=ld.coords, dims=ld.dims, attrs=attrs)


def sample(model, draws=1000, tune=1000, chains=4, sampler="nuts", seed=None,
           target_accept=None, init=None, progressbar=True, executor=None, cores=None,
           max_treedepth=10, dense_mass=False, **options):
    """Draw from the posterior of ``model`` (a ``bk.Model`` or ``bk.LogDensity``) by MCMC.

    Parameters
    ----------
    draws, tune, chains : kept draws per chain, warmup iterations per chain, chains.
    sampler : ``"nuts"`` (default), ``"hmc"`` or ``"metropolis"``.
    seed : int or None. Chain c uses ``SeedSequence(seed).spawn(chains)[c]`` for its
        starting point and its transitions, so results do not depend on the executor.
    target_accept : adaptation target of the step size (NUTS/HMC) or proposal scale
        (Metropolis); None means the sampler's own: 0.8 for NUTS and HMC, 0.234 for
        random-walk Metropolis (Roberts, Gelman & Gilks 1997).
    init : None (Stan-like: uniform(-2, 2) on the unconstrained scale, up to 100 tries),
        a dict of constrained values (missing variables drawn at random), a list of such
        dicts (one per chain), or ``"pathfinder"`` (starts from a Pathfinder fit).
    progressbar : a tqdm bar per chain (hidden when stderr is not a terminal).
    executor : any ``concurrent.futures.Executor``; default a thread per chain (up to
        ``cores``). Process pools need a picklable log density (a model's is).
    max_treedepth, dense_mass : NUTS tree depth limit; dense mass-matrix adaptation.
    **options : ``path_length``, ``init_step_size``, ``log_likelihood`` (True/False/None),
        ``memory_budget_mb`` (default 200: the largest pointwise log-likelihood stored
        without asking), ``max_init_tries``, ``init_radius``. Anything else is an error.

    Returns
    -------
    ArviZ data (``az.InferenceData`` on ArviZ 0.x, ``DataTree`` on 1.x) with groups
    ``posterior``, ``sample_stats``, and for models ``observed_data`` and
    ``log_likelihood``. Ctrl-C stops the chains and returns the draws so far with
    ``attrs["partial"] == 1`` and a warning.
    """
    kernel, chains = _settings(draws, tune, chains, sampler, target_accept,
                                  max_treedepth, dense_mass, options)
    ld = as_log_density(model)
    # Without a seed, draw entropy once and record it, so the run can be repeated.
    seed = seed_sequence(seed) if seed is None else seed
    rngs = chain_generators(seed, chains)
    theta0s = _initial_points(ld, rngs, init, seed, options)
    start = time.perf_counter()
    results, interrupted = _run_chains(ld, theta0s, rngs, kernel, executor, cores,
                                       progressbar)
    wall = time.perf_counter() - start
    return _inference_data(ld, results, kernel, seed, options, interrupted, wall)
