"""Checks and canonical text for a Task's fields (what __post_init__ validates)."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from optimizers import TASK_TYPES, Architecture, Budget

from ._data import check_fractions

__all__ = ["SPLITS", "LOSSES", "format_value", "check_name", "check_fields"]

SPLITS = ("train", "val", "test")
LOSSES = {"classification": ("cross_entropy", "mse"), "regression": ("mse",)}
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]*")
_PLAIN = re.compile(r"[A-Za-z0-9_./+-]+")


def format_value(v: Any) -> str:
    """A parameter value as it appears in a task key: ints and floats as Python writes
    them, simple strings bare, other strings JSON-quoted."""
    if isinstance(v, str):
        return v if _PLAIN.fullmatch(v) else '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(v)


def check_name(name: Any, what: str = "task name") -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(
            f"{what} must be a non-empty string of letters, digits and _.+- "
            f"(starting with a letter or digit), got {name!r}"
        )
    return name


def _number(v) -> bool:
    ok = not isinstance(v, bool) and isinstance(v, (int, float, np.integer, np.floating))
    return ok and math.isfinite(v)


def check_fields(task) -> dict:
    """The Task's fields validated (a one-line ValueError "<name>.<field>: ..." otherwise);
    returns the normalised values to set: loss filled in, target a float, network and budget
    made from dicts, fractions (0 for an all-rows task), parameters sorted."""
    n = check_name(task.name)
    kind = task.task_type
    if kind not in TASK_TYPES:
        raise ValueError(f"{n}.task_type: must be one of {', '.join(TASK_TYPES)}, got {kind!r}")
    loss = task.loss or ("cross_entropy" if kind == "classification" else "mse")
    if loss not in LOSSES[kind]:
        allowed = ", ".join(LOSSES[kind])
        raise ValueError(f"{n}.loss: must be one of {allowed} for {kind}, got {loss!r}")
    if task.target is not None and not _number(task.target):
        raise ValueError(f"{n}.target: must be a finite number or None, got {task.target!r}")
    split = task.target_split
    if split not in SPLITS:
        raise ValueError(f"{n}.target_split: must be one of {', '.join(SPLITS)}, got {split!r}")
    network = task.network
    if isinstance(network, dict):
        network = Architecture(**network)
    if not isinstance(network, Architecture):
        raise ValueError(f"{n}.network: must be an optimizers.Architecture, got {network!r}")
    budget = task.budget
    if isinstance(budget, dict):
        budget = Budget(**budget)
    if not isinstance(budget, Budget):
        raise ValueError(f"{n}.budget: must be an optimizers.Budget, got {budget!r}")
    if task.scale_targets and kind != "regression":
        raise ValueError(f"{n}.scale_targets: only regression targets can be scaled")
    val, test = 0.0, 0.0  # an all-rows task does not split
    if not task.all_rows:
        val, test = check_fractions(task.val_fraction, task.test_fraction, n)
        if {"train": 1, "val": val, "test": test}[split] == 0:
            raise ValueError(f"{n}.target_split: {split!r} needs {split}_fraction > 0")
    if (task.loader is None) == (task.arrays is None):
        raise ValueError(f"{n}: a task needs a loader or arrays (one of them)")
    return {
        "loss": loss,
        "target": None if task.target is None else float(task.target),
        "network": network,
        "budget": budget,
        "val_fraction": val,
        "test_fraction": test,
        "param_items": tuple(sorted(dict(task.param_items).items())),
    }


class NamedParams:
    """What every task kind derives from its ``name`` and ``param_items``: ``params``,
    ``key`` and ``spec`` (a mixin of the task dataclasses)."""

    name: str
    param_items: tuple

    @property
    def params(self) -> dict:
        """The task's parameters, validated, defaults filled (a fresh dict)."""
        return dict(self.param_items)

    @property
    def key(self) -> str:
        """``name`` or ``name(p1=v1,p2=v2)``, parameters sorted, defaults included."""
        if not self.param_items:
            return self.name
        return f"{self.name}({','.join(f'{k}={format_value(v)}' for k, v in self.param_items)})"

    @property
    def spec(self) -> dict:
        """``{"name": ..., **params}``: what :func:`get_task` takes to make this task again
        (for a registered task; a from_arrays task cannot be made from it)."""
        return {"name": self.name, **self.params}
