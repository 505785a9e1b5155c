"""Samplers: cold compile, time to first draw of a never-seen model, ESS per second.

Run: ``python benchmarks/bench_samplers.py`` (``--quick`` for a short run, ``--json
out.json`` to keep the figures, ``--parts compile,ttfd,ess`` to run some parts only).
NUTS against PyMC, nutpie and NumPyro is ``bench_nuts_vs_others.py``; this file measures
what that one does not, and borrows its models and its ESS helper.

Every measurement runs in a fresh Python subprocess whose caches are private and start
empty: ``NUMBA_CACHE_DIR`` (machine code of every ``@njit(cache=True)`` function: samplers,
distribution kernels, generated models) and ``BAYESKIT_CACHE_DIR`` (generated model
modules). The repository's own ``__pycache__`` caches are neither used nor touched.

1. **Compile** (tiny model: mu ~ Normal, sigma ~ HalfNormal, 20 Normal observations).
   One process on empty caches (``cold``), then a second fresh process on the caches the
   first one filled (``cached``). Stages, in this order:

   * ``import``       ``import bayeskit``;
   * ``model``        ``m.compile()``: the model's log-density cfunc (on empty caches also
     the distribution and transform kernels it calls);
   * ``model_batch``  the model's batch functions ``bk.sample`` needs after the chains
     (constrained values, pointwise log-likelihood);
   * ``nuts``, ``hmc``, ``metropolis``  ``run_chain`` (10 tune + 10 draws) on the model's
     cfunc. Compiled code the samplers share (adaptation, step-size search, and the one
     warmup loop of HMC and NUTS, ``hamiltonian.run_chunk``) is charged to the first that
     runs, nuts: hmc then costs next to nothing;
   * ``bk.sample``    the driver around the chains (initial points, ArviZ packing), one
     chain of the already-loaded NUTS.

   Columns: ``cold_s`` / ``cached_s`` first call minus a repeated call in the same process
   (the compile, or the load from the disk cache; for ``import`` and the model stages the
   whole first call), ``cold_cpu_s`` the same in CPU seconds (less sensitive to the
   machine's load), ``call_s`` the repeated call (the work itself).

2. **Time to first draw** of a never-seen model once the samplers are cached (issue 4:
   target under 5 s). The 10-parameter regression of ``bench_nuts_vs_others`` (1000 rows,
   intercept, 8 slopes, noise scale) in a fresh process with the warm ``NUMBA_CACHE_DIR``
   of part 1 and an empty ``BAYESKIT_CACHE_DIR``, so the model compiles and the samplers
   do not. Each run checks both: no sampler cache file may change (else ``sampler_cache``
   says ``RECOMPILED``), the model's own files must be new (``new_model_files``), and any
   other cache file written (``other_new_files``: a helper compiled on first use) is
   listed. Columns: ``startup_s`` process start to the script's first line; ``import_s``
   ``import bayeskit``; ``model_s`` data, model build and ``m.compile()``; ``sample_s``
   the first ``bk.sample(m, chains=1, draws=1, tune=0)`` (it also compiles the model's
   batch functions); ``first_draw_s`` process start to that call's return (the median of
   the runs is the figure); ``first_draw_cpu_s`` the CPU seconds the process used until
   then (less sensitive to the machine's load). A last, instrumented run breaks the time
   down: imports of the heavy libraries one by one, the model's log density and batch
   functions separately, the sampler (load + draw), and the rest of ``bk.sample``.

3. **ESS per second**, 4 chains x (tune + draws) in one process, each sampler on each of a
   10-d iid standard Gaussian, the regression and eight schools (non-centered), after one
   short warm-up call so no compilation is timed; each figure is the median of
   ``--ess-repeats`` runs (seeds 1, 2, 3). Columns: ``wall_s`` the ``bk.sample``
   call (warmup included, chains on all cores); ``min_ess`` the smallest bulk ESS over all
   scalars; ``ess_per_s`` min_ess / wall_s; ``grads_per_ess`` log-density-and-gradient
   evaluations of all transitions, warmup included (Metropolis: one per iteration), per
   effective sample; ``max_rhat`` (worst of the runs) and ``divergences`` (all runs)
   flag runs whose ESS means little; ``ess_per_s_vs_nuts`` and ``grads_per_ess_vs_nuts``
   the ratios to NUTS on the same model (ESS/s above 1 and grads/ESS below 1: better).

Numba's disk cache is keyed on each source file's modification time, so editing bayeskit
while this runs makes the "cached" figures recompile (the script says so). On a busy
tree, benchmark a snapshot of a commit (``samplers``/``models`` copied into the package)::

    git archive HEAD | tar -x -C /tmp/snap
    cp -r /tmp/snap/samplers /tmp/snap/models /tmp/snap/bayeskit/
    PYTHONPATH=/tmp/snap python /tmp/snap/benchmarks/bench_samplers.py

The machine is shared and noisy (the load average is printed with each part): only the
ratios within one run mean anything, and absolute seconds only say where the time goes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLERS = ("nuts", "hmc", "metropolis")
TTFD_TARGET_S = 5.0
N_CHAINS = 4
MODEL_DIR_PREFIX = "bench_models_"
RESULT = "BENCH_RESULT "


# ------------------------------------------------------------------- the children
# Each runs in its own fresh interpreter (see _run_child) and prints one RESULT line.
# They import nothing heavy before their clocks start.

def tiny_model(bk, np):
    """mu ~ Normal(0, 5), sigma ~ HalfNormal(2), 20 Normal observations: the distribution
    kernels the regression of part 2 also uses, so only its own code is new there."""
    y = np.random.default_rng(0).normal(1.0, 2.0, size=20)
    m = bk.Model()
    mu = m.param("mu", bk.Normal(0.0, 5.0))
    sigma = m.param("sigma", bk.HalfNormal(2.0))
    m.observe("y", bk.Normal(mu, sigma), y)
    return m


def _timed(call):
    """``call()``'s result, and its (wall seconds, CPU seconds of this process)."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = call()
    return out, (time.perf_counter() - wall, time.process_time() - cpu)


