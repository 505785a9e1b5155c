"""House-price models: parameterization choice, censored likelihood, prediction, coverage."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from bayeskit import arviz_adapter as adapter
from bayeskit.models.house_price import (
    build_model,
    choose_parameterization,
    evaluate,
    from_frame,
    load_dataset,
    predictive_log_price,
)


@pytest.fixture(scope="module")
def california():
    return load_dataset("california")


def test_parameterization_centered_for_big_groups_noncentered_for_island(california):
    train = california.train
    y = (train.y - train.y.mean()) / train.y.std()
    p = choose_parameterization(train.X, y, train.group, california.group_levels)
    chosen = dict(zip(p.levels, p.centered))
    assert chosen == {"<1H OCEAN": True, "INLAND": True, "ISLAND": False,
                      "NEAR BAY": True, "NEAR OCEAN": True}
    assert p.tau_low < p.tau_hat
    # the ratio is n_j tau_low^2 / sigma^2, by definition
    np.testing.assert_allclose(p.ratio, p.counts * p.tau_low ** 2 / p.sigma_hat ** 2)


def test_parameterization_follows_group_size_on_simulated_data():
    rng = np.random.default_rng(5)
    sizes = [2000, 3, 400, 1]
    group = np.repeat(np.arange(4), sizes)
    X = rng.normal(size=(len(group), 2))
    effects = np.array([0.5, -0.4, 0.1, 0.9])
    y = effects[group] + X @ np.array([0.3, -0.2]) + rng.normal(0, 0.5, len(group))
    p = choose_parameterization(X, y, group, ["a", "b", "c", "d"])
    assert p.centered.tolist() == [True, False, True, False]


def _point_posterior(values, draws=2000):
    """Inference data in which every draw equals ``values`` (a posterior point mass)."""
    post = {k: np.broadcast_to(np.asarray(v, float), (1, draws) + np.shape(v)).copy()
            for k, v in values.items()}
    return adapter.make_inference_data(post)


def test_censored_rows_enter_through_the_tail_probability(california):
    hm = build_model(california, "robust")
    ld = hm.model.compile()
    start = dict(hm.start)
    theta = ld.unconstrain(start)
    loglik = ld.log_likelihood_draws(theta[None])["y"][0]
    train = california.train
    a = np.empty(len(hm.data.group_levels))
    a[hm.parameterization.centered] = start["a_centered"]
    a[~hm.parameterization.centered] = start["alpha"] + start["tau"] * start["z_noncentered"]
    mu = a[train.group] + train.X @ start["beta"]
    y = hm.standardize(train.y)
    t = stats.t(start["nu"], loc=mu, scale=start["sigma"])
    expected = np.where(train.censored, t.logsf(hm.censor_std), t.logpdf(y))
    assert train.censored.sum() > 700
    np.testing.assert_allclose(loglik, expected, rtol=1e-8, atol=1e-10)


def test_model_variants_have_the_documented_parameters(california):
    pooled = build_model(california, "pooled")
    assert pooled.model.free_param_names == ["alpha", "beta", "sigma"]
    varying = build_model(california, "varying-intercept")
    assert set(varying.model.free_param_names) == {
        "alpha", "beta", "tau", "a_centered", "z_noncentered", "sigma"}
    robust = build_model(california, "robust")
    assert "nu" in robust.model.free_param_names
    windsor = load_dataset("windsor")
    assert not build_model(windsor, "robust").grouped  # no group column: pooled + Student-t
    with pytest.raises(ValueError, match="needs a group column"):
        build_model(windsor, "varying-intercept")
    with pytest.raises(ValueError, match="variant must be one of"):
        build_model(windsor, "hierarchical")


def _simulated_houses(n=4000, seed=11):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"size": rng.normal(100, 20, n), "age": rng.uniform(0, 50, n),
                          "town": rng.choice(["north", "south", "east"], n)})
    town = frame["town"].map({"east": 11.9, "north": 12.2, "south": 12.0}).to_numpy()
    log_price = town - 1.0 + 0.01 * frame["size"] - 0.004 * frame["age"] \
        + rng.normal(0, 0.3, n)
    frame["price"] = np.exp(log_price)
    return frame


def test_predictive_intervals_cover_at_the_nominal_rate_under_the_true_model():
    """With the posterior at the data-generating parameters, held-out coverage is
    Binomial(n_test, level)/n_test: checked within 4 binomial standard errors."""
    data = from_frame(_simulated_houses(), "price", group_column="town")
    hm = build_model(data, "varying-intercept")
    p = data.pipeline
    # true parameters on the model's standardized scales
    beta_raw = {"size": 0.01, "age": -0.004}
    beta = np.array([beta_raw[f] * p.scale[i] for i, f in enumerate(data.feature_names)])
    shift = sum(beta_raw[f] * p.mean[i] for i, f in enumerate(data.feature_names))
    town = {"east": 10.9, "north": 11.2, "south": 11.0}  # the intercepts, with the -1.0
    a = np.array([(town[g] + shift - hm.y_mean) / hm.y_sd for g in data.group_levels])
    truth = {"alpha": a.mean(), "tau": a.std(), "a": a, "beta": beta / hm.y_sd,
             "sigma": 0.3 / hm.y_sd}
    ev = evaluate(_point_posterior(truth), hm, seed=3)
    n = ev.n_test
    for level in (0.5, 0.9):
        se = np.sqrt(level * (1 - level) / n)
        assert abs(ev.coverage[level] - level) < 4 * se, (level, ev.coverage[level])
    predictions = ev.predictions
    assert (predictions["low_90"] < predictions["median"]).all()
    assert predictions.attrs["unit"] == ""


def test_new_group_draws_its_intercept_from_the_population():
    data = from_frame(_simulated_houses(600), "price", group_column="town")
    hm = build_model(data, "varying-intercept")
    k = len(data.feature_names)
    values = {"alpha": 0.2, "tau": 0.5, "a": np.array([0.0, 1.0, 2.0]),
              "beta": np.zeros(k), "sigma": 0.1}
    idata = _point_posterior(values, draws=20000)
    X = np.zeros((2, k))
    draws = predictive_log_price(idata, hm, X, np.array([1, -1]), max_draws=20000)
    y_std = (draws - hm.y_mean) / hm.y_sd
    # known group: Normal(1.0, 0.1); new group: Normal(alpha, sqrt(tau^2 + sigma^2))
    mc = 4 / np.sqrt(20000)
    assert abs(y_std[:, 0].mean() - 1.0) < 0.1 * mc
    assert abs(y_std[:, 0].std() / 0.1 - 1) < mc
    assert abs(y_std[:, 1].mean() - 0.2) < np.sqrt(0.26) * mc
    assert abs(y_std[:, 1].std() / np.sqrt(0.26) - 1) < mc
