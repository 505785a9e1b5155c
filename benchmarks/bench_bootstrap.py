"""bayeskit.bootstrap vs scipy.stats.bootstrap: 10,000 resamples, BCa (both defaults).

Statistics: mean, median, std and Pearson correlation (paired), at n = 1,000 and 10,000.
scipy gets its natural vectorized statistic; bayeskit the same numpy function (recognised)
or ``bk.bootstrap_statistics.correlation()``. Each figure is the best of ``--repeat`` runs
after one warm-up run (numba compilation excluded; it is cached on disk). bayeskit runs
twice: with its default (a thread per core for compiled statistics) and on one thread
(an executor that runs each task at once), one core against scipy's one core. The machine's
load average is printed: on a shared machine the figures move with it.

    python benchmarks/bench_bootstrap.py [--repeat 3] [--sizes 1000 10000]
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import Executor, Future

import numpy as np
import scipy.stats

import bayeskit as bk


def _pearson(x, y, axis=-1):
    return scipy.stats.pearsonr(x, y, axis=axis)[0]


def cases(n, rng):
    x = rng.lognormal(size=n)
    y = 0.5 * x + rng.normal(size=n)
    return [
        ("mean", (x,), np.mean, np.mean, False),
        ("median", (x,), np.median, np.median, False),
        ("std", (x,), np.std, np.std, False),
        ("correlation", (x, y), _pearson, bk.bootstrap_statistics.correlation(), True),
    ]


class SerialExecutor(Executor):
    """Runs each submitted task at once in the calling thread."""

    def submit(self, fn, *args, **kwargs):
        future = Future()
        future.set_result(fn(*args, **kwargs))
        return future


def best_time(fn, repeat):
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--resamples", type=int, default=10000)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(20261123)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          f"{args.resamples} resamples, BCa")
    print(f"{'statistic':<12}{'n':>7}{'scipy s':>9}{'bk s':>9}{'ratio':>7}"
          f"{'bk 1-thread s':>15}{'ratio':>7}")
    serial = SerialExecutor()
    for n in args.sizes:
        for name, data, sp_stat, bk_stat, paired in cases(n, rng):
            t_sp = best_time(lambda: scipy.stats.bootstrap(
                data, sp_stat, n_resamples=args.resamples, paired=paired, rng=0), args.repeat)
            t_bk = best_time(lambda: bk.bootstrap(
                data, bk_stat, n_resamples=args.resamples, paired=paired, seed=0), args.repeat)
            t_1 = best_time(lambda: bk.bootstrap(
                data, bk_stat, n_resamples=args.resamples, paired=paired, seed=0,
                executor=serial), args.repeat)
            print(f"{name:<12}{n:>7}{t_sp:>9.3f}{t_bk:>9.4f}{t_sp / t_bk:>6.1f}x"
                  f"{t_1:>15.4f}{t_sp / t_1:>6.1f}x", flush=True)
    print(f"load average {os.getloadavg()[0]:.1f}")

if __name__ == "__main__":
    main()
