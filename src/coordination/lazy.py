"""Modules loaded on first use.

`coordination --help` and the commands that touch neither the database nor Prefect must start
fast, so the CLI names the heavy modules (SQLAlchemy, the models, alembic, the use cases) here and
Python loads each the first time one of its attributes is read (the standard LazyLoader recipe)."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def lazy(name: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)  # `from package import child` finds it
    return module
