"""Bootstrap confidence intervals on a compiled resampling engine.

- :func:`bootstrap`: ``scipy.stats.bootstrap``'s interface (percentile, basic, BCa).
- :func:`bayesian_bootstrap`: Rubin's Dirichlet-weight bootstrap of weighted statistics.
- :func:`bootstrap_regression`: case-resampling intervals of least-squares coefficients;
  :func:`bootstrap_map`: the same for the MAP estimate of a ``bk.Model``.
- ``bootstrap_statistics``: the statistics with a compiled fast path.
"""

from . import statistics as bootstrap_statistics
from .api import BootstrapResult, ConfidenceInterval, bootstrap
from .bayesian import BayesianBootstrapResult, bayesian_bootstrap
from .intervals import DegenerateDataWarning
from .regression import RegressionBootstrapResult, bootstrap_map, bootstrap_regression

__all__ = ["bootstrap", "bayesian_bootstrap", "bootstrap_regression", "bootstrap_map",
           "bootstrap_statistics", "BootstrapResult", "BayesianBootstrapResult",
           "RegressionBootstrapResult", "ConfidenceInterval", "DegenerateDataWarning"]
