"""The ``csv`` task: a user's CSV file (read with pandas), one column the target and every
other column a numeric feature.

Parameters: ``path`` (required; relative paths are relative to the working directory),
``target`` (required: the target column's name) and ``task_type`` ("auto" by default:
classification when the target column holds text or booleans, or integers with at most
``MAX_AUTO_CLASSES`` distinct values; regression when it holds floats; anything else must
say which). The task's ``params`` hold the resolved task_type, so "auto" and the explicit
type give the same key. The file is read once, when the task is made: bad input fails
there with one line naming the column and data row (counted from 1 after the header), and
the Task carries the data, so workers need no access to the file. The fingerprint covers
the file's bytes, the target column and the task type. Defaults: split 60/20/20 (stratified
for classification), inputs standardised with the train split's statistics, regression
targets as they are; network ``Architecture(hidden=(16,))``; budget 20,000 evaluations;
no target (a CSV has no agreed "solved").
"""

from __future__ import annotations

import io
import os

import numpy as np

from optimizers import Architecture, Budget

from ._data import check_data, check_enough_rows, digest
from .base import DATA_VERSION, Task
from .registry import REQUIRED, Param, TaskSpec, add_spec, choice, string

__all__ = ["MAX_AUTO_CLASSES"]

MAX_AUTO_CLASSES = 20  # task_type="auto": an integer target with more values is ambiguous


def _read(path: str) -> tuple[bytes, object]:
    import pandas as pd

    full = os.path.expanduser(path)
    if not os.path.exists(full):
        raise ValueError(f"csv.path: no such file {path!r}")
    if os.path.isdir(full):
        raise ValueError(f"csv.path: {path!r} is a directory, not a CSV file")
    try:
        with open(full, "rb") as f:
            raw = f.read()
    except OSError as exc:
        raise ValueError(f"csv.path: cannot read {path!r}: {exc.strerror}") from None
    try:
        df = pd.read_csv(io.BytesIO(raw))
    except pd.errors.EmptyDataError:
        raise ValueError(f"csv.path: {path!r} is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(f"csv.path: cannot parse {path!r} as CSV: {first}") from None
    if len(df) == 0:
        raise ValueError(f"csv.path: {path!r} has a header but no data rows")
    return raw, df


def _numeric(col, what: str, path: str) -> np.ndarray:
    """A column as float64; a non-numeric or missing value raises naming its data row."""
    import pandas as pd

    missing = col.isna().to_numpy()
    if pd.api.types.is_bool_dtype(col):
        values = col.astype(np.float64)
    elif pd.api.types.is_numeric_dtype(col):
        values = col
    else:  # text: every value must parse as a number
        values = pd.to_numeric(col, errors="coerce")
    values = values.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.isnan(values) & ~missing
    if bad.any():
        row = int(np.argmax(bad))
        raise ValueError(
            f"csv: {what} must be numeric, got {col.iloc[row]!r} in data row {row + 1} of {path!r}"
        )
    if missing.any():
        row = int(np.argmax(missing))
        raise ValueError(f"csv: {what} has a missing value in data row {row + 1} of {path!r}")
    if not np.isfinite(values).all():
        row = int(np.argmax(~np.isfinite(values)))
        raise ValueError(f"csv: {what} has an infinite value in data row {row + 1} of {path!r}")
    return values


def _task_type(col, target: str, given: str) -> str:
    import pandas as pd

    if given != "auto":
        return given
    if pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col):
        return "classification"
    if pd.api.types.is_float_dtype(col):
        return "regression"
    n = col.nunique()
    if n <= MAX_AUTO_CLASSES:
        return "classification"
    raise ValueError(
        f"csv.task_type: cannot tell from the target column {target!r} (integers, {n} distinct "
        f"values): set task_type to classification or regression"
    )


def load_csv(
    path: str, target: str, task_type: str = "auto"
) -> tuple[np.ndarray, np.ndarray, str, bytes]:
    """``(X, y, task_type, file bytes)`` of a CSV file; see the module docstring."""
    import pandas as pd

    raw, df = _read(path)
    if target not in df.columns:
        cols = ", ".join(map(str, df.columns))
        raise ValueError(f"csv.target: no column {target!r} in {path!r}; its columns: {cols}")
    features = [c for c in df.columns if c != target]
    if not features:
        raise ValueError(f"csv: {path!r} has no feature columns besides the target {target!r}")
    X = np.column_stack([_numeric(df[c], f"column {c!r}", path) for c in features])
    col = df[target]
    if col.isna().any():
        row = int(np.argmax(col.isna().to_numpy()))
        raise ValueError(
            f"csv: the target column {target!r} has a missing value in data row {row + 1} of {path!r}"
        )
    task_type = _task_type(col, target, task_type)
    if task_type == "regression":
        y = _numeric(col, f"the target column {target!r} (regression)", path)
    else:
        y = col.to_numpy()
        if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
            y = y.astype(str)
    return X, y, task_type, raw


def _build(values: dict) -> Task:
    X, y, task_type, raw = load_csv(values["path"], values["target"], values["task_type"])
    X, y = check_data(X, y, task_type, "csv")
    check_enough_rows("csv", y, task_type, 0.2, 0.2)
    # the key names the file, not where it lies (its bytes are the fingerprint), so a study
    # resumed from another directory, or a moved project, keeps its runs and splits
    params = {**values, "path": os.path.basename(values["path"]), "task_type": task_type}
    return Task(
        name="csv",
        param_items=tuple(params.items()),
        task_type=task_type,
        network=Architecture(hidden=(16,), activation="tanh"),
        budget=Budget(evaluations=20_000),
        doc=f"csv: {values['path']}, {len(X)} rows x {X.shape[1]} inputs, target {values['target']!r} ({task_type})",
        fingerprint=digest(DATA_VERSION, "csv", values["target"], task_type, raw),
        arrays=(X, y),
    )


add_spec(
    TaskSpec(
        name="csv",
        params={
            "path": Param(REQUIRED, string(), "the CSV file's path"),
            "target": Param(REQUIRED, string(), "the target column's name"),
            "task_type": Param(
                "auto",
                choice("auto", "classification", "regression"),
                "auto: from the target column",
            ),
        },
        build=_build,
        task_type=None,
        doc="A user's CSV file: params path and target (the target column); every other column a "
        "numeric feature; split 60/20/20; no target.",
        builtin=True,
    )
)
