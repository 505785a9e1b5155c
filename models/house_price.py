"""Bayesian house-price regression: data, model variants, prediction and evaluation.

The data side lives in :mod:`bayeskit.models.house_data` and is re-exported here, so
``from bayeskit.models.house_price import load_dataset`` is the one import users need.
"""

from __future__ import annotations

from .house_data import (  # noqa: F401  (re-exported API)
    DATASETS,
    CleaningStep,
    FeaturePipeline,
    HouseData,
    Split,
    from_csv,
    from_frame,
    load_dataset,
    load_raw,
)
