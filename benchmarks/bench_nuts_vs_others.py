"""NUTS side by side: bayeskit against PyMC, nutpie and NumPyro on the same models.

Run: ``pip install -e ".[bench]"`` then ``python benchmarks/bench_nuts_vs_others.py``
(``--quick`` for fewer draws, ``--models eight_schools,regression``). Frameworks that are
not installed are skipped with a message.

Each framework builds each model once and samples it twice in this one process, 4 chains
x (tune + draws): the first run pays compilation, the second is warm. Reported per model
and framework:

* ``compile_s``  build + first run - second run (model and sampler compilation, JIT);
* ``sample_s``   wall time of the warm run;
* ``min_ess``    the smallest bulk ESS over all scalar parameters of the warm run;
* ``ess_per_s``  min_ess / sample_s, the figure that matters for a user;
* ``ratio``      bayeskit's ess_per_s divided by the framework's (above 1: bayeskit ahead).

The machine is shared and noisy: only the ratios within one run mean anything.
"""

from __future__ import annotations

import argparse
import os
import time
from importlib.resources import files

import numpy as np
import pandas as pd

N_CHAINS = 4


# ------------------------------------------------------------------------ the data
def eight_schools():
    y = np.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])
    sigma = np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])
    return {"y": y, "sigma": sigma}


