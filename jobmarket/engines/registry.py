"""Match engines by name (``--engine``). Built-ins load lazily, so Ray is imported only when asked for."""

from __future__ import annotations

import importlib

from jobmarket.engines._base import MatchEngine
from jobmarket.errors import JobmarketError

# name -> "module:Class"; register_engine adds a third-party engine without editing this file.
ENGINES: dict[str, str] = {
    "local": "jobmarket.engines.local:LocalEngine",
    "ray": "jobmarket.engines.ray:RayEngine",
}


def register_engine(name: str, target: str) -> None:
    """Make ``--engine name`` use ``target`` ("package.module:Class", a class with a no-argument init)."""
    ENGINES[name] = target


def get_engine(name: str) -> MatchEngine:
    if name not in ENGINES:
        raise JobmarketError(f"--engine must be one of {', '.join(ENGINES)}, not {name!r}")
    module, _, cls = ENGINES[name].partition(":")
    return getattr(importlib.import_module(module), cls)()
