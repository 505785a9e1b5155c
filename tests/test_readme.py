"""The README's tour runs as written (so the front page never rots)."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_tour_runs(tmp_path, monkeypatch):
    source = README.read_text()
    blocks = re.findall(r"```python\n(.*?)```", source, re.S)
    assert blocks, "README has no python example"
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)
    assert (tmp_path / "report.html").stat().st_size > 10_000
    summary = namespace["bk"].summary(namespace["idata"])
    assert abs(summary.loc["beta[b]", "mean"] + 2.0) < 0.3
