"""Ready-made applied models and their data, built only on bayeskit's public API.

Installed as ``bayeskit.models``.
"""
