"""Data checks, splitting and scaling shared by every kind of task (pure functions).

- :func:`check_data`: validate a dataset ``X: (n, n_inputs)``, ``y: (n,)`` (classification
  labels) or ``(n,)`` / ``(n, n_outputs)`` (regression targets); one-line ValueErrors.
- :func:`split_rows`: row indices of the train / val / test splits, drawn from an rng,
  stratified for classification so that every class is in every non-empty split.
- :func:`standardize`: scale columns with the train split's mean and std.
- :func:`digest`: a stable sha256 hex digest of JSON-able values and arrays.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np

__all__ = [
    "check_data",
    "check_enough_rows",
    "check_fractions",
    "split_rows",
    "standardize",
    "digest",
    "frozen",
]


def frozen(a: np.ndarray) -> np.ndarray:
    """``a`` as a read-only array (a copy unless it is already a read-only array)."""
    if isinstance(a, np.ndarray) and not a.flags.writeable:
        return a
    a = np.array(a, copy=True)
    a.flags.writeable = False
    return a


def _first_bad(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argwhere(mask)[0])


def check_data(X, y, task_type: str, where: str) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` validated: X float64 (n, n_inputs), y labels (n,) or float64 targets
    (n,) / (n, n_outputs); read-only copies. ``where`` prefixes every error message."""
    X = np.asarray(X)
    if X.dtype == object or not (np.issubdtype(X.dtype, np.number) or X.dtype == bool):
        raise ValueError(f"{where}: X must hold numbers, got dtype {X.dtype}")
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(
            f"{where}: X has shape {X.shape}; expected (n_samples, n_features), both >= 1"
        )
    X = X.astype(np.float64)
    if not np.isfinite(X).all():
        row, col = _first_bad(~np.isfinite(X))
        raise ValueError(f"{where}: X has NaN or inf at row {row}, column {col}")
    y = np.asarray(y)
    if y.ndim == 0 or len(y) != len(X):
        raise ValueError(
            f"{where}: y has shape {y.shape}; X has {len(X)} rows, one label or target per row"
        )
    if task_type == "classification":
        if y.ndim != 1:
            raise ValueError(
                f"{where}: classification labels have shape {y.shape}; expected ({len(X)},)"
            )
        if y.dtype == object:  # e.g. text labels from pandas: None / NaN mark a missing one
            missing = [v is None or (isinstance(v, float) and not np.isfinite(v)) for v in y]
            if any(missing):
                raise ValueError(f"{where}: y has a missing label at row {missing.index(True)}")
            y = y.astype(str)
        elif y.dtype.kind == "f" and not np.isfinite(y).all():
            raise ValueError(f"{where}: y has NaN or inf at row {_first_bad(~np.isfinite(y))[0]}")
        if len(np.unique(y)) < 2:
            raise ValueError(
                f"{where}: classification needs at least 2 classes, got {len(np.unique(y))}"
            )
    else:
        if y.dtype == object or not (np.issubdtype(y.dtype, np.number) or y.dtype == bool):
            raise ValueError(f"{where}: regression targets must be numbers, got dtype {y.dtype}")
        if y.ndim not in (1, 2) or (y.ndim == 2 and y.shape[1] == 0):
            raise ValueError(
                f"{where}: regression targets have shape {y.shape}; expected ({len(X)},) or ({len(X)}, n_outputs)"
            )
        y = y.astype(np.float64)
        if not np.isfinite(y).all():
            raise ValueError(f"{where}: y has NaN or inf at row {_first_bad(~np.isfinite(y))[0]}")
    return frozen(X), frozen(y)


def check_fractions(val_fraction, test_fraction, where: str) -> tuple[float, float]:
    for field, v in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if (
            isinstance(v, bool)
            or not isinstance(v, (int, float, np.integer, np.floating))
            or not 0 <= v < 1
        ):
            raise ValueError(f"{where}.{field}: must be a number in [0, 1), got {v!r}")
    if val_fraction + test_fraction >= 1:
        raise ValueError(
            f"{where}: val_fraction + test_fraction must be < 1 (something must be left to train on), "
            f"got {val_fraction} + {test_fraction}"
        )
    return float(val_fraction), float(test_fraction)


