"""The package layout: samplers/ and models/ install as bayeskit sub-packages."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_regular_install_imports_subpackages_from_any_directory(tmp_path):
    """A non-editable install (pip install .) provides bayeskit.samplers and .models."""
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
         "--target", str(target), str(ROOT)],
        check=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = (
        "import bayeskit, bayeskit.samplers, bayeskit.models, os, sys;"
        "assert 'site' in bayeskit.__file__, bayeskit.__file__;"
        "import importlib.util as u;"
        "assert u.find_spec('samplers') is None and u.find_spec('models') is None;"
        "from importlib.resources import files;"
        "assert (files('bayeskit.models') / 'data' / 'california_housing.csv').is_file();"
        "print('ok')"
    )
    env = dict(os.environ, PYTHONPATH=str(target))
    out = subprocess.run([sys.executable, "-c", code], cwd=elsewhere, env=env,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_no_top_level_samplers_or_models_package(tmp_path):
    """Only bayeskit is a top-level import name (checked away from the repository root)."""
    code = (
        "import importlib.util as u, bayeskit.samplers, bayeskit.models;"
        "assert bayeskit.samplers.__name__ == 'bayeskit.samplers';"
        "assert bayeskit.models.__name__ == 'bayeskit.models';"
        "assert u.find_spec('samplers') is None and u.find_spec('models') is None;"
        "print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