def child_compile(args):
    """stage -> [first call's (wall s, CPU s), a repeated call's (wall s, CPU s) or None]."""
    import importlib

    stages = {"import": [_timed(lambda: importlib.import_module("bayeskit"))[1], None]}
    import bayeskit as bk
    import numpy as np
    from bayeskit.samplers import run_chain

    m = tiny_model(bk, np)
    ld, seconds = _timed(m.compile)
    stages["model"] = [seconds, None]
    thetas = np.zeros((1, ld.dim))
    stages["model_batch"] = [_timed(lambda: (ld.constrain_draws(thetas),
                                             ld.log_likelihood_draws(thetas)))[1], None]
    calls = {name: (lambda name=name: run_chain(
        ld.fn, ld.fdata, ld.idata, np.zeros(ld.dim), sampler=name, draws=10, tune=10,
        rng=np.random.default_rng(0))) for name in SAMPLERS}
    calls["bk.sample"] = lambda: bk.sample(m, draws=10, tune=10, chains=1, seed=0,
                                           progressbar=False)
    for stage, call in calls.items():
        stages[stage] = [_timed(call)[1], _timed(call)[1]]
    return stages


def _regression_model():
    """The 10-parameter regression of bench_nuts_vs_others, built and compiled."""
    from bench_nuts_vs_others import MODELS, build_bayeskit

    return build_bayeskit("regression", MODELS["regression"]())


class _Stamps(list):
    """(step, wall clock, CPU seconds of this process so far) at the end of each step."""

    def __call__(self, step):
        self.append((step, time.time(), time.process_time()))


def child_ttfd(args):
    stamp = _Stamps()
    stamp("start")
    import bayeskit as bk
    stamp("import")
    m = _regression_model()
    stamp("model")
    idata = bk.sample(m, draws=1, tune=0, chains=1, seed=0, progressbar=False)
    stamp("draw")
    assert idata.posterior["beta"].shape == (1, 1, 8)
    return stamp


