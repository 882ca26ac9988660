"""A Graph as versioned JSON, the format users save networks in (never pickle).

``{"format": "neuroarena.graph", "version": 2, "nodes": [[id, kind, activation, bias], ...],
"connections": [[source, target, weight, enabled, innovation, recurrent], ...]}``, with kinds
and activations by name. Version 1 (connections without the recurrent flag, all
feed-forward) is still read. Floats are written with repr, so they read back exactly; reading is
strict about types (an int counts as a float, a bool as neither).
"""

from __future__ import annotations

from typing import Any

from .graph import JSON_FORMAT_NAME, JSON_FORMAT_VERSION, Connection, Graph, Node

__all__ = ["graph_to_dict", "graph_from_dict"]


def graph_to_dict(g: Graph) -> dict:
    return {
        "format": JSON_FORMAT_NAME,
        "version": JSON_FORMAT_VERSION,
        "nodes": [list(n) for n in g.nodes],
        "connections": [list(c) for c in g.connections],
    }


def graph_from_dict(cls: type[Graph], data: Any) -> Graph:
    if not isinstance(data, dict) or data.get("format") != JSON_FORMAT_NAME:
        raise ValueError(
            f'not a neuroarena graph: expected an object with "format": "{JSON_FORMAT_NAME}"'
        )
    version = data.get("version")
    if version not in (1, JSON_FORMAT_VERSION) or isinstance(version, bool):
        raise ValueError(
            f"graph format version {version!r} is not supported (this neuroarena reads versions 1 and {JSON_FORMAT_VERSION})"
        )
    fields = "[source, target, weight, enabled, innovation" + (
        ", recurrent]" if version > 1 else "]"
    )
    try:
        nodes = [
            Node(_typed(i, int), _typed(k, str), _typed(a, str), float(_typed(b, float)))
            for i, k, a, b in data["nodes"]
        ]
        conns = [_connection(c, version) for c in data["connections"]]
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise ValueError(
            f"malformed graph JSON: {exc!r}; nodes are [id, kind, activation, bias], connections {fields}"
        ) from None
    # innovation numbers are read back exactly as written, negative ones included
    return cls._from_records(nodes, conns)


def _connection(entry, version: int) -> Connection:
    """One connection entry of a version-``version`` file."""
    if version == 1:
        s, t, w, en, inn = entry
        rec = False
    else:
        s, t, w, en, inn, rec = entry
    return Connection(
        _typed(s, int),
        _typed(t, int),
        float(_typed(w, float)),
        _typed(en, bool),
        _typed(inn, int),
        _typed(rec, bool),
    )


def _typed(value: Any, kind: type) -> Any:
    """``value`` if it is a JSON value of ``kind`` (an int counts as a float, a bool as
    neither); TypeError otherwise."""
    if kind is bool or isinstance(value, bool):
        ok = kind is bool and isinstance(value, bool)
    else:
        ok = isinstance(value, (int, float) if kind is float else kind)
    if not ok:
        raise TypeError(f"{value!r} is not a JSON {kind.__name__}")
    return value
