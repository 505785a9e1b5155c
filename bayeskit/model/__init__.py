"""The model language: expressions, the Model, reverse-mode autodiff and Numba codegen.

``graph`` builds expression nodes with shape inference, ``model`` the :class:`Model`,
``codegen``/``autodiff``/``program`` generate one Numba module per model structure,
``cache`` keeps it on disk, ``compiled`` wraps it as a :class:`ModelLogDensity`.
"""

from .compiled import ModelCompileError, ModelLogDensity
from .graph import Node, ShapeError
from .model import Model

__all__ = ["Model", "ModelLogDensity", "ModelCompileError", "Node", "ShapeError"]
