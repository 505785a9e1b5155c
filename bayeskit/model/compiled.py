""":class:`ModelLogDensity`: a model's compiled log density and everything inference needs
around it (named constrained values, deterministics, pointwise log-likelihood, forward
sampling). Made by ``bk.Model.compile()``; picklable (a worker process rebuilds it from the
generated source, and numba's disk cache spares it the compilation)."""

from __future__ import annotations

import time

import numpy as np
from numba.core.errors import NumbaError

from ..logdensity import LogDensity
from . import cache
from .program import Layout, generate


class ModelCompileError(RuntimeError):
    """The generated code of a model failed to compile (a bayeskit bug: please report)."""


def _load(source):
    try:
        return cache.load_source(source)
    except NumbaError as err:
        first = str(err).strip().splitlines()[0][:300]
        raise ModelCompileError(
            "bayeskit could not compile this model's log density (an internal error, "
            f"not a mistake in the model): {first}. Generated source: "
            f"{cache.cache_dir()}") from None


class _Meta:
    """Everything about the model the compiled object needs, without the graph."""

    def __init__(self, layout):
        m = layout.model
        self.params = [(p.name, p.shape, p.offset, p.usize, p.transform) for p in m.params]
        self.det = [(name, node.shape) for name, node in layout.det]
        self.obs = [(o.name, o.node.shape) for o in m.observed]
        self.obs_values = {o.name: np.array(o.node.value) for o in m.observed}
        self.dist_shapes = [[n.shape for n in ps] for ps in layout.dist_params]
        self.dists = [(d.rebuilder(), getattr(d, "event_ndim", 0))
                      for d in [p.dist for p in m.params] + [o.dist for o in m.observed]]
        self.dims = {k: list(v) for k, v in m.dims.items()}
        self.coords = {k: list(v) for k, v in m.coords.items()}


