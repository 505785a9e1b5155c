"""The 17 posteriordb translations have the log density of their Stan programs.

For each posterior, a direct numpy/scipy transcription of the Stan ``model`` block (written
from ``model.stan``, independently of the model language) is compared with the compiled
log density at random points, up to a constant: differences between points must agree.
The compiled density is on the unconstrained space, so the transforms' log-Jacobians are
subtracted first. Gradients are checked against finite differences too.
"""

import numpy as np
import pytest
import scipy.stats as st
from scipy.special import logsumexp

import posteriordb_models as P
from bayeskit.model.testing import check_grad


def _reg(v, X, y):
    return st.norm(X @ v["beta"], v["sigma"]).logpdf(y).sum()


def ref_eight_schools(v, d):
    theta = v["theta_trans"] * v["tau"] + v["mu"]
    return (st.norm().logpdf(v["theta_trans"]).sum()
            + st.norm(theta, d["sigma"]).logpdf(d["y"]).sum()
            + st.norm(0, 5).logpdf(v["mu"]) + st.cauchy(0, 5).logpdf(v["tau"]))


def ref_momiq(v, d):
    b, s = v["beta"], v["sigma"]
    mom_iq = np.asarray(d["mom_iq"])
    return st.cauchy(0, 2.5).logpdf(s) + st.norm(b[0] + b[1] * mom_iq, s).logpdf(
        d["kid_score"]).sum()


def ref_interaction(v, d):
    b, s = v["beta"], v["sigma"]
    hs, iq = np.asarray(d["mom_hs"]), np.asarray(d["mom_iq"])
    mu = b[0] + b[1] * hs + b[2] * iq + b[3] * hs * iq
    return st.cauchy(0, 2.5).logpdf(s) + st.norm(mu, s).logpdf(d["kid_score"]).sum()


def ref_earn(v, d, log=False):
    b, s = v["beta"], v["sigma"]
    y = np.log(d["earn"]) if log else np.asarray(d["earn"])
    return st.norm(b[0] + b[1] * np.asarray(d["height"]), s).logpdf(y).sum()


def ref_logmesquite(v, d):
    g = {k: np.asarray(d[k], dtype=float) for k in d if isinstance(d[k], list)}
    b = v["beta"]
    mu = (b[0] + b[1] * np.log(g["diam1"] * g["diam2"] * g["canopy_height"])
          + b[2] * np.log(g["diam1"] * g["diam2"]) + b[3] * np.log(g["diam1"] / g["diam2"])
          + b[4] * np.log(g["total_height"]) + b[5] * g["group"])
    return st.norm(mu, v["sigma"]).logpdf(np.log(g["weight"])).sum()


def ref_mesquite(v, d):
    b = v["beta"]
    cols = ["diam1", "diam2", "canopy_height", "total_height", "density", "group"]
    mu = b[0] + sum(b[k + 1] * np.asarray(d[c]) for k, c in enumerate(cols))
    return st.norm(mu, v["sigma"]).logpdf(d["weight"]).sum()


def ref_nes(v, d):
    b = v["beta"]
    age = np.asarray(d["age_discrete"])
    mu = (b[0] + b[1] * np.asarray(d["real_ideo"]) + b[2] * np.asarray(d["race_adj"])
          + b[3] * (age == 2) + b[4] * (age == 3) + b[5] * (age == 4)
          + b[6] * np.asarray(d["educ1"]) + b[7] * np.asarray(d["gender"])
          + b[8] * np.asarray(d["income"]))
    return st.norm(mu, v["sigma"]).logpdf(d["partyid7"]).sum()


def ref_blr(v, d):
    return (st.norm(0, 10).logpdf(v["beta"]).sum() + st.norm(0, 10).logpdf(v["sigma"])
            + _reg(v, np.asarray(d["X"]), np.asarray(d["y"])))


def ref_kilpisjarvi(v, d):
    return (st.norm(d["pmualpha"], d["psalpha"]).logpdf(v["alpha"])
            + st.norm(d["pmubeta"], d["psbeta"]).logpdf(v["beta"])
            + st.norm(v["alpha"] + v["beta"] * np.asarray(d["x"]), v["sigma"]).logpdf(
                d["y"]).sum())