def child_ttfd_detail(args):
    """The same work as child_ttfd, split into finer steps."""
    stamp = _Stamps()
    stamp("start")
    for lib in ("numpy", "numba", "scipy.stats", "pandas", "arviz", "bayeskit"):
        __import__(lib)
        stamp(f"import {lib}")
    import bayeskit as bk
    import numpy as np
    from bayeskit.samplers import run_chain

    ld = _regression_model().compile()
    stamp("model build + logp compile")
    thetas = np.zeros((1, ld.dim))
    ld.constrain_draws(thetas)
    stamp("model draws_batch compile + values")
    ld.log_likelihood_draws(thetas)
    stamp("model log-likelihood (compiled)")
    run_chain(ld.fn, ld.fdata, ld.idata, thetas[0], sampler="nuts", draws=1, tune=0,
              rng=np.random.default_rng(0))
    stamp("nuts load + 1 draw")
    bk.sample(ld, draws=1, tune=0, chains=1, seed=0, progressbar=False)
    stamp("bk.sample rest (init, ArviZ)")
    return stamp


def _ess_run(m, sampler, args, seed):
    """One timed ``bk.sample`` run of ``sampler`` on ``m`` and its figures."""
    import bayeskit as bk
    from bayeskit import arviz_adapter
    from bench_nuts_vs_others import min_bulk_ess

    t0 = time.perf_counter()
    idata = bk.sample(m, draws=args.draws, tune=args.tune, chains=N_CHAINS, sampler=sampler,
                      seed=seed, progressbar=False, log_likelihood=False)
    wall = time.perf_counter() - t0
    ess = min_bulk_ess(idata)
    rhat = arviz_adapter.rhat(idata)
    stats = arviz_adapter.get_group(idata, "sample_stats")
    grads = arviz_adapter.get_attrs(idata)["n_grad_evals"]
    return {"wall_s": wall, "min_ess": ess, "ess_per_s": ess / wall,
            "grads_per_ess": grads / ess,
            "max_rhat": float(max(rhat[v].values.max() for v in rhat.data_vars)),
            "divergences": int(stats["diverging"].values.sum()) if "diverging" in stats else 0}


def child_ess(args):
    import bayeskit as bk
    from bench_nuts_vs_others import MODELS, build_bayeskit

    def gaussian():
        m = bk.Model()
        m.param("x", bk.Normal(0.0, 1.0), shape=10)
        m.compile()
        return m

    models = {"gaussian_10d": gaussian,
              "regression": lambda: build_bayeskit("regression", MODELS["regression"]()),
              "eight_schools": lambda: build_bayeskit("eight_schools",
                                                      MODELS["eight_schools"]())}
    rows = []
    for name, build in models.items():
        m = build()
        for sampler in SAMPLERS:
            bk.sample(m, draws=20, tune=20, chains=1, sampler=sampler, seed=0,
                      progressbar=False, log_likelihood=False)
            runs = [_ess_run(m, sampler, args, seed) for seed in range(1, args.ess_repeats + 1)]
            row = {"model": name, "sampler": sampler}
            for key in ("wall_s", "min_ess", "ess_per_s", "grads_per_ess"):
                row[key] = statistics.median(r[key] for r in runs)
            row["max_rhat"] = max(r["max_rhat"] for r in runs)
            row["divergences"] = sum(r["divergences"] for r in runs)
            rows.append(row)
            print(rows[-1], file=sys.stderr, flush=True)
    return rows


CHILDREN = {"compile": child_compile, "ttfd": child_ttfd, "ttfd_detail": child_ttfd_detail,
            "ess": child_ess}


# ------------------------------------------------------------------- the parent
def _run_child(name, numba_dir, model_dir, extra=()):
    """Run child ``name`` in a fresh interpreter; (its result, the spawn time)."""
    env = dict(os.environ, NUMBA_CACHE_DIR=numba_dir, BAYESKIT_CACHE_DIR=model_dir)
    cmd = [sys.executable, os.path.abspath(__file__), "--child", name, *extra]
    spawned = time.time()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=HERE)
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        raise RuntimeError(f"child {name!r} failed (exit {out.returncode})")
    line = [ln for ln in out.stdout.splitlines() if ln.startswith(RESULT)][-1]
    return json.loads(line[len(RESULT):]), spawned