def _counts(n: int, val_fraction: float, test_fraction: float) -> tuple[int, int]:
    """(n_val, n_test) of n rows: rounded shares, at least one row for a split whose fraction
    is > 0, and at least one row left to train on (taken back from the larger split)."""
    n_val = max(1, int(np.floor(n * val_fraction + 0.5))) if val_fraction > 0 else 0
    n_test = max(1, int(np.floor(n * test_fraction + 0.5))) if test_fraction > 0 else 0
    while n - n_val - n_test < 1:
        if n_test >= n_val:
            n_test -= 1
        else:
            n_val -= 1
    return n_val, n_test


def min_rows(val_fraction: float, test_fraction: float) -> int:
    """The fewest rows (of each class, for classification) a split needs: one per split."""
    return 1 + (val_fraction > 0) + (test_fraction > 0)


def split_rows(
    y: np.ndarray,
    task_type: str,
    val_fraction: float,
    test_fraction: float,
    *,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row indices (train, val, test), each sorted. Classification is stratified: each class
    is split on its own with the counts of :func:`_counts`, so the split sizes depend only
    on the labels and every class with at least :func:`min_rows` rows is in every non-empty
    split; only the choice of rows comes from ``rng``."""
    if task_type == "classification":
        groups = [np.flatnonzero(y == c) for c in np.unique(y)]
    else:
        groups = [np.arange(len(y))]
    parts: tuple[list, list, list] = ([], [], [])
    for rows in groups:
        n_val, n_test = _counts(len(rows), val_fraction, test_fraction)
        rows = rng.permutation(rows)
        parts[2].append(rows[:n_test])
        parts[1].append(rows[n_test : n_test + n_val])
        parts[0].append(rows[n_test + n_val :])
    return tuple(np.sort(np.concatenate(p)).astype(np.intp) for p in parts)


def standardize(train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    """Every array scaled column-wise with ``train``'s mean and std; a (near-)constant column
    is only centred (its std counts as 1), so it never produces NaN."""
    mean = train.mean(axis=0)
    std = train.std(axis=0)
    std = np.where(std > 1e-12 * np.maximum(1.0, np.abs(mean)), std, 1.0)
    return [(a - mean) / std for a in (train, *others)]


def digest(*parts) -> str:
    """A sha256 hex digest of JSON-able values and numpy arrays (dtype, shape and bytes)."""
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, np.ndarray):
            a = np.ascontiguousarray(part)
            h.update(json.dumps(["array", a.dtype.str, list(a.shape)]).encode())
            h.update(a.tobytes())
        elif isinstance(part, bytes):
            h.update(b"bytes%d:" % len(part))
            h.update(part)
        else:
            h.update(json.dumps(part, sort_keys=True, separators=(",", ":")).encode())
        h.update(b"\x00")
    return h.hexdigest()


def check_enough_rows(
    name: str, y: np.ndarray, task_type: str, val_fraction: float, test_fraction: float
) -> None:
    """Every class (classification) or the data (regression) must have a row for each split."""
    need = min_rows(val_fraction, test_fraction)
    used = [s for s, f in (("train", 1), ("val", val_fraction), ("test", test_fraction)) if f > 0]
    splits = used[0] if len(used) == 1 else f"{', '.join(used[:-1])} and {used[-1]}"
    if task_type == "classification":
        classes, counts = np.unique(y, return_counts=True)
        if counts.min() < need:
            c = classes[np.argmin(counts)]
            raise ValueError(
                f"{name}: class {np.asarray(c).item()!r} has {counts.min()} row(s); every class "
                f"needs at least {need} (one each for {splits})"
            )
    elif len(y) < need:
        raise ValueError(
            f"{name}: {len(y)} row(s); the data need at least {need} (one each for {splits})"
        )
