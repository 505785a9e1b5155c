"""MCMC engines in Numba: random-walk Metropolis, static HMC and NUTS, with warmup.

Installed as ``bayeskit.samplers``. This layer knows only a log-density: a compiled
function with ``bayeskit.LOGP_SIGNATURE`` and its two data buffers. It imports numpy and
numba, nothing else from bayeskit.
"""

from .runner import ChainResult, run_chain
from .state import STAT_NAMES

__all__ = ["run_chain", "ChainResult", "STAT_NAMES"]