def _snapshot(directory):
    """path -> (size, mtime_ns) of every file under ``directory``."""
    files = {}
    for root, _, names in os.walk(directory):
        for n in names:
            st = os.stat(os.path.join(root, n))
            files[os.path.relpath(os.path.join(root, n), directory)] = (st.st_size,
                                                                         st.st_mtime_ns)
    return files


def _changed(before, after):
    return sorted(p for p, v in after.items() if before.get(p) != v)


def _load():
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def part_compile(root):
    import pandas as pd

    numba_dir = os.path.join(root, "numba")
    model_dir = os.path.join(root, MODEL_DIR_PREFIX + "compile")
    print(f"\n== 1. compile ({_load()})", flush=True)
    cold, _ = _run_child("compile", numba_dir, model_dir)
    cached, _ = _run_child("compile", numba_dir, model_dir)
    rows = []
    for stage, (first, repeat) in cold.items():
        (c_first, _), c_repeat = cached[stage]
        base, c_base = repeat or (0.0, 0.0), c_repeat or (0.0, 0.0)
        rows.append({"stage": stage, "cold_s": first[0] - base[0],
                     "cold_cpu_s": first[1] - base[1], "cached_s": c_first - c_base[0],
                     "call_s": repeat[0] if repeat else None})
    table = pd.DataFrame(rows)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3g}", na_rep="-"))
    slow = table[table.stage.isin(SAMPLERS) & (table.cached_s > 1.0)]
    if len(slow):
        print(f"warning: {list(slow.stage)} compiled again in the cached process: were their "
              "sources edited during the run?")
    return table


def _steps(stamps, spawned):
    """[(step, wall seconds, CPU seconds)] from a child's stamps; the first step is the
    interpreter's start (spawn to the script's first line)."""
    steps = [("interpreter start", stamps[0][1] - spawned, stamps[0][2])]
    for (_, prev_wall, prev_cpu), (step, wall, cpu) in zip(stamps, stamps[1:]):
        steps.append((step, wall - prev_wall, cpu - prev_cpu))
    return steps


def part_ttfd(root, repeats):
    import pandas as pd

    numba_dir = os.path.join(root, "numba")
    if not os.path.isdir(numba_dir):
        raise SystemExit("part ttfd needs the warm caches of part compile (--parts compile,ttfd)")
    print(f"\n== 2. time to first draw, new model, samplers cached ({_load()})", flush=True)
    rows = []
    for i in range(repeats + 1):
        detail = i == repeats
        model_dir = os.path.join(root, f"{MODEL_DIR_PREFIX}ttfd{i}")
        assert not os.path.exists(model_dir)
        before = _snapshot(numba_dir)
        result, spawned = _run_child("ttfd_detail" if detail else "ttfd", numba_dir,
                                     model_dir)
        changed = _changed(before, _snapshot(numba_dir))
        # NUMBA_CACHE_DIR/<source dir name>_<hash of its path>/<file>
        model_files = [p for p in changed if p.startswith(os.path.basename(model_dir) + "_")]
        sampler_files = [p for p in changed if p.startswith("samplers_")]
        others = [p for p in changed if p not in model_files + sampler_files]
        if sampler_files:
            print(f"  run {i}: sampler cache files changed (recompiled; were the sources "
                  f"edited during the run?): {sampler_files}")
        if others:
            print(f"  run {i}: other compiled helpers written to the cache (first use, or "
                  f"edited sources): {others}")
        if not model_files or any(p in before for p in model_files):
            print(f"  run {i}: the model's cache files were not all new: {model_files}")
        check = "RECOMPILED" if sampler_files else "warm"
        steps = _steps(result, spawned)
        if detail:
            detail_table = pd.DataFrame(steps, columns=["step", "seconds", "cpu_s"])
            detail_table["cumulative"] = detail_table.seconds.cumsum()
            continue
        seconds = dict((name, sec) for name, sec, _ in steps)
        rows.append({"run": i, "startup_s": seconds["interpreter start"],
                     "import_s": seconds["import"], "model_s": seconds["model"],
                     "sample_s": seconds["draw"],
                     "first_draw_s": sum(sec for _, sec, _ in steps),
                     "first_draw_cpu_s": sum(cpu for _, _, cpu in steps),
                     "sampler_cache": check, "new_model_files": len(model_files),
                     "other_new_files": len(others)})
    table = pd.DataFrame(rows)
    fmt = lambda v: f"{v:.3g}"  # noqa: E731
    print(table.to_string(index=False, float_format=fmt))
    median = statistics.median(table.first_draw_s)
    verdict = "meets" if median < TTFD_TARGET_S else "MISSES"
    print(f"median time to first draw: {median:.2f} s ({verdict} the {TTFD_TARGET_S:g} s "
          f"target); CPU time {statistics.median(table.first_draw_cpu_s):.2f} s")
    print(f"\nwhere the time goes (one instrumented run, {check} sampler cache):")
    print(detail_table.to_string(index=False, float_format=fmt))
    return table, detail_table, median