def ref_diamonds(v, d):
    X = np.asarray(d["X"])
    Xc = X[:, 1:] - X[:, 1:].mean(axis=0)
    return (st.norm().logpdf(v["b"]).sum() + st.t(3, 8, 10).logpdf(v["Intercept"])
            + st.t(3, 0, 10).logpdf(v["sigma"])
            + st.norm(v["Intercept"] + Xc @ v["b"], v["sigma"]).logpdf(d["Y"]).sum())


def ref_arK(v, d):
    y, K = np.asarray(d["y"]), d["K"]
    lp = (st.norm(0, 10).logpdf(v["alpha"]) + st.norm(0, 10).logpdf(v["beta"]).sum()
          + st.cauchy(0, 2.5).logpdf(v["sigma"]))
    for t in range(K, d["T"]):
        mu = v["alpha"] + sum(v["beta"][k] * y[t - k - 1] for k in range(K))
        lp += st.norm(mu, v["sigma"]).logpdf(y[t])
    return lp


def ref_arma(v, d):
    y = np.asarray(d["y"])
    err = np.empty(len(y))
    err[0] = y[0] - (v["mu"] + v["phi"] * v["mu"])
    for t in range(1, len(y)):
        err[t] = y[t] - (v["mu"] + v["phi"] * y[t - 1] + v["theta"] * err[t - 1])
    return (st.norm(0, 10).logpdf(v["mu"]) + st.norm(0, 2).logpdf(v["phi"])
            + st.norm(0, 2).logpdf(v["theta"]) + st.cauchy(0, 2.5).logpdf(v["sigma"])
            + st.norm(0, v["sigma"]).logpdf(err).sum())


def ref_garch(v, d):
    # beta1 = (1 - alpha1) * beta1_unit; density flat in beta1 => in the unit parameter the
    # Jacobian log(1 - alpha1)
    y = np.asarray(d["y"])
    beta1 = (1 - v["alpha1"]) * v["beta1_unit"]
    sigma = np.empty(len(y))
    sigma[0] = d["sigma1"]
    for t in range(1, len(y)):
        sigma[t] = np.sqrt(v["alpha0"] + v["alpha1"] * (y[t - 1] - v["mu"]) ** 2
                           + beta1 * sigma[t - 1] ** 2)
    return st.norm(v["mu"], sigma).logpdf(y).sum() + np.log(1 - v["alpha1"])


def ref_gp(v, d):
    x = np.asarray(d["x"])
    cov = v["alpha"] ** 2 * np.exp(-(x[:, None] - x[None, :]) ** 2 / (2 * v["rho"] ** 2))
    f = np.linalg.cholesky(cov + 1e-10 * np.eye(len(x))) @ v["f_tilde"]
    return (st.gamma(25, scale=1 / 4).logpdf(v["rho"]) + st.norm(0, 2).logpdf(v["alpha"])
            + st.norm().logpdf(v["f_tilde"]).sum()
            + st.poisson(np.exp(f)).logpmf(d["k"]).sum())


def ref_gauss_mix(v, d):
    y = np.asarray(d["y"])
    mu, s, th = v["mu"], v["sigma"], v["theta"]
    lp = (st.norm(0, 2).logpdf(s).sum() + st.norm(0, 2).logpdf(mu).sum()
          + st.beta(5, 5).logpdf(th))
    return lp + np.logaddexp(np.log(th) + st.norm(mu[0], s[0]).logpdf(y),
                             np.log1p(-th) + st.norm(mu[1], s[1]).logpdf(y)).sum()


def ref_hmm(v, d):
    alpha = np.asarray(d["alpha"])
    theta = np.stack([v["theta1"], v["theta2"]])
    u, w = np.asarray(d["u"]), np.asarray(d["v"])
    phi, lam = v["phi"], v["lambda"]
    lp = sum(st.dirichlet(alpha[k]).logpdf(theta[k]) for k in range(2))
    lp += (st.norm(0, 1).logpdf(phi[0]) + st.norm(3, 1).logpdf(phi[1])
           + st.norm(0, 1).logpdf(lam[0]) + st.norm(3, 1).logpdf(lam[1]))
    emit = lambda t: st.expon(scale=1 / phi).logpdf(u[t]) + st.expon(scale=1 / lam).logpdf(w[t])  # noqa: E731
    gamma = emit(0)
    for t in range(1, len(u)):
        acc = gamma[:, None] + np.log(theta) + emit(t)[None, :]
        gamma = logsumexp(acc, axis=0)
    return lp + logsumexp(gamma)


