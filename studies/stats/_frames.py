"""Checks and small helpers shared by the statistics modules (private).

Every public function validates its frames here, so a wrong column name or an empty frame
fails with one line naming the problem instead of a pandas ``KeyError`` deep inside.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..seeds import seed_sequence

DONE = "done"


def check_frame(frame, name: str, columns) -> None:
    """Raise ``ValueError`` unless ``frame`` is a non-empty DataFrame holding ``columns``."""
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
    if frame.empty:
        raise ValueError(f"{name} is empty: there are no runs to compute statistics over")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{name} has no column {', '.join(map(repr, missing))} "
            f"(its columns: {', '.join(map(str, frame.columns))})"
        )


def check_quantity(frame, name: str, column: str, what: str = "metric") -> None:
    """Raise ``ValueError`` unless ``column`` is a numeric column of ``frame``."""
    if not isinstance(column, str) or column not in frame.columns:
        raise ValueError(f"unknown {what} column {column!r}: {name} has no such column")
    if not pd.api.types.is_numeric_dtype(frame[column]) and not frame[column].isna().all():
        raise ValueError(f"{what} column {column!r} of {name} is not numeric")


def check_alpha(alpha: float, name: str = "alpha") -> float:
    """``alpha`` as a float, or ``ValueError`` unless 0 < alpha < 1."""
    alpha = float(alpha)
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"{name} must be in (0, 1), got {alpha}")
    return alpha


def check_positive_int(value, name: str, minimum: int = 1) -> int:
    """``value`` as an int, or ``ValueError`` unless it is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def done_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs with status ``done``."""
    return runs[runs["status"] == DONE]


def maximize_by_task(runs: pd.DataFrame) -> dict[str, bool]:
    """task -> whether its metric is maximised (``metric_maximize`` of its first run)."""
    if "metric_maximize" not in runs.columns:
        raise ValueError(
            "runs has no column 'metric_maximize' (needed to know which way is better)"
        )
    first = runs.groupby("task", sort=True)["metric_maximize"].first()
    return {str(t): bool(v) for t, v in first.items()}


def finite(values) -> np.ndarray:
    """``values`` as float64 with NaN and infinities removed."""
    a = np.asarray(values, dtype=float)
    return a[np.isfinite(a)]


def rng_for(seed: int, task: str, optimizer: str, quantity: str) -> np.random.Generator:
    """The Generator of one (task, optimizer, quantity) bootstrap: the same whatever else
    the study holds (``studies.seeds.seed_sequence``)."""
    return np.random.default_rng(seed_sequence(int(seed), str(task), str(optimizer), quantity))


def p_text(p: float, name: str = "p") -> str:
    """``"p = 0.0432"`` (3 significant digits), ``"p < 0.001"`` below that, ``"p = n/a"``."""
    if not np.isfinite(p):
        return f"{name} = n/a"
    if p < 0.001:
        return f"{name} < 0.001"
    return f"{name} = {p:.3g}"
