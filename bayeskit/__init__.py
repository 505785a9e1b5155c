"""bayeskit: Bayesian modeling with Numba-compiled log-densities.

``import bayeskit as bk``. Distributions, the model language, MCMC (``bk.sample``),
variational inference (``bk.fit``), bootstrap (``bk.bootstrap``), diagnostics and reports.
See the README for a tour and DESIGN notes in the module docstrings.
"""

from ._version import __version__
from .logdensity import LOGP_SIGNATURE, LogDensity

# distributions and transforms
from .distributions import *  # noqa: F401,F403
from . import transforms
# model language
from .model import Model, ModelLogDensity
from . import math
# inference
from .inference import sample
from .optimize import find_map
from .predictive import (compute_log_likelihood, sample_posterior_predictive,
                         sample_prior_predictive)
# variational inference and bootstrap
from .vi import fit
from .bootstrap import (bayesian_bootstrap, bootstrap, bootstrap_map, bootstrap_regression,
                        bootstrap_statistics)
# diagnostics and reports
from .diagnostics import diagnose, summary
from .report import report