def part_ess(root, draws, tune, repeats):
    import pandas as pd

    numba_dir = os.path.join(root, "numba")
    model_dir = os.path.join(root, MODEL_DIR_PREFIX + "ess")
    print(f"\n== 3. ESS per second, {N_CHAINS} chains x ({tune} tune + {draws} draws), "
          f"median of {repeats} runs, {os.cpu_count()} cores ({_load()})", flush=True)
    rows, _ = _run_child("ess", numba_dir, model_dir, ["--draws", str(draws), "--tune",
                                                      str(tune), "--ess-repeats", str(repeats)])
    table = pd.DataFrame(rows)
    nuts = table[table.sampler == "nuts"].set_index("model")
    table["ess_per_s_vs_nuts"] = table.ess_per_s / table.model.map(nuts.ess_per_s)
    table["grads_per_ess_vs_nuts"] = table.grads_per_ess / table.model.map(nuts.grads_per_ess)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    unconverged = table[table.max_rhat > 1.01]
    if len(unconverged):
        print("R-hat over 1.01 (ESS not reliable): " + ", ".join(
            f"{r.sampler} on {r.model}" for r in unconverged.itertuples()))
    print(f"({_load()})")
    return table


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="300 tune + 300 draws, one time-to-first-draw run")
    parser.add_argument("--parts", default="compile,ttfd,ess")
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3, help="time-to-first-draw runs")
    parser.add_argument("--ess-repeats", type=int, default=3,
                        help="timed runs per sampler and model in part 3 (seeds 1, 2, ...)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures here")
    parser.add_argument("--cache-root", help="keep the private caches here (default: a "
                        "temporary directory, removed at the end)")
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(RESULT + json.dumps(CHILDREN[args.child](args)), flush=True)
        return None
    if args.quick:
        args.draws = args.tune = 300
        args.repeats = args.ess_repeats = 1
    import pandas as pd

    pd.set_option("display.width", 140)
    parts = args.parts.split(",")
    root = args.cache_root or tempfile.mkdtemp(prefix="bench_samplers_")
    os.makedirs(root, exist_ok=True)
    report = {"cpu_count": os.cpu_count(), "python": sys.version.split()[0],
              "load_average_start": os.getloadavg()}
    try:
        if "compile" in parts:
            report["compile"] = part_compile(root).to_dict("records")
        if "ttfd" in parts:
            runs, detail, median = part_ttfd(root, args.repeats)
            report["ttfd"] = {"runs": runs.to_dict("records"),
                              "detail": detail.to_dict("records"),
                              "median_first_draw_s": median, "target_s": TTFD_TARGET_S}
        if "ess" in parts:
            report["ess"] = {"draws": args.draws, "tune": args.tune, "chains": N_CHAINS,
                             "repeats": args.ess_repeats,
                             "rows": part_ess(root, args.draws, args.tune,
                                              args.ess_repeats).to_dict("records")}
    finally:
        if not args.cache_root:
            shutil.rmtree(root, ignore_errors=True)
    report["load_average_end"] = os.getloadavg()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1, default=float)
    return report


if __name__ == "__main__":
    main()