class ModelLogDensity(LogDensity):
    """The compiled log density of a :class:`bayeskit.Model` on the unconstrained space.

    Beyond :class:`bayeskit.LogDensity`: ``param_names``, ``deterministic_names``,
    ``observed_data``, ``constrain_draws`` (with deterministics),
    ``log_likelihood_draws``, ``sample_observed``, ``sample_prior``.
    """

    def __init__(self, module, source, meta, fdata, idata, compile_seconds=0.0):
        super().__init__(module.logp_grad, sum(p[3] for p in meta.params), fdata, idata)
        self._module = module
        self._source = source
        self._meta = meta
        self.compile_seconds = compile_seconds

    def __reduce__(self):
        meta = self._meta
        state = (meta, )
        return (_rebuild, (self._source, state, self.fdata, self.idata))

    # -- names --------------------------------------------------------------------------
    @property
    def param_names(self):
        return [p[0] for p in self._meta.params]

    @property
    def deterministic_names(self):
        return [d[0] for d in self._meta.det]

    @property
    def observed_names(self):
        return [o[0] for o in self._meta.obs]

    @property
    def observed_data(self):
        return {k: v.copy() for k, v in self._meta.obs_values.items()}

    @property
    def dims(self):
        return {k: list(v) for k, v in self._meta.dims.items()}

    @property
    def coords(self):
        return {k: list(v) for k, v in self._meta.coords.items()}

    @property
    def shapes(self):
        """Name -> shape of every parameter and deterministic."""
        out = {p[0]: tuple(p[1]) for p in self._meta.params}
        out.update({d[0]: tuple(d[1]) for d in self._meta.det})
        return out

    # -- draws --------------------------------------------------------------------------
    def _thetas(self, thetas):
        thetas = np.asarray(thetas, dtype=np.float64)
        if thetas.shape[-1:] != (self.dim,):
            raise ValueError(f"draws must have shape (..., {self.dim}), got {thetas.shape}")
        lead = thetas.shape[:-1]
        return np.ascontiguousarray(thetas.reshape(-1, self.dim)), lead

    def _run(self, fn, thetas, shapes, skipped=None):
        """Call a generated batch function on draws (..., dim): its outputs for ``shapes``,
        each (..., *shape), NaN where a draw failed. ``skipped``: for ``draws_batch``, the
        shapes of the other section's outputs (passed empty) and the flags choosing ours."""
        flat, lead = self._thetas(thetas)
        outs = [np.full((flat.shape[0],) + tuple(s), np.nan) for s in shapes]
        args = outs
        if skipped is not None:
            other_shapes, want_values = skipped
            others = [np.empty((0,) + tuple(s)) for s in other_shapes]
            args = ([want_values, not want_values]
                    + (outs + others if want_values else others + outs))
        status = fn(flat, self.fdata, self.idata, *args)
        if status:
            bad = args[status - 1 + (2 if skipped is not None else 0)]
            raise ValueError(f"{fn.__name__}: output {status - 1} of shape {bad.shape[1:]} "
                             "does not match the shape of its value in the compiled model "
                             "(a bayeskit bug: please report)")
        return [o.reshape(lead + tuple(s)) for o, s in zip(outs, shapes)], lead

    def _value_shapes(self):
        return [p[1] for p in self._meta.params] + [d[1] for d in self._meta.det]

    def _loglik_shapes(self):
        """Pointwise log-likelihood shapes: one value per independent observation, i.e. the
        observed shape without the event dimensions of a multivariate family (an MvNormal
        observation of shape (n, k) has n pointwise terms)."""
        events = [d[1] for d in self._meta.dists[len(self._meta.params):]]
        return [tuple(o[1])[:len(o[1]) - e] for o, e in zip(self._meta.obs, events)]

    def constrain_draws(self, thetas):
        """Dict name -> (..., *shape) of parameters and deterministics for draws (..., dim)."""
        names = self.param_names + self.deterministic_names
        outs, _ = self._run(self._module.draws_batch, thetas, self._value_shapes(),
                            (self._loglik_shapes(), True))
        return dict(zip(names, outs))

    def constrain(self, theta):
        theta = self._check_theta(theta)
        out = self.constrain_draws(theta[None, :])
        return {k: (v[0] if v.ndim > 1 else v[0].item()) if v.ndim else v
                for k, v in out.items()}

    def unconstrain(self, values):
        """Dict of constrained parameter values (missing ones: error) -> theta."""
        theta = np.empty(self.dim)
        for name, shape, off, usize, transform in self._meta.params:
            if name not in values:
                raise KeyError(f"unconstrain: no value for parameter {name!r}")
            x = np.asarray(values[name], dtype=np.float64)
            if x.shape != tuple(shape):
                try:
                    x = np.broadcast_to(x, shape)
                except ValueError:
                    raise ValueError(f"unconstrain: {name!r} has shape {x.shape}, expected "
                                     f"{tuple(shape)}") from None
            y = np.asarray(transform.unconstrain(x), dtype=np.float64).ravel()
            if not np.all(np.isfinite(y)):
                raise ValueError(f"unconstrain: {name!r} = {x} is outside the support of "
                                 f"its transform {transform!r}")
            theta[off:off + usize] = y
        return theta

    def log_likelihood_draws(self, thetas):
        """Dict observed name -> (..., *obs_batch_shape) pointwise log-likelihood (the
        observed shape without a multivariate family's event dimensions)."""
        outs, _ = self._run(self._module.draws_batch, thetas, self._loglik_shapes(),
                            (self._value_shapes(), False))
        return {o[0]: v for o, v in zip(self._meta.obs, outs)}

    def _dist_params(self, thetas):
        shapes = [s for ps in self._meta.dist_shapes for s in ps]
        outs, lead = self._run(self._module.distpar_batch, thetas, shapes)
        grouped, k = [], 0
        for ps in self._meta.dist_shapes:
            grouped.append(outs[k:k + len(ps)])
            k += len(ps)
        return grouped, lead

    def _draw(self, k, params, shape, lead, rng):
        rebuild, event_ndim = self._meta.dists[k]
        if event_ndim == 0:
            target = lead + tuple(shape)
            aligned = []
            for p in params:
                pshape = p.shape[len(lead):]
                p = p.reshape(lead + (1,) * (len(shape) - len(pshape)) + pshape)
                aligned.append(np.broadcast_to(p, target))
            params = aligned
            return np.asarray(rebuild(params).sample(rng=rng))
        return self._draw_events(rebuild, event_ndim, params, tuple(shape), lead, rng)

    @staticmethod
    def _draw_events(rebuild, event_ndim, params, shape, lead, rng):
        """Vector-valued draws (MvNormal, Dirichlet, ...), one posterior draw at a time.

        The observed batch (``shape`` without its event axes) may be longer than the
        parameters' batch (20 rows sharing one mean and covariance): each draw samples
        the missing leading batch axes with ``size``.
        """
        n = int(np.prod(lead, dtype=np.int64))
        flat = [p.reshape((n,) + p.shape[len(lead):]) for p in params]
        obs_batch = shape[:len(shape) - event_ndim]
        out = np.empty((n,) + shape)
        for i in range(n):
            dist = rebuild([p[i] for p in flat])
            extra = len(obs_batch) - len(dist.batch_shape)
            draw = dist.sample(size=obs_batch[:extra] if extra > 0 else None, rng=rng)
            out[i] = np.broadcast_to(draw, shape)
        return out.reshape(lead + shape)

    def sample_observed(self, thetas, rng=None):
        """Posterior predictive: dict observed name -> (..., *obs_shape)."""
        rng = np.random.default_rng(rng)
        grouped, lead = self._dist_params(thetas)
        npar = len(self._meta.params)
        out = {}
        for j, (name, shape) in enumerate(self._meta.obs):
            out[name] = self._draw(npar + j, grouped[npar + j], shape, lead, rng).reshape(
                lead + tuple(shape))
        return out

    def sample_prior(self, draws, rng=None):
        """Ancestral draws: (dict of parameters and deterministics, dict of observed)."""
        rng = np.random.default_rng(rng)
        draws = int(draws)
        thetas = np.zeros((draws, self.dim))
        for k, (name, shape, off, usize, transform) in enumerate(self._meta.params):
            grouped, lead = self._dist_params(thetas)
            x = self._draw(k, grouped[k], shape, (draws,), rng).reshape((draws,) + tuple(shape))
            y = np.asarray(transform.unconstrain(x)).reshape(draws, usize)
            thetas[:, off:off + usize] = y
        values = self.constrain_draws(thetas)
        return values, self.sample_observed(thetas, rng)

    def __repr__(self):
        return f"<ModelLogDensity dim={self.dim} params={self.param_names}>"


def _rebuild(source, state, fdata, idata):
    (meta,) = state
    module, _ = _load(source)
    return ModelLogDensity(module, source, meta, fdata, idata)


def compile_model(model):
    """Generate, cache and load the compiled log density of ``model``."""
    if not model.params:
        raise ValueError("the model has no free parameters (declare some with m.param); "
                         "nothing to infer")
    t0 = time.perf_counter()
    layout = Layout(model)
    source = generate(layout)
    module, _ = _load(source)
    fdata, idata = layout.pack()
    meta = _Meta(layout)
    return ModelLogDensity(module, source, meta, fdata, idata, time.perf_counter() - t0)
