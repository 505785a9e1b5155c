"""ADVI and Pathfinder on the Windsor house-price regression, beside PyMC's ADVI.

The model is the conjugate normal-inverse-gamma regression of ``tests/test_vi_windsor.py``
(log price on standardized lotsize, bedrooms, bathrooms, stories; 546 houses), whose exact
posterior is known, so accuracy is reported as the largest error of the approximate means
in exact posterior sds and the range of approximate sd / exact sd, over the 5
coefficients and log sigma. Times are wall-clock seconds of the whole fit, the median of
``--repeats`` seeds after one warm-up fit (so Numba/PyTensor compilation is reported
separately as the first call's time).

PyMC (the optional ``bench`` extra) runs in this interpreter when it imports, else in the
interpreter given by ``--pymc-python`` (PyMC pins its own numba, so it may live in a
separate virtual environment); it fits ``pm.fit(method="advi")`` with its default
optimizer and its standard convergence callback (``CheckParametersConvergence``, relative
tolerance 1e-3 every 100 iterations), up to ``--pymc-iters`` iterations.

    python benchmarks/bench_vi.py [--repeats 5] [--pymc-python /path/to/python]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _windsor():
    sys.path.insert(0, str(ROOT / "tests"))
    import test_vi_windsor as w
    return w


def accuracy(mean, sd, exact_mean, exact_sd):
    err = np.abs((np.asarray(mean) - exact_mean) / exact_sd)
    ratio = np.asarray(sd) / exact_sd
    return float(err.max()), float(ratio.min()), float(ratio.max())


def run_bayeskit(repeats):
    import warnings

    import bayeskit as bk
    w = _windsor()
    ld = w.windsor_logdensity()
    exact_mean, exact_sd, _ = w.windsor_exact()
    rows = []
    for method in ("advi", "fullrank_advi", "pathfinder"):
        start = time.perf_counter()
        bk.fit(ld, method=method, seed=0, progressbar=False)
        first = time.perf_counter() - start
        times, accs, iters, elbos = [], [], [], []
        for seed in range(1, repeats + 1):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                start = time.perf_counter()
                approx = bk.fit(ld, method=method, seed=seed, progressbar=False)
                times.append(time.perf_counter() - start)
            accs.append(accuracy(approx.mean, np.sqrt(np.diag(approx.cov)), exact_mean,
                                 exact_sd))
            iters.append(approx.info.get("iterations",
                                         sum(p["lbfgs_iterations"]
                                             for p in approx.info.get("paths", []))))
            elbos.append(float(np.max(approx.elbo)) if method == "pathfinder"
                         else float(approx.elbo[-1]))
        rows.append(_row(f"bayeskit {method}", first, times, accs, iters, elbos))
    return rows


def _row(name, first, times, accs, iters, elbos):
    accs = np.array(accs)
    return {"name": name, "first_call_s": first, "median_s": statistics.median(times),
            "iterations": int(statistics.median(iters)),
            "max_mean_err_sd": float(accs[:, 0].max()),
            "sd_ratio_min": float(accs[:, 1].min()), "sd_ratio_max": float(accs[:, 2].max()),
            "elbo": statistics.median(elbos) if elbos else float("nan")}


def pymc_worker(npz_path, repeats, max_iters):
    """Fit PyMC's ADVI; print one JSON row. Runs without bayeskit."""
    import warnings

    import pymc as pm
    data = np.load(npz_path)
    x, y = data["x"], data["y"]
    v0, a0, b0 = (float(v) for v in data["hyper"])
    exact_mean, exact_sd = data["exact_mean"], data["exact_sd"]

    def fit_once(seed):
        with pm.Model():
            sigma2 = pm.InverseGamma("sigma2", alpha=a0, beta=b0)
            sigma = pm.math.sqrt(sigma2)
            beta = pm.Normal("beta", 0.0, sigma * np.sqrt(v0), shape=x.shape[1])
            pm.Normal("y", pm.math.dot(x, beta), sigma, observed=y)
            start = time.perf_counter()
            approx = pm.fit(n=max_iters, method="advi", random_seed=seed, progressbar=False,
                            callbacks=[pm.callbacks.CheckParametersConvergence(
                                every=100, tolerance=1e-3, diff="relative")])
            seconds = time.perf_counter() - start
            idata = approx.sample(4000, random_seed=seed)
        post = idata.posterior
        draws = np.column_stack([post["beta"].values.reshape(-1, x.shape[1]),
                                 0.5 * np.log(post["sigma2"].values.reshape(-1))])
        acc = accuracy(draws.mean(0), draws.std(0), exact_mean, exact_sd)
        return seconds, acc, len(approx.hist), -float(np.mean(approx.hist[-100:]))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = fit_once(0)[0]
        results = [fit_once(seed) for seed in range(1, repeats + 1)]
    row = _row("PyMC advi", first, [r[0] for r in results], [r[1] for r in results],
               [r[2] for r in results], [r[3] for r in results])
    row["note"] = "ELBO includes normalizing constants (not comparable)"
    print(json.dumps(row))


def run_pymc(repeats, max_iters, python):
    w = _windsor()
    x, y = w.windsor_design()
    exact_mean, exact_sd, _ = w.windsor_exact()
    with tempfile.TemporaryDirectory() as tmp:
        npz = Path(tmp) / "windsor.npz"
        np.savez(npz, x=x, y=y, hyper=[w.V0, w.A0, w.B0], exact_mean=exact_mean,
                 exact_sd=exact_sd)
        cmd = [python, str(Path(__file__).resolve()), "--pymc-worker", str(npz),
               "--repeats", str(repeats), "--pymc-iters", str(max_iters)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        print(f"PyMC run failed:\n{out.stderr[-2000:]}", file=sys.stderr)
        return []
    return [json.loads(out.stdout.strip().splitlines()[-1])]


def _pymc_python(requested):
    if requested:
        return requested
    try:
        import pymc  # noqa: F401
    except ImportError:
        return None
    return sys.executable


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--pymc-python", default=None,
                        help="a Python with PyMC installed (default: this one, if it has it)")
    parser.add_argument("--pymc-iters", type=int, default=50000)
    parser.add_argument("--pymc-worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.pymc_worker:
        pymc_worker(args.pymc_worker, args.repeats, args.pymc_iters)
        return
    rows = run_bayeskit(args.repeats)
    python = _pymc_python(args.pymc_python)
    if python is None:
        print("PyMC not installed (pip install bayeskit[bench], or --pymc-python): "
              "bayeskit only", file=sys.stderr)
    else:
        rows += run_pymc(args.repeats, args.pymc_iters, python)
    header = (f"{'method':24s} {'1st call s':>10s} {'median s':>9s} {'iters':>7s} "
              f"{'max |mean err| (sd)':>20s} {'sd ratio range':>15s} {'ELBO':>9s}")
    print(f"Windsor NIG regression (exact posterior known), {args.repeats} seeds")
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r['name']:24s} {r['first_call_s']:10.2f} {r['median_s']:9.3f} "
              f"{r['iterations']:7d} {r['max_mean_err_sd']:20.3f} "
              f"{r['sd_ratio_min']:7.2f}-{r['sd_ratio_max']:<7.2f} {r['elbo']:9.2f}")
    if any("note" in r for r in rows):
        print("PyMC's ELBO includes the normalizing constants; bayeskit's log density here "
              "drops them, so compare accuracy, not ELBO values.")


if __name__ == "__main__":
    main()
