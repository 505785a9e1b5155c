"""run_analysis end to end on the small Windsor data: methods side by side, LOO, report."""

import numpy as np
import pytest

from bayeskit.models.house_analysis import run_analysis
from bayeskit.models.house_price import load_raw


@pytest.fixture(scope="module")
def result():
    houses = load_raw("windsor").drop(columns=["rownames", "price"]).head(3)
    messages = []
    res = run_analysis("windsor", variant="pooled", compare=True, draws=200, tune=200,
                       chains=2, seed=4, houses=houses, progress=messages.append)
    res.messages = messages
    return res


def test_methods_side_by_side_agree_on_the_coefficients(result):
    comparison = result.comparison
    assert list(dict.fromkeys(comparison["method"])) == [
        "NUTS", "ADVI", "bootstrap (least squares)"]
    assert (comparison["seconds"] > 0).all()
    assert (comparison["low"] <= comparison["estimate"]).all()
    assert (comparison["estimate"] <= comparison["high"]).all()
    pivot = comparison.pivot(index="parameter", columns="method", values="estimate")
    betas = pivot.loc[[p for p in pivot.index if p.startswith("beta")]]
    # a pooled Normal model with weak priors: posterior means ~ least squares, within
    # a fifth of the coefficients' posterior sd (about 0.03 on this scale)
    np.testing.assert_allclose(betas["NUTS"], betas["bootstrap (least squares)"], atol=0.01)
    np.testing.assert_allclose(betas["ADVI"], betas["NUTS"], atol=0.01)


def test_loo_ranks_the_variants_windsor_has_no_groups(result):
    loo = result.loo
    assert set(loo.index) == {"pooled", "robust"}
    assert loo["elpd_diff"].max() == 0.0
    assert np.isfinite(loo["elpd"]).all() and (loo["se"] > 0).all()


def test_result_prices_houses_and_writes_the_report(result, tmp_path):
    priced = result.house_predictions
    assert len(priced) == 3 and {"median", "low_90", "high_90"} <= set(priced.columns)
    assert (priced["low_90"] < priced["median"]).all()
    html = result.write_report(tmp_path / "r.html").read_text(encoding="utf-8")
    for heading in ("Method comparison", "Model comparison by LOO", "Held-out evaluation",
                    "Prior predictive check", "Priced houses", "Data and cleaning"):
        assert heading in html
    assert any("bootstrap" in m for m in result.messages)
    text = result.text_summary()
    assert "held-out coverage" in text and "LOO comparison" in text
