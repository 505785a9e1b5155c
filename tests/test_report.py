"""bk.report: one self-contained HTML file (and a Markdown variant) with every section.

The inference data are synthetic draws built through the ArviZ adapter, so the report is
tested without running a sampler. Rendering as a person sees it (headless Chromium) is
checked by hand; here we check structure: every section is present, every embedded image
decodes as a PNG, and nothing points outside the file.
"""

import base64
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from bayeskit import arviz_adapter as adapter
from bayeskit.report import Section, report, verdict

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CORE_SECTIONS = ["run", "verdict", "summary", "trace", "forest", "energy", "ppc"]


def _idata(diverging=0, method="nuts", chains=4, draws=200, seed=0):
    rng = np.random.default_rng(seed)
    n = 120
    x = rng.normal(size=(n, 2))
    y = x @ np.array([1.0, -0.5]) + rng.normal(size=n)
    beta = rng.normal([1.0, -0.5], 0.08, size=(chains, draws, 2))
    alpha = rng.normal(0.0, 0.1, size=(chains, draws))
    sigma = np.abs(rng.normal(1.0, 0.06, size=(chains, draws)))
    mu = alpha[..., None] + np.einsum("cdk,nk->cdn", beta, x)
    yrep = mu + sigma[..., None] * rng.normal(size=mu.shape)
    div = np.zeros((chains, draws), dtype=bool)
    div.flat[:diverging] = True
    stats = {"energy": rng.normal(10.0, 2.0, size=(chains, draws)), "diverging": div,
             "lp": rng.normal(size=(chains, draws)),
             "reached_max_treedepth": np.zeros((chains, draws), dtype=bool)}
    return adapter.make_inference_data(
        {"alpha": alpha, "beta": beta, "sigma": sigma, "mu": mu},
        sample_stats=stats if method == "nuts" else None,
        observed_data={"y": y}, posterior_predictive={"y": yrep},
        coords={"feature": ["income", "age"]},
        dims={"beta": ["feature"], "mu": ["house"], "y": ["house"]},
        attrs={"sampler" if method == "nuts" else "method": method, "chains": chains,
               "draws": draws, "deterministics": '["mu"]'},
    ), y, yrep


def _predictions(y, yrep):
    q = np.quantile(yrep.reshape(-1, yrep.shape[-1]), [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
    df = pd.DataFrame({"median": q[2], "low_50": q[1], "high_50": q[3], "low_90": q[0],
                       "high_90": q[4], "actual": y})
    df.attrs["unit"] = "USD"
    return df


def _comparison():
    rows = [(m, p, e + d, e + d - 0.2, e + d + 0.2, s)
            for m, d, s in (("NUTS", 0.0, 3.0), ("ADVI", 0.01, 0.5), ("bootstrap", -0.01, 1.0))
            for p, e in (("alpha", 0.0), ("beta[income]", 1.0), ("sigma", 1.0))]
    return pd.DataFrame(rows, columns=["method", "parameter", "estimate", "low", "high",
                                       "seconds"])


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.section_ids, self.images, self.urls, self.headings = [], [], [], []
        self._in_h2 = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self.section_ids.append(attrs.get("id"))
        if tag == "img":
            self.images.append(attrs["src"])
        if tag == "h2":
            self._in_h2 = True
        for key in ("src", "href"):
            if key in attrs and tag != "img":
                self.urls.append(attrs[key])
        if tag in ("link", "script") or (tag == "img" and not attrs["src"].startswith("data:")):
            self.urls.append(attrs.get("src") or attrs.get("href"))

    def handle_endtag(self, tag):
        self._in_h2 = self._in_h2 and tag != "h2"

    def handle_data(self, data):
        if self._in_h2:
            self.headings.append(data.strip())


@pytest.fixture(scope="module")
def full_report(tmp_path_factory):
    idata, y, yrep = _idata()
    path = tmp_path_factory.mktemp("report") / "report.html"
    cleaning = pd.DataFrame({"step": ["impute", "encode"], "rows": [171, 0]})
    out = report(idata, path=path, title="House prices & <uncertainty>",
                 predictions=_predictions(y, yrep), comparison=_comparison(),
                 sections=[Section("Data cleaning", "What was done:\n\n- imputed\n- encoded",
                                   tables=[cleaning])])
    return out, out.read_text(encoding="utf-8")


def test_html_report_has_every_section_and_self_contained_images(full_report):
    path, html = full_report
    parser = _Collector()
    parser.feed(html)
    expected = CORE_SECTIONS + ["predictions", "comparison", "data-cleaning"]
    assert parser.section_ids == expected
    # trace + rank, forest, energy, ppc, predictions, comparison
    assert len(parser.images) == 7
    for src in parser.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1], validate=True).startswith(PNG_MAGIC)
    # only in-page anchors: nothing to fetch from outside the file
    assert all(u.startswith("#") for u in parser.urls), parser.urls
    assert not re.search(r"(https?:)?//[a-z0-9]", html.split("<style>")[1].split("</style>")[0])
    # the title is escaped, the deterministic per-house mean is left out of the table
    assert "House prices &amp; &lt;uncertainty&gt;" in html
    assert "Not shown (deterministic or more than 30 entries): mu." in html
    assert "beta[income]" in html and "time (s)" in html


