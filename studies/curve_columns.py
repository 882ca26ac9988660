"""Each run's curve as one BLOB per column, beside the long ``curves`` table.

The long table (one row per recorded step) is the curve as SQL sees it. Reading it back row
by row through :mod:`sqlite3` makes a Python object of every value (400,000 points of 20
columns: about 2 s), so every run's curve is also written, in the same transaction, a column
at a time into ``curve_columns``: numbers as little-endian float64 (``f8``) or int64 (``i8``)
arrays, anything else (NEAT's species sizes, text) as the JSON list of exactly what the long
table holds for it (``cells``). :func:`read_columns` turns the BLOBs of many runs back into
the long table's columns with one numpy concatenation per column.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np

from ._json import canonical

__all__ = ["CREATE", "encode_column", "read_columns"]

CREATE = (
    "CREATE TABLE IF NOT EXISTS curve_columns (run_id TEXT NOT NULL, name TEXT NOT NULL, "
    "kind TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY (run_id, name)) WITHOUT ROWID"
)
_DTYPES = {"f8": np.dtype("<f8"), "i8": np.dtype("<i8")}


def encode_column(cells: Sequence, floats: np.ndarray | None = None) -> tuple[str, bytes]:
    """(kind, data) of one column of one run's curve: ``cells`` as the long table stores
    them; ``floats`` the same column as float64 when it is numeric (NaN where SQLite holds
    NULL)."""
    if floats is not None:
        return "f8", np.ascontiguousarray(floats, dtype=_DTYPES["f8"]).tobytes()
    if all(_is_int(v) for v in cells):
        return "i8", np.asarray(cells, dtype=_DTYPES["i8"]).tobytes()
    if all(v is None or _is_int(v) or isinstance(v, (float, np.floating)) for v in cells):
        return "f8", np.array([np.nan if v is None else v for v in cells], "<f8").tobytes()
    return "cells", canonical(list(cells)).encode()


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _decode(kind: str, data: bytes):
    if kind in _DTYPES:
        return np.frombuffer(data, dtype=_DTYPES[kind])
    if kind == "cells":
        return json.loads(data)
    raise ValueError(f"unknown curve column kind {kind!r} in the store")


def read_columns(rows, order: Sequence[str]) -> tuple[np.ndarray, dict]:
    """``(lengths, columns)`` from ``(run_id, name, kind, data)`` rows: each run of
    ``order`` (in that order) gives ``lengths[i]`` points (0 for a run without a curve);
    ``columns[name]`` is the concatenation over the runs, a float64 or int64 array, or a
    list (a run without the column gives NaN, or None in a list)."""
    index = {run: i for i, run in enumerate(order)}
    by_name: dict[str, list] = {}
    lengths = np.zeros(len(order), dtype=np.int64)
    for run, name, kind, data in rows:
        i = index.get(run)
        if i is None:
            continue
        value = _decode(kind, data)
        lengths[i] = max(lengths[i], len(value))
        by_name.setdefault(name, []).append((i, value))
    starts = np.concatenate([[0], np.cumsum(lengths)])
    columns = {}
    for name, pieces in by_name.items():
        pieces.sort(key=lambda p: p[0])
        complete = len(pieces) == int(np.count_nonzero(lengths))
        arrays = [v for _, v in pieces if isinstance(v, np.ndarray)]
        if len(arrays) == len(pieces) and complete and len({a.dtype for a in arrays}) == 1:
            columns[name] = np.concatenate(arrays) if arrays else np.empty(0)
        elif len(arrays) == len(pieces):  # numbers, some runs without the column
            column = np.full(int(starts[-1]), np.nan)
            for i, v in pieces:
                column[starts[i] : starts[i + 1]] = v
            columns[name] = column
        else:  # some runs hold more than numbers: a list, as SQLite gives it back
            column = [None] * int(starts[-1])
            for i, v in pieces:
                if isinstance(v, np.ndarray):
                    v = [None if x != x else x for x in v.tolist()]  # NaN is NULL
                column[starts[i] : starts[i + 1]] = v
            columns[name] = column
    return lengths, columns
