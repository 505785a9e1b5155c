"""The one place bayeskit talks to ArviZ.

ArviZ comes in two incompatible lines: 0.x (``az.InferenceData``, Python 3.11 here) and
1.x (an ``xarray.DataTree``, functions spread over ``arviz_base``, ``arviz_stats`` and
``arviz_plots``). Every other module goes through the functions below, so the two lines
differ only in this file.

Conventions kept identical on both lines:

* groups are built here from plain dicts ``name -> array (chain, draw, *shape)`` (groups
  whose name contains ``"data"`` have no chain/draw dimensions); unnamed event dimensions
  are called ``<var>_dim_<i>`` as ArviZ does;
* attributes are stored on every group dataset (and the root on 1.x); ``get_attrs`` reads
  them back. Values are made netCDF-safe (booleans become 0/1, dicts JSON strings);
* ``summary`` returns numbers (not strings) with the columns ``mean, sd, hdi_3%, hdi_97%,
  mcse_mean, mcse_sd, ess_bulk, ess_tail, r_hat``;
* ``ess``/``rhat``/``mcse`` return a numpy array for array input ``(chain, draw, *shape)``
  and an ``xarray.Dataset`` for inference data;
* ``psis`` returns log weights normalized to sum to one (log-sum-exp 0) and Pareto k.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import warnings

import numpy as np
import xarray as xr

with warnings.catch_warnings():
    # ArviZ 0.x announces its 1.x refactor with a FutureWarning on import.
    warnings.simplefilter("ignore", FutureWarning)
    import arviz as az

ARVIZ_VERSION = az.__version__
IS_ARVIZ_1 = int(ARVIZ_VERSION.split(".")[0]) >= 1

if IS_ARVIZ_1:  # pragma: no cover - exercised by the Python 3.12 subprocess test
    from arviz_stats.base import array_stats as _array_stats

SAMPLE_DIMS = ("chain", "draw")
GROUPS = ("posterior", "sample_stats", "log_likelihood", "observed_data",
          "posterior_predictive", "prior", "prior_predictive", "constant_data",
          "predictions")
SUMMARY_COLUMNS = ["mean", "sd", "hdi_3%", "hdi_97%", "mcse_mean", "mcse_sd",
                   "ess_bulk", "ess_tail", "r_hat"]


# -- building ---------------------------------------------------------------------------
def _safe_attr(value):
    """Make an attribute value storable in netCDF (and so in ``to_netcdf``)."""
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (int, float, str, np.integer, np.floating)):
        return value
    if value is None:
        return "None"
    if isinstance(value, (list, tuple)) and value and all(
            isinstance(v, (int, float, np.integer, np.floating))
            and not isinstance(v, bool) for v in value):
        return list(value)
    return json.dumps(value, default=str)


def _attrs(attrs):
    out = {"created_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
           "inference_library": "bayeskit", "arviz_version": ARVIZ_VERSION}
    out.update({str(k): _safe_attr(v) for k, v in (attrs or {}).items()})
    return out


def dict_to_dataset(variables, *, coords=None, dims=None, sample_dims=SAMPLE_DIMS,
                    attrs=None, group="posterior"):
    """One group as an ``xarray.Dataset`` from ``name -> array (*sample_dims, *shape)``."""
    coords = coords or {}
    dims = dims or {}
    data_vars, used = {}, {}
    for name, values in variables.items():
        arr = np.asarray(values)
        if arr.ndim < len(sample_dims):
            raise ValueError(f"{group}: variable {name!r} has shape {arr.shape}; expected "
                             f"the leading dimensions {tuple(sample_dims)}")
        event_ndim = arr.ndim - len(sample_dims)
        named = list(dims.get(name, ()) or ())
        if group == "log_likelihood":
            # one term per independent observation: a multivariate observation's event
            # dimensions (the trailing ones) are summed out of its pointwise log-likelihood
            named = named[:event_ndim]
        if len(named) > event_ndim:
            raise ValueError(f"{group}: variable {name!r} has {event_ndim} event dimensions "
                             f"(shape {arr.shape}) but dims {named} were given")
        named += [f"{name}_dim_{i}" for i in range(len(named), event_ndim)]
        var_dims = list(sample_dims) + named
        for dim, size in zip(var_dims, arr.shape):
            if dim in coords:
                values_ = np.asarray(coords[dim])
                if len(values_) != size:
                    raise ValueError(f"{group}: variable {name!r} has {size} entries along "
                                     f"dimension {dim!r} but coords[{dim!r}] has "
                                     f"{len(values_)}")
                used[dim] = values_
            elif dim in SAMPLE_DIMS:
                used[dim] = np.arange(size)
        data_vars[name] = (var_dims, arr)
    return xr.Dataset(data_vars, coords=used, attrs=_attrs(attrs))


def _as_dataset(group, value, coords, dims, attrs):
    if isinstance(value, xr.Dataset):
        return value
    sample_dims = () if "data" in group else SAMPLE_DIMS
    return dict_to_dataset(value, coords=coords, dims=dims, sample_dims=sample_dims,
                           attrs=attrs, group=group)


def make_inference_data(posterior=None, *, sample_stats=None, log_likelihood=None,
                        observed_data=None, posterior_predictive=None, prior=None,
                        prior_predictive=None, constant_data=None, coords=None, dims=None,
                        attrs=None):
    """Build ArviZ's results object from dicts ``name -> array (chain, draw, *shape)``.

    ``observed_data``/``constant_data`` values have no chain/draw dimensions. ``dims``
    maps variable names to dimension names (shared by all groups, so an observed variable,
    its log-likelihood and its predictive draws share dims); ``coords`` gives their labels.
    Returns ``az.InferenceData`` on ArviZ 0.x and an ``xarray.DataTree`` on ArviZ 1.x.
    """
    groups = {"posterior": posterior, "sample_stats": sample_stats,
              "log_likelihood": log_likelihood, "observed_data": observed_data,
              "posterior_predictive": posterior_predictive, "prior": prior,
              "prior_predictive": prior_predictive, "constant_data": constant_data}
    datasets = {g: _as_dataset(g, v, coords, dims, attrs)
                for g, v in groups.items() if v is not None}
    if IS_ARVIZ_1:
        tree = xr.DataTree.from_dict(datasets)
        tree.attrs = _attrs(attrs)
        return tree
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "observed_data group is not ..."
        return az.InferenceData(**datasets)


def _group_names(data):
    if IS_ARVIZ_1:
        return list(data.children)
    return list(data.groups())


def groups(data):
    """The names of the groups present in ``data``."""
    return _group_names(data)


def get_group(data, name):
    """The group ``name`` of ``data`` as an ``xarray.Dataset``, or None if absent."""
    if name not in _group_names(data):
        return None
    if IS_ARVIZ_1:
        return data[name].to_dataset()
    return getattr(data, name)


def get_attrs(data, group="posterior"):
    """Attributes of ``group`` (the run's metadata lives on ``posterior``)."""
    ds = get_group(data, group)
    return {} if ds is None else dict(ds.attrs)


def add_groups(data, *, coords=None, dims=None, attrs=None, replace=True, **new_groups):
    """Add groups (dicts of arrays or ``xarray.Dataset``) to ``data`` in place; return it.

    An existing group of the same name is replaced when ``replace`` is true, otherwise a
    ``ValueError`` is raised.
    """
    present = set(_group_names(data))
    clash = [g for g in new_groups if g in present]
    if clash and not replace:
        raise ValueError(f"groups already present: {clash}")
    datasets = {g: _as_dataset(g, v, coords, dims, attrs) for g, v in new_groups.items()
                if v is not None}
    if IS_ARVIZ_1:
        for g, ds in datasets.items():
            data[g] = xr.DataTree(ds)
        return data
    for g in [g for g in datasets if g in present]:
        del data[g]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        data.add_groups(datasets)
    return data


# -- statistics -------------------------------------------------------------------------
def _input_dataset(data, group="posterior"):
    """(Dataset, is_array): arrays (chain, draw, *shape) become a one-variable dataset."""
    if isinstance(data, xr.Dataset):
        return data, False
    if isinstance(data, np.ndarray) or np.isscalar(data) or isinstance(data, (list, tuple)):
        arr = np.asarray(data, dtype=float)
        if arr.ndim < 2:
            raise ValueError(f"expected an array of shape (chain, draw, ...), got {arr.shape}")
        return dict_to_dataset({"x": arr}), True
    ds = get_group(data, group)
    if ds is None:
        raise ValueError(f"the inference data has no {group!r} group")
    return ds, False


def _select(ds, var_names):
    if var_names is None:
        return ds
    names = [var_names] if isinstance(var_names, str) else list(var_names)
    missing = [n for n in names if n not in ds.data_vars]
    if missing:
        raise ValueError(f"unknown variables {missing}; available: {list(ds.data_vars)}")
    return ds[names]


def _diagnostic(fn_name, data, var_names, group, **kw):
    ds, is_array = _input_dataset(data, group)
    ds = _select(ds, var_names)
    with warnings.catch_warnings(), _numpy_path_for_mcse_sd(fn_name, kw):
        warnings.simplefilter("ignore", RuntimeWarning)
        out = getattr(az, fn_name)(ds, **kw)
    return out["x"].values if is_array else out


@contextlib.contextmanager
def _numpy_path_for_mcse_sd(fn_name, kw):
    """ArviZ 0.x's numba branch of ``mcse(method="sd")`` calls ``float`` on a 1-element
    array, which NumPy >= 2.4 refuses (TypeError); its NumPy branch is fine."""
    affected = (not IS_ARVIZ_1 and fn_name == "mcse" and kw.get("method") == "sd"
                and az.Numba.numba_flag)
    if affected:
        az.Numba.disable_numba()
    try:
        yield
    finally:
        if affected:
            az.Numba.enable_numba()


def ess(data, *, var_names=None, method="bulk", relative=False, prob=None,
        group="posterior"):
    """Effective sample size (``method``: bulk, tail, mean, sd, quantile, ...)."""
    kw = {"method": method, "relative": relative}
    if prob is not None:
        kw["prob"] = prob
    return _diagnostic("ess", data, var_names, group, **kw)


def rhat(data, *, var_names=None, method="rank", group="posterior"):
    """Rank-normalized split R-hat (Vehtari et al. 2021)."""
    return _diagnostic("rhat", data, var_names, group, method=method)


def mcse(data, *, var_names=None, method="mean", prob=None, group="posterior"):
    """Monte Carlo standard error of the mean (or ``sd``, ``median``, ``quantile``)."""
    kw = {"method": method}
    if prob is not None:
        kw["prob"] = prob
    return _diagnostic("mcse", data, var_names, group, **kw)


def bfmi(energy):
    """E-BFMI per chain from an energy array (chain, draw) or inference data."""
    if not isinstance(energy, np.ndarray):
        stats = get_group(energy, "sample_stats")
        if stats is None or "energy" not in stats:
            raise ValueError("E-BFMI needs sample_stats.energy (an HMC/NUTS run)")
        energy = stats["energy"].values
    energy = np.asarray(energy, dtype=float)
    if energy.ndim != 2:
        raise ValueError(f"energy must have shape (chain, draw), got {energy.shape}")
    if IS_ARVIZ_1:
        return np.asarray(az.bfmi(energy, chain_axis=0, draw_axis=1))
    return np.asarray(az.bfmi(energy))


def summary(data, *, var_names=None, group="posterior", kind="all", hdi_prob=0.94, **kw):
    """Posterior summary table (pandas DataFrame of numbers) with ArviZ 0.x column names.

    Columns: mean, sd, hdi_<lo>%, hdi_<hi>%, mcse_mean, mcse_sd, ess_bulk, ess_tail, r_hat
    (``kind="stats"`` or ``"diagnostics"`` selects a subset).
    """
    ds, _ = _input_dataset(data, group)
    ds = _select(ds, var_names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if IS_ARVIZ_1:
            df = az.summary(ds, kind=kind, ci_kind="hdi", ci_prob=hdi_prob,
                            round_to="none", **kw)
            lo, hi = 100 * (1 - hdi_prob) / 2, 100 * (1 + hdi_prob) / 2
            tag = f"hdi{round(100 * hdi_prob):g}"
            df = df.rename(columns={f"{tag}_lb": f"hdi_{lo:g}%", f"{tag}_ub": f"hdi_{hi:g}%"})
        else:
            df = az.summary(ds, kind=kind, hdi_prob=hdi_prob, round_to="none", **kw)
    first = [c for c in SUMMARY_COLUMNS if c in df.columns]
    rest = [c for c in df.columns if c not in first]
    return df[first + rest].astype(float)


def psis(log_weights, *, r_eff=1.0):
    """Pareto-smoothed importance sampling of log weights along the last axis.

    Returns ``(smoothed, pareto_k)``: the smoothed log weights normalized so that
    ``logsumexp(smoothed, axis=-1) == 0`` (same shape as the input) and the Pareto shape
    estimate k (the input shape without its last axis; a float for 1-D input). k < 0.7 is
    the usual threshold for a reliable estimate.
    """
    lw = np.asarray(log_weights, dtype=float)
    if lw.ndim == 0 or lw.shape[-1] < 5:
        raise ValueError(f"psis needs at least 5 log weights on the last axis, got {lw.shape}")
    if not np.all(np.isfinite(lw) | (lw == -np.inf)) or np.all(lw == -np.inf, axis=-1).any():
        raise ValueError("log_weights must be finite or -inf, with at least one finite value")
    shift = np.max(lw, axis=-1, keepdims=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if IS_ARVIZ_1:
            # arviz_stats' psislw takes log-likelihood values (it negates them itself).
            smoothed, k = _array_stats.psislw(-(lw - shift), r_eff=r_eff, axis=-1)
        else:
            smoothed, k = az.psislw(lw - shift, reff=r_eff)
    smoothed = np.asarray(smoothed, dtype=float)
    smoothed = smoothed - _logsumexp(smoothed)
    k = np.asarray(k, dtype=float)
    return smoothed, (float(k) if k.ndim == 0 else k)


def _logsumexp(a):
    m = np.max(a, axis=-1, keepdims=True)
    return m + np.log(np.sum(np.exp(a - m), axis=-1, keepdims=True))


# -- model comparison -------------------------------------------------------------------
def loo(data, **kw):
    """PSIS-LOO of ``data`` (needs a ``log_likelihood`` group); ArviZ's ELPD object."""
    if get_group(data, "log_likelihood") is None:
        raise ValueError("loo needs a log_likelihood group: sample with a model, or add it "
                         "with bk.compute_log_likelihood(idata, model)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return az.loo(data, **kw)


def elpd(data, **kw):
    """PSIS-LOO as a plain dict: ``elpd``, ``se``, ``p`` and ``pareto_k`` (numpy array)."""
    res = loo(data, pointwise=True, **kw)
    if IS_ARVIZ_1:
        return {"elpd": float(res.elpd), "se": float(res.se), "p": float(res.p),
                "pareto_k": np.asarray(res.pareto_k)}
    return {"elpd": float(res["elpd_loo"]), "se": float(res["se"]),
            "p": float(res["p_loo"]), "pareto_k": np.asarray(res["pareto_k"])}


def compare(datasets, **kw):
    """Rank models by PSIS-LOO: ``datasets`` maps names to inference data."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return az.compare(dict(datasets), **kw)


# -- plots (matplotlib figures) -----------------------------------------------------------
_PLOT_FUNCTIONS = {  # our name -> (ArviZ 0.x function, ArviZ 1.x function)
    "trace": ("plot_trace", "plot_trace_dist"),
    "rank": ("plot_rank", "plot_rank"),
    "forest": ("plot_forest", "plot_forest"),
    "energy": ("plot_energy", "plot_energy"),
    "ppc": ("plot_ppc", "plot_ppc_dist"),
    "posterior": ("plot_posterior", "plot_dist"),
}


def _plot(kind, data, var_names=None, **kw):
    """Call ArviZ's plot ``kind`` with the matplotlib backend and return the Figure."""
    name = _PLOT_FUNCTIONS[kind][1 if IS_ARVIZ_1 else 0]
    if var_names is not None:
        kw["var_names"] = [var_names] if isinstance(var_names, str) else list(var_names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (RuntimeWarning, UserWarning, DeprecationWarning))
        if IS_ARVIZ_1:
            collection = getattr(az, name)(data, backend="matplotlib", **kw)
            return collection.viz["figure"].item()
        axes = getattr(az, name)(data, show=False, **kw)
    return np.ravel(axes)[0].figure


def plot_trace(data, var_names=None, **kw):
    """Per-chain traces and marginal densities; a matplotlib Figure."""
    return _plot("trace", data, var_names, **kw)


def plot_rank(data, var_names=None, **kw):
    """Rank plots (uniform when chains agree); a matplotlib Figure."""
    return _plot("rank", data, var_names, **kw)


def plot_forest(data, var_names=None, **kw):
    """Credible intervals of several variables; a matplotlib Figure."""
    return _plot("forest", data, var_names, **kw)


def plot_energy(data, **kw):
    """Marginal vs transition energy of an HMC/NUTS run; a matplotlib Figure."""
    if get_group(data, "sample_stats") is None or "energy" not in get_group(
            data, "sample_stats"):
        raise ValueError("plot_energy needs sample_stats.energy (an HMC/NUTS run)")
    return _plot("energy", data, None, **kw)


def plot_ppc(data, var_names=None, **kw):
    """Posterior predictive draws against the observed data; a matplotlib Figure."""
    if get_group(data, "posterior_predictive") is None:
        raise ValueError("plot_ppc needs a posterior_predictive group: call "
                         "bk.sample_posterior_predictive first")
    if not IS_ARVIZ_1:  # 1.x draws 50 predictive curves by default; 0.x draws them all
        kw.setdefault("num_pp_samples", 100)
    return _plot("ppc", data, var_names, **kw)


def plot_posterior(data, var_names=None, **kw):
    """Marginal posterior densities with credible intervals; a matplotlib Figure."""
    return _plot("posterior", data, var_names, **kw)