def test_html_report_states_coverage_of_the_actual_values(full_report):
    _, html = full_report
    idata, y, yrep = _idata()
    pred = _predictions(y, yrep)
    c90 = np.mean((y >= pred["low_90"]) & (y <= pred["high_90"]))
    assert f"the 90% intervals {100 * c90:.1f}%" in html


def test_markdown_report_writes_figures_beside_it(tmp_path):
    idata, y, yrep = _idata()
    path = report(idata, path=tmp_path / "report.md", format="markdown",
                  predictions=_predictions(y, yrep))
    text = path.read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(links) == 6
    for link in links:
        assert link.startswith("report_figures/")
        assert (tmp_path / link).read_bytes().startswith(PNG_MAGIC)
    for heading in ("## Diagnostics verdict", "## Posterior summary", "## Trace and rank plots",
                    "## Forest plot", "## Energy plot", "## Posterior predictive check",
                    "## Predictions with intervals"):
        assert heading in text
    # a Markdown table: header, alignment row, one row per parameter entry
    assert re.search(r"\| parameter \| mean \|.*\n\|:---\|---:\|", text)


def test_verdict_in_plain_language():
    good = verdict(_idata()[0])
    assert good.status == "ok" and "worked well" in good.headline
    bad = verdict(_idata(diverging=30)[0])
    assert bad.status == "problem"
    assert any(status == "problem" and "30 of 800 transitions" in text
               for status, text in bad.findings)
    approx = verdict(_idata(method="advi")[0])
    assert approx.status == "approximation" and "advi" in approx.headline


def test_report_without_predictive_draws_says_how_to_add_them(tmp_path):
    idata, _, _ = _idata()
    plain = adapter.make_inference_data(
        {"alpha": adapter.get_group(idata, "posterior")["alpha"].values})
    html = report(plain, path=tmp_path / "r.html").read_text(encoding="utf-8")
    assert "bk.sample_posterior_predictive" in html


def test_bad_arguments_are_clear_errors(tmp_path):
    idata, _, _ = _idata()
    with pytest.raises(ValueError, match="format must be one of"):
        report(idata, path=tmp_path / "r.pdf", format="pdf")
    with pytest.raises(ValueError, match="comparison lacks the columns"):
        report(idata, path=tmp_path / "r.html", comparison=pd.DataFrame({"method": ["a"]}))
    with pytest.raises(ValueError, match="predictions lacks the columns"):
        report(idata, path=tmp_path / "r.html", predictions=pd.DataFrame({"median": [1.0]}))
    with pytest.raises(ValueError, match="does not exist"):
        report(idata, path=tmp_path / "missing" / "r.html")


def test_ppc_axis_is_not_stretched_by_heavy_tailed_draws():
    """Cauchy predictive draws reach +-1e4; the axis must show the bulk, not those."""
    from bayeskit.report import figures

    rng = np.random.default_rng(0)
    data = adapter.make_inference_data(
        {"mu": rng.normal(size=(2, 100))},
        posterior_predictive={"y": rng.standard_cauchy(size=(2, 100, 50))},
        observed_data={"y": rng.standard_cauchy(size=50).clip(-20, 20)})
    fig = figures.ppc(data, ["y"])
    axes = [ax for ax in fig.axes if ax.has_data()]
    assert axes
    draws = adapter.get_group(data, "posterior_predictive")["y"].values
    low, high = np.quantile(draws, figures.PPC_RANGE)
    for ax in axes:
        x0, x1 = ax.get_xlim()
        assert x0 >= min(low, -20) - 0.05 * (high - low)
        assert x1 <= max(high, 20) + 0.05 * (high - low)
        assert x1 - x0 < 0.1 * (draws.max() - draws.min())  # the full range is not shown
