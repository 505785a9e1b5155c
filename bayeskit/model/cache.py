"""Disk cache of generated model modules.

The generated source is written to ``$BAYESKIT_CACHE_DIR`` (default ``~/.cache/bayeskit``)
as ``model_<hash>.py``, the hash being of the source itself (which encodes the model's
structure and nothing of its data). Numba's ``cache=True`` then keeps the machine code in
the ``__pycache__`` next to it, so the same model in a new process loads in milliseconds.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
import threading

import numba

from .._version import __version__

_lock = threading.Lock()
_loaded = {}


def cache_dir():
    """The directory holding generated modules (created on first use)."""
    path = os.environ.get("BAYESKIT_CACHE_DIR") or os.path.join(
        os.path.expanduser("~"), ".cache", "bayeskit")
    os.makedirs(path, exist_ok=True)
    return path


def source_hash(source):
    h = hashlib.sha256()
    h.update(f"bayeskit {__version__} numba {numba.__version__}\n".encode())
    h.update(source.encode())
    return h.hexdigest()[:24]


def load_source(source):
    """Import the module of ``source`` from the cache directory (writing it if new)."""
    key = source_hash(source)
    with _lock:
        mod = _loaded.get(key)
        if mod is not None:
            return mod, key
        directory = cache_dir()
        name = f"bayeskit_model_{key}"
        path = os.path.join(directory, name + ".py")
        current = None
        if os.path.exists(path):
            with open(path) as f:
                current = f.read()
        if current != source:
            fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
            with os.fdopen(fd, "w") as f:
                f.write(source)
            os.replace(tmp, path)  # atomic: concurrent processes never see half a file
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        try:
            spec.loader.exec_module(mod)
        except BaseException:
            sys.modules.pop(name, None)
            raise
        _loaded[key] = mod
        return mod, key