def regression(n=1000, k=8, seed=0):
    """A 10-parameter linear regression (intercept, 8 slopes, noise scale) on simulated data."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, k))
    beta = rng.normal(size=k)
    y = 1.5 + X @ beta + rng.normal(scale=0.7, size=n)
    return {"X": X, "y": y}


def california():
    """California housing: log price on 7 standardized predictors, intercepts by ocean_proximity.

    The intercepts are centered (``a ~ Normal(alpha, tau)``): four of the five groups hold
    thousands of rows, and a non-centered form would leave NUTS a long ridge between
    ``alpha`` and the offsets (tree depth 10 at every iteration, in every framework).

    Rows with a missing total_bedrooms are dropped here (this is a speed benchmark; the
    house-price analysis in bayeskit.models imputes them).
    """
    path = files("bayeskit.models") / "data" / "california_housing.csv"
    df = pd.read_csv(path).dropna()
    feats = pd.DataFrame({
        "median_income": np.log(df.median_income),
        "housing_median_age": df.housing_median_age,
        "rooms_per_household": np.log(df.total_rooms / df.households),
        "bedrooms_per_room": df.total_bedrooms / df.total_rooms,
        "population_per_household": np.log(df.population / df.households),
        "latitude": df.latitude,
        "longitude": df.longitude,
    })
    X = ((feats - feats.mean()) / feats.std()).to_numpy()
    group_names, group = np.unique(df.ocean_proximity.to_numpy(), return_inverse=True)
    return {"X": np.ascontiguousarray(X), "y": np.log(df.median_house_value.to_numpy()),
            "group": group.astype(np.int64), "n_groups": len(group_names)}


MODELS = {"eight_schools": eight_schools, "regression": regression, "california": california}


# ------------------------------------------------------------------- the frameworks
def build_bayeskit(name, data):
    import bayeskit as bk

    m = bk.Model()
    if name == "eight_schools":
        mu = m.param("mu", bk.Normal(0.0, 5.0))
        tau = m.param("tau", bk.HalfCauchy(5.0))
        z = m.param("theta_trans", bk.Normal(0.0, 1.0), shape=8)
        m.observe("y", bk.Normal(mu + tau * z, data["sigma"]), data["y"])
    elif name == "regression":
        X = m.data("X", data["X"])
        alpha = m.param("alpha", bk.Normal(0.0, 10.0))
        beta = m.param("beta", bk.Normal(0.0, 5.0), shape=data["X"].shape[1])
        sigma = m.param("sigma", bk.HalfNormal(5.0))
        m.observe("y", bk.Normal(alpha + X @ beta, sigma), data["y"])
    else:
        X = m.data("X", data["X"])
        group = m.data("group", data["group"])
        alpha = m.param("alpha", bk.Normal(12.0, 2.0))
        tau = m.param("tau", bk.HalfNormal(1.0))
        a = m.param("a", bk.Normal(alpha, tau), shape=data["n_groups"])
        beta = m.param("beta", bk.Normal(0.0, 1.0), shape=data["X"].shape[1])
        sigma = m.param("sigma", bk.HalfNormal(1.0))
        mu = a[group] + X @ beta
        m.observe("y", bk.Normal(mu, sigma), data["y"])
    m.compile()
    return m


def sample_bayeskit(m, draws, tune, seed):
    import bayeskit as bk

    return bk.sample(m, draws=draws, tune=tune, chains=N_CHAINS, seed=seed,
                     progressbar=False, log_likelihood=False)


def _pymc_model(name, data):
    import pymc as pm

    with pm.Model() as model:
        if name == "eight_schools":
            mu = pm.Normal("mu", 0.0, 5.0)
            tau = pm.HalfCauchy("tau", 5.0)
            z = pm.Normal("theta_trans", 0.0, 1.0, shape=8)
            pm.Normal("y", mu + tau * z, data["sigma"], observed=data["y"])
        elif name == "regression":
            alpha = pm.Normal("alpha", 0.0, 10.0)
            beta = pm.Normal("beta", 0.0, 5.0, shape=data["X"].shape[1])
            sigma = pm.HalfNormal("sigma", 5.0)
            pm.Normal("y", alpha + pm.math.dot(data["X"], beta), sigma, observed=data["y"])
        else:
            alpha = pm.Normal("alpha", 12.0, 2.0)
            tau = pm.HalfNormal("tau", 1.0)
            a = pm.Normal("a", alpha, tau, shape=data["n_groups"])
            beta = pm.Normal("beta", 0.0, 1.0, shape=data["X"].shape[1])
            sigma = pm.HalfNormal("sigma", 1.0)
            mu = a[data["group"]] + pm.math.dot(data["X"], beta)
            pm.Normal("y", mu, sigma, observed=data["y"])
    return model


def sample_pymc(model, draws, tune, seed):
    import pymc as pm

    with model:
        return pm.sample(draws=draws, tune=tune, chains=N_CHAINS, cores=min(N_CHAINS, os.cpu_count()),
                         random_seed=seed, progressbar=False, compute_convergence_checks=False)


def build_nutpie(name, data):
    import nutpie

    return nutpie.compile_pymc_model(_pymc_model(name, data))


def sample_nutpie(compiled, draws, tune, seed):
    import nutpie

    return nutpie.sample(compiled, draws=draws, tune=tune, chains=N_CHAINS, seed=seed,
                         progress_bar=False)


def build_numpyro(name, data, draws, tune):
    import jax
    import numpyro
    import numpyro.distributions as dist
    from numpyro.infer import MCMC, NUTS

    def model():
        if name == "eight_schools":
            mu = numpyro.sample("mu", dist.Normal(0.0, 5.0))
            tau = numpyro.sample("tau", dist.HalfCauchy(5.0))
            z = numpyro.sample("theta_trans", dist.Normal(0.0, 1.0).expand([8]))
            numpyro.sample("y", dist.Normal(mu + tau * z, data["sigma"]), obs=data["y"])
        elif name == "regression":
            alpha = numpyro.sample("alpha", dist.Normal(0.0, 10.0))
            beta = numpyro.sample("beta", dist.Normal(0.0, 5.0).expand([data["X"].shape[1]]))
            sigma = numpyro.sample("sigma", dist.HalfNormal(5.0))
            numpyro.sample("y", dist.Normal(alpha + data["X"] @ beta, sigma), obs=data["y"])
        else:
            alpha = numpyro.sample("alpha", dist.Normal(12.0, 2.0))
            tau = numpyro.sample("tau", dist.HalfNormal(1.0))
            a = numpyro.sample("a", dist.Normal(alpha, tau).expand([data["n_groups"]]))
            beta = numpyro.sample("beta", dist.Normal(0.0, 1.0).expand([data["X"].shape[1]]))
            sigma = numpyro.sample("sigma", dist.HalfNormal(1.0))
            mu = a[data["group"]] + data["X"] @ beta
            numpyro.sample("y", dist.Normal(mu, sigma), obs=data["y"])

    method = "parallel" if jax.local_device_count() >= N_CHAINS else "sequential"
    return MCMC(NUTS(model), num_warmup=tune, num_samples=draws, num_chains=N_CHAINS,
                chain_method=method, progress_bar=False)


def sample_numpyro(mcmc, draws, tune, seed):
    import jax

    mcmc.run(jax.random.PRNGKey(seed))
    return {k: np.asarray(v) for k, v in mcmc.get_samples(group_by_chain=True).items()}


# framework -> (build(name, data, draws, tune) -> sampler object, sample(obj, draws, tune, seed))
FRAMEWORKS = {
    "bayeskit": (lambda name, data, draws, tune: build_bayeskit(name, data), sample_bayeskit),
    "pymc": (lambda name, data, draws, tune: _pymc_model(name, data), sample_pymc),
    "nutpie": (lambda name, data, draws, tune: build_nutpie(name, data), sample_nutpie),
    "numpyro": (build_numpyro, sample_numpyro),
}


# ------------------------------------------------------------------------ measuring
def min_bulk_ess(result):
    """Smallest bulk ESS over every scalar of the posterior (ArviZ's rank-normalized ESS)."""
    import arviz as az

    posterior = result if isinstance(result, dict) else result.posterior
    if isinstance(posterior, dict):
        posterior = az.convert_to_inference_data(posterior).posterior
    ess = az.ess(posterior, method="bulk")
    return float(min(np.min(ess[v].values) for v in ess.data_vars))


def measure(framework, name, data, draws, tune):
    build, sample = FRAMEWORKS[framework]
    t0 = time.perf_counter()
    obj = build(name, data, draws, tune)
    sample(obj, draws, tune, seed=1)
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = sample(obj, draws, tune, seed=2)
    warm = time.perf_counter() - t0
    ess = min_bulk_ess(result)
    return {"model": name, "framework": framework, "compile_s": max(cold - warm, 0.0),
            "sample_s": warm, "min_ess": ess, "ess_per_s": ess / warm}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS))
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="300 tune + 300 draws")
    args = parser.parse_args(argv)
    if args.quick:
        args.draws = args.tune = 300
    os.environ.setdefault("XLA_FLAGS", f"--xla_force_host_platform_device_count={N_CHAINS}")

    rows = []
    for name in args.models.split(","):
        data = MODELS[name]()
        for framework in args.frameworks.split(","):
            try:
                rows.append(measure(framework, name, data, args.draws, args.tune))
            except ImportError as err:
                print(f"skipping {framework}: {err}")
            print(rows[-1] if rows else "", flush=True)
    table = pd.DataFrame(rows)
    base = table[table.framework == "bayeskit"].set_index("model").ess_per_s
    table["ratio"] = table.model.map(base) / table.ess_per_s
    pd.set_option("display.width", 120)
    print(f"\n{N_CHAINS} chains x ({args.tune} tune + {args.draws} draws), {os.cpu_count()} cores")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    return table


if __name__ == "__main__":
    main()
