"""Prior and posterior predictive draws, and pointwise log-likelihoods on request.

All three work from a model's compiled log density (``ModelLogDensity``), which knows how
to simulate its observed variables and evaluate their pointwise log-likelihood for arrays
of unconstrained draws. Posterior draws stored in an ArviZ object are constrained, so they
are mapped back with ``ld.unconstrain`` first.
"""

from __future__ import annotations

import numpy as np

from . import arviz_adapter
from .inference import as_log_density

__all__ = ["sample_posterior_predictive", "sample_prior_predictive",
           "compute_log_likelihood", "unconstrained_draws"]


def _model_ld(model, what, needs):
    ld = as_log_density(model)
    if not hasattr(ld, needs):
        raise TypeError(f"{what} needs a bk.Model (its compiled log density simulates and "
                        f"scores observed data); a plain {type(ld).__name__} cannot")
    return ld


def _free_names(ld):
    names = getattr(ld, "param_names", None)
    if names is None:
        deterministic = set(getattr(ld, "deterministic_names", ()))
        names = [k for k in ld.constrain(np.zeros(ld.dim)) if k not in deterministic]
    return list(names)


def unconstrained_draws(ld, data):
    """The posterior draws of ``data`` as unconstrained vectors, shape (chain, draw, dim)."""
    post = arviz_adapter.get_group(data, "posterior")
    if post is None:
        raise ValueError("the inference data has no posterior group")
    names = _free_names(ld)
    missing = [n for n in names if n not in post.data_vars]
    if missing:
        raise ValueError(f"the posterior lacks the model's parameters {missing}: was it "
                         "sampled from this model?")
    chains, draws = int(post.sizes["chain"]), int(post.sizes["draw"])
    values = {n: post[n].transpose("chain", "draw", ...).values for n in names}
    out = np.empty((chains, draws, ld.dim))
    for c in range(chains):
        for d in range(draws):
            out[c, d] = ld.unconstrain({n: v[c, d] for n, v in values.items()})
    return out


def _consistent_dims(ld, variables):
    """The model's dims for ``variables``, dropping those whose coords no longer fit
    (predictions on new data of another length)."""
    coords, dims = dict(ld.coords), {}
    for name, arr in variables.items():
        named = list(ld.dims.get(name, ()))
        shape = np.shape(arr)[-len(named):] if named else ()
        if all(d not in coords or len(coords[d]) == s for d, s in zip(named, shape)):
            dims[name] = named
    return coords, dims


def compute_log_likelihood(data, model):
    """Add (or replace) the pointwise ``log_likelihood`` group of ``data`` and return it.

    ``bk.sample`` skips this group when it would exceed its memory budget; this computes
    it on request (it needs chains x draws x observations x 8 bytes).
    """
    ld = _model_ld(model, "compute_log_likelihood", "log_likelihood_draws")
    loglik = ld.log_likelihood_draws(unconstrained_draws(ld, data))
    coords, dims = _consistent_dims(ld, loglik)
    return arviz_adapter.add_groups(data, log_likelihood=loglik, coords=coords, dims=dims)


def _placeholders(model, data):
    """Stand-in values for observed variables whose length follows the swapped data.

    Predicting at ``n_new`` new rows changes the shape of an observed variable's
    distribution, but its recorded values keep the old length. Observed variables as long
    as a swapped data array's first axis get the old values recycled to the new length (in
    the support, unused by the simulation); anything else is left to ``set_data``.
    """
    nodes = model.data_nodes
    observed = [o.name for o in getattr(model, "observed", ())]
    out = {}
    for key, value in data.items():
        old_n, new_n = np.shape(nodes[key].value)[:1], np.shape(value)[:1]
        if not old_n or old_n == new_n:
            continue
        for name in observed:
            old = np.asarray(nodes[name].value)
            if name not in data and old.shape[:1] == old_n:
                out[name] = np.resize(old, new_n + old.shape[1:])
    return out


def _swap_data(model, data):
    """Set ``data`` on the model; return the values to restore afterwards."""
    if not hasattr(model, "set_data") or not hasattr(model, "data_nodes"):
        raise TypeError("data= needs a bk.Model with named data (m.data(...)); got "
                        f"{type(model).__name__}")
    unknown = [k for k in data if k not in model.data_nodes]
    if unknown:
        raise ValueError(f"data= names {unknown}, which are not data of this model "
                         f"(its data: {list(model.data_nodes)})")
    updates = {**_placeholders(model, data), **data}
    saved = {k: model.data_nodes[k].value for k in updates}
    try:
        model.set_data(updates)
    except ValueError as err:
        raise ValueError(f"could not swap in the new data: {err}. If an observed "
                         "variable's shape follows the new data, pass a placeholder for it "
                         "in data= as well") from None
    return saved


def sample_posterior_predictive(model, idata, data=None, seed=None):
    """Simulate the observed variables at every posterior draw; add the
    ``posterior_predictive`` group to the inference data and return it.

    ``data={"X": X_new}`` swaps the model's named data (``m.set_data``) for the
    simulation, so the draws are predictions at new inputs (of any length; observed
    variables whose length follows the data get placeholders); the model's data are
    restored afterwards. ``seed`` makes the simulation reproducible.
    """
    ld = _model_ld(model, "sample_posterior_predictive", "sample_observed")
    thetas = unconstrained_draws(ld, idata)
    rng = np.random.default_rng(seed)
    if data:
        saved = _swap_data(model, data)
        try:
            ld = as_log_density(model)
            draws = ld.sample_observed(thetas, rng)
            coords, dims = _consistent_dims(ld, draws)
        finally:
            model.set_data(saved)
    else:
        draws = ld.sample_observed(thetas, rng)
        coords, dims = _consistent_dims(ld, draws)
    return arviz_adapter.add_groups(idata, posterior_predictive=draws, coords=coords,
                                    dims=dims)


def sample_prior_predictive(model, draws=500, seed=None):
    """Draw parameters from the prior and data from the model; ArviZ data with groups
    ``prior`` (parameters and deterministics), ``prior_predictive`` and
    ``observed_data`` (one chain)."""
    if isinstance(draws, bool) or not isinstance(draws, (int, np.integer)) or draws < 1:
        raise ValueError(f"draws must be a positive integer, got {draws!r}")
    ld = _model_ld(model, "sample_prior_predictive", "sample_prior")
    params, observed = ld.sample_prior(int(draws), np.random.default_rng(seed))
    params = {k: np.asarray(v)[None] for k, v in params.items()}
    observed = {k: np.asarray(v)[None] for k, v in observed.items()}
    coords, dims = _consistent_dims(ld, {**params, **observed})
    return arviz_adapter.make_inference_data(
        prior=params, prior_predictive=observed,
        observed_data=getattr(ld, "observed_data", None) or None, coords=coords, dims=dims,
        attrs={"draws": int(draws), "seed": seed if seed is not None else "None"})
