"""The one entry-point loader: embedders, enrichers and task runners are all plugins.

Built-ins register in pyproject.toml exactly as a third-party package would. ``built_ins`` seeds
the registry so a checkout that was never pip-installed (no entry-point metadata) still has its
defaults. Nothing here imports Django, so the pipeline can use it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import cache
from importlib.metadata import entry_points
from typing import Any

log = logging.getLogger(__name__)


def entry_point_names(group: str) -> set[str]:
    """Names registered under an entry-point group, without importing any of them."""
    return {point.name for point in entry_points(group=group)}


@cache
def _load(group: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for point in entry_points(group=group):
        try:
            obj = point.load()
        except Exception:  # a broken plugin must not stop the others
            log.exception("plugin %s of %s failed to load", point.name, group)
            continue
        found[getattr(obj, "name", "") or point.name] = obj
    return found


def load_plugins(group: str, built_ins: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Every object registered under ``group``, by its ``name`` attribute (else the entry point's name)."""
    found = dict(built_ins or {})
    found.update(_load(group))
    return found


def load_plugin(group: str, name: str, built_ins: Mapping[str, Any] | None = None) -> Any:
    """The one object registered as ``name`` under ``group``, importing no other plugin; raises KeyError."""
    for point in entry_points(group=group, name=name):
        return point.load()
    if built_ins and name in built_ins:
        return built_ins[name]
    raise KeyError(name)
