"""Bootstrap confidence intervals on a compiled resampling engine.

- :func:`bootstrap`: ``scipy.stats.bootstrap``'s interface (percentile, basic, BCa).
- :func:`bayesian_bootstrap`: Rubin's Dirichlet-weight bootstrap of weighted statistics.
- :func:`bootstrap_regression`: case-resampling intervals of regression coefficients.
- ``bootstrap_statistics``: the statistics with a compiled fast path.
"""

from . import statistics as bootstrap_statistics
from .api import BootstrapResult, ConfidenceInterval, bootstrap
from .intervals import DegenerateDataWarning

__all__ = ["bootstrap", "BootstrapResult", "ConfidenceInterval", "DegenerateDataWarning",
           "bootstrap_statistics"]