REFERENCES = {
    "eight_schools-eight_schools_noncentered": ref_eight_schools,
    "kidiq-kidscore_momiq": ref_momiq,
    "kidiq-kidscore_interaction": ref_interaction,
    "earnings-logearn_height": lambda v, d: ref_earn(v, d, log=True),
    "mesquite-logmesquite_logvash": ref_logmesquite,
    "nes1972-nes": ref_nes,
    "sblrc-blr": ref_blr,
    "arK-arK": ref_arK,
    "arma-arma11": ref_arma,
    "garch-garch11": ref_garch,
    "diamonds-diamonds": ref_diamonds,
    "gp_pois_regr-gp_pois_regr": ref_gp,
    "low_dim_gauss_mix-low_dim_gauss_mix": ref_gauss_mix,
    "kilpisjarvi_mod-kilpisjarvi": ref_kilpisjarvi,
    "earnings-earn_height": ref_earn,
    "mesquite-mesquite": ref_mesquite,
    "bball_drive_event_0-hmm_drive_0": ref_hmm,
}


def _log_jacobian(ld, theta):
    total = 0.0
    for name, shape, off, usize, transform in ld._meta.params:
        y = theta[off:off + usize].reshape(transform.unconstrained_shape(shape) if shape
                                           else ())
        total += float(np.sum(transform.log_det_jacobian(y)))
    return total


def _start(name, ld, seed):
    """A random point near the posterior's bulk: the reference means, jittered."""
    ref = P.load_reference(name)["parameters"]
    rng = np.random.default_rng(seed)
    names = ld.param_names
    values = {}
    for n, shape, *_ in ld._meta.params:
        stan = P.REFERENCE_NAMES[name].get(n)
        if stan is not None and (stan in ref or f"{stan}[1]" in ref) and n not in ("theta",):
            if stan in ref:
                r = ref[stan]
                values[n] = r["mean"] + 0.3 * r["sd"] * rng.normal()
            else:
                k = int(np.prod(shape))
                m_ = np.array([ref[f"{stan}[{j + 1}]"]["mean"] for j in range(k)])
                s_ = np.array([ref[f"{stan}[{j + 1}]"]["sd"] for j in range(k)])
                values[n] = (m_ + 0.3 * s_ * rng.normal(size=k)).reshape(shape)
    theta = rng.normal(size=ld.dim) * 0.5
    for n, shape, off, usize, transform in ld._meta.params:
        if n in values:
            try:
                y = np.asarray(transform.unconstrain(values[n]), dtype=float).ravel()
                if np.all(np.isfinite(y)):
                    theta[off:off + usize] = y
            except ValueError:
                pass
    assert names
    return theta


@pytest.mark.parametrize("name", P.POSTERIORS)
def test_posteriordb_logp_matches_stan_program(name):
    data = P.load_data(name)
    ld = P.build(name, data).compile()
    ref = REFERENCES[name]
    lps, refs = [], []
    for seed in range(3):
        th = _start(name, ld, seed)
        lps.append(ld.logp(th) - _log_jacobian(ld, th))
        refs.append(ref(ld.constrain(th), data))
    lps, refs = np.array(lps), np.array(refs)
    assert np.all(np.isfinite(lps)), lps
    scale = max(1.0, np.max(np.abs(refs)))
    np.testing.assert_allclose(lps[1:] - lps[0], refs[1:] - refs[0], rtol=0,
                               atol=1e-9 * scale)
    check_grad(ld, _start(name, ld, 7), rtol=1e-4, atol=1e-6)


def test_reference_names_cover_reference_draws():
    for name in P.POSTERIORS:
        ld = P.build(name).compile()
        draws = ld.constrain_draws(np.zeros((2, ld.dim)))
        flat = P.stan_draws(name, draws)
        expected = set(P.load_reference(name)["parameter_names"])
        assert expected <= set(flat), (name, expected - set(flat))
