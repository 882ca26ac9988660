"""JSON for studies: canonical text, and what counts as plain data."""

from __future__ import annotations

import json

import numpy as np

__all__ = ["canonical", "plain"]


def _default(value):
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} {value!r} is not plain data (numbers, text, lists)")


def canonical(value) -> str:
    """Sorted keys, no spaces, numpy numbers as numbers, sets sorted; TypeError otherwise."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=_default)


def plain(value):
    """A JSON-ready copy of ``value`` (tuples to lists, numpy scalars to Python)."""
    return json.loads(canonical(value))
