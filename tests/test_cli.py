"""The ``bayeskit`` command, run as a user runs it (a subprocess), with small draws."""

import subprocess
import sys

import pandas as pd
import pytest

from bayeskit.cli import main
from bayeskit.models.house_price import load_raw


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "bayeskit.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def test_help_reads_well():
    top = run("--help")
    assert top.returncode == 0
    assert "house-price" in top.stdout and "Bayesian house-price analysis" in top.stdout
    sub = run("house-price", "--help")
    assert sub.returncode == 0
    for option in ("--data", "--csv", "--price-column", "--variant", "--method", "--compare",
                   "--draws", "--tune", "--chains", "--seed", "--report", "--predict",
                   "--quiet", "examples:"):
        assert option in sub.stdout, option


@pytest.mark.parametrize("args, message", [
    (["house-price", "--csv", "no_such.csv", "--price-column", "price"], "no such file"),
    (["house-price", "--csv", "{houses}"], "--csv needs --price-column"),
    (["house-price", "--csv", "{houses}", "--price-column", "cost"],
     "price column 'cost' not found"),
    (["house-price", "--data", "windsor", "--variant", "varying-intercept"],
     "needs a group column"),
    (["house-price", "--draws", "0"], "expected a positive number"),
    (["house-price", "--method", "gibbs"], "invalid choice: 'gibbs'"),
    (["house-price", "--report", "out.pdf"], "use a .html or .md file name"),
    (["house-price", "--data", "windsor", "--predict", "{bad_houses}"],
     "--predict: the houses to price lack the columns"),
    ([], "required"),
])
def test_bad_input_is_a_message_and_exit_code_2(tmp_path, monkeypatch, capsys, args,
                                                message):
    """In-process (the same ``main`` the console script calls) to keep the suite fast."""
    raw = load_raw("windsor")
    houses = tmp_path / "houses.csv"
    raw.to_csv(houses, index=False)
    bad = tmp_path / "bad.csv"
    raw.drop(columns=["price", "lotsize"]).head(3).to_csv(bad, index=False)
    args = [a.format(houses=houses, bad_houses=bad) for a in args]
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_bad_input_in_a_subprocess_has_no_traceback(tmp_path):
    out = run("house-price", "--csv", "missing.csv", "--price-column", "price", cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.strip() == "bayeskit: error: --csv: no such file: missing.csv"


def test_small_run_writes_report_and_prices_houses(tmp_path):
    raw = load_raw("windsor")
    to_price = raw.drop(columns=["price"]).head(4)
    to_price.to_csv(tmp_path / "new.csv", index=False)
    out = run("house-price", "--data", "windsor", "--variant", "pooled", "--draws", "150",
              "--tune", "150", "--chains", "2", "--seed", "3", "--report", "report.html",
              "--predict", "new.csv", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "held-out coverage" in out.stdout
    assert "fitting by NUTS" in out.stderr  # progress messages on stderr
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Held-out evaluation" in html and "Diagnostics verdict" in html
    priced = pd.read_csv(tmp_path / "new_priced.csv")
    assert list(priced.columns[-5:]) == ["median", "low_50", "high_50", "low_90", "high_90"]
    assert len(priced) == 4
    assert (priced["low_90"] <= priced["low_50"]).all()
    assert (priced["low_50"] <= priced["median"]).all()
    assert (priced["median"] <= priced["high_50"]).all()
    assert (priced["high_50"] <= priced["high_90"]).all()
    # prices of plausible size for Windsor houses in 1987 (CAD)
    assert priced["median"].between(20_000, 200_000).all()


def test_quiet_run_by_variational_inference(tmp_path):
    out = run("house-price", "--data", "windsor", "--variant", "pooled", "--method", "advi",
              "--draws", "200", "--chains", "1", "--quiet", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stderr.strip() == "" or "Pareto" in out.stderr
    assert "method advi" in out.stdout
