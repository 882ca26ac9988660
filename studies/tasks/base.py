"""A Task: a named dataset with its splits, loss, headline metric, target, default network
and default budget; and :class:`Splits`, the rows one run trains, validates and tests on.

A Task holds no random state: :meth:`Task.splits` draws from the rng the runner passes
(derived from the study seed, the task key and the repetition), and only that draw differs
between repetitions. Built-in data are generated from fixed seeds derived from the task's
parameters, so the data themselves never depend on the run.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from networks import Graph
from optimizers import TASK_TYPES, Architecture, Budget, SupervisedProblem

from ._data import (
    check_data,
    check_enough_rows,
    check_fractions,
    digest,
    frozen,
    split_rows,
    standardize,
)
from ._fields import SPLITS, NamedParams, check_fields, check_name

__all__ = ["Task", "Splits", "DATA_VERSION", "SPLITS", "check_name"]

DATA_VERSION = 1  # bump when a built-in dataset or the way splits are made changes


@dataclass(frozen=True)
class Splits:
    """The rows of one run: X_*: (n_*, n_inputs) float64, standardised with the train
    split's mean and std; y_*: labels (n_*,) or regression targets (n_*,) / (n_*, n_outputs).
    Read-only arrays; a split a task does not have is empty (0 rows)."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


@lru_cache(maxsize=64)
def _load(
    loader: Callable, items: tuple, task_type: str, name: str
) -> tuple[np.ndarray, np.ndarray]:
    """A loader's dataset, validated and read-only, once per process and parameters."""
    data = loader(**dict(items))
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise ValueError(f"{name}: the loader must return a pair (X, y), got {type(data).__name__}")
    return check_data(*data, task_type, name)


@dataclass(frozen=True, kw_only=True, eq=False)
class Task(NamedParams):
    """A named dataset with everything a run needs to use it; see the module docstring.

    Make one with :func:`get_task` (a registered name and parameters) or
    :meth:`Task.from_arrays` (a script's own data). Fields:

    - ``task_type``: "classification" | "regression"; ``loss``: "cross_entropy" | "mse"
      (default: cross_entropy for classification, mse for regression);
    - ``target``: the value of the headline metric (``metric``: accuracy or mse) on
      ``target_split`` that counts as solved (None: no target, never solved);
    - ``network``, ``budget``: the defaults for a run that names neither;
    - ``all_rows``: every split is all rows (tiny boolean tasks); otherwise rows are split
      ``1 - val_fraction - test_fraction`` / ``val_fraction`` / ``test_fraction``;
    - ``standardize``: inputs scaled with the train split's mean and std;
      ``scale_targets``: regression targets too (the mse is then in units of the train
      targets' variance);
    - ``fingerprint``: a sha256 hex digest of what defines the data.
    """

    name: str
    param_items: tuple[tuple[str, Any], ...] = ()
    task_type: str
    loss: str | None = None
    target: float | None = None
    target_split: str = "test"
    network: Architecture = field(default_factory=Architecture)
    budget: Budget = field(default_factory=lambda: Budget(evaluations=10_000))
    all_rows: bool = False
    standardize: bool = True
    scale_targets: bool = False
    val_fraction: float = 0.2
    test_fraction: float = 0.2
    doc: str = ""
    fingerprint: str
    loader: Callable | None = field(default=None, repr=False)
    arrays: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        for k, v in check_fields(self).items():  # validated and normalised
            object.__setattr__(self, k, v)

    @property
    def metric(self) -> str:
        return "accuracy" if self.task_type == "classification" else "mse"

    @property
    def metric_maximize(self) -> bool:
        return self.task_type == "classification"

    def to_dict(self) -> dict:
        """What the task is, as plain JSON-ready data (for a results store's provenance)."""
        return {
            "name": self.name, "params": self.params, "key": self.key,
            "fingerprint": self.fingerprint, "task_type": self.task_type, "loss": self.loss,
            "metric": self.metric, "metric_maximize": self.metric_maximize,
            "target": self.target, "target_split": self.target_split,
            "network": self.network.to_dict(), "budget": self.budget.limits(),
            "all_rows": self.all_rows, "standardize": self.standardize,
            "scale_targets": self.scale_targets, "val_fraction": self.val_fraction,
            "test_fraction": self.test_fraction, "doc": self.doc,
        }  # fmt: skip

    def _identity(self) -> tuple:
        return (
            self.key, self.fingerprint, self.task_type, self.loss, self.target,
            self.target_split, self.network, self.budget, self.all_rows, self.standardize,
            self.scale_targets, self.val_fraction, self.test_fraction,
        )  # fmt: skip

    def __eq__(self, other) -> bool:
        return isinstance(other, Task) and self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash((self.key, self.fingerprint))

    def __repr__(self) -> str:
        return f"Task({self.key!r}, {self.task_type}, fingerprint={self.fingerprint[:12]})"

    # -- data -------------------------------------------------------------------------
    def data(self) -> tuple[np.ndarray, np.ndarray]:
        """The whole dataset (X (n, n_inputs), y), read-only, unscaled; loaded once per process."""
        if self.arrays is not None:
            return self.arrays
        try:
            hash(self.param_items)
        except TypeError:  # a user's parameter value that cannot key the cache
            return _load.__wrapped__(self.loader, self.param_items, self.task_type, self.name)
        return _load(self.loader, self.param_items, self.task_type, self.name)

    def splits(self, rng: np.random.Generator) -> Splits:
        """The train / val / test rows of one run, chosen by ``rng`` (the only thing drawn
        from it), stratified for classification; inputs (and scaled targets) standardised
        with the train split's statistics. With ``all_rows`` every split is all rows."""
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        X, y = self.data()
        if self.all_rows:
            parts = [(X, y)] * 3
        else:
            rows = split_rows(y, self.task_type, self.val_fraction, self.test_fraction, rng=rng)
            parts = [(X[r], y[r]) for r in rows]
        Xs = [p[0] for p in parts]
        ys = [p[1] for p in parts]
        if self.standardize:
            Xs = standardize(*Xs)
        if self.scale_targets:
            ys = standardize(*ys)
        out = [frozen(a) for pair in zip(Xs, ys) for a in pair]
        if self.all_rows:  # one array per role, shared by the three splits
            out = out[:2] * 3
        return Splits(*out)

    def problem(self, splits: Splits, *, dtype=np.float64) -> SupervisedProblem:
        """The run's problem: the train split, with the val split as its validation rows."""
        has_val = len(splits.X_val) > 0
        return SupervisedProblem(
            splits.X_train,
            splits.y_train,
            task_type=self.task_type,
            loss=self.loss,
            X_val=splits.X_val if has_val else None,
            y_val=splits.y_val if has_val else None,
            dtype=dtype,
            name=self.key,
        )

    def test_scores(self, problem: SupervisedProblem, graph: Graph, splits: Splits) -> dict:
        """``{"test_loss", "test_<metric>"}`` of ``graph`` on the test split ({} if it is empty)."""
        return self.test_scorer(problem, splits)(graph)

    def test_scorer(self, problem: SupervisedProblem, splits: Splits) -> Callable[[Graph], dict]:
        """:meth:`test_scores` as a function of a Graph, the test rows converted once (the
        loop measures each curve point's ``best()`` on the test split with it)."""
        if len(splits.X_test) == 0:
            return lambda graph: {}
        return problem.scorer(splits.X_test, splits.y_test, "test")

    def solved(self, metrics: dict) -> bool:
        """Whether ``metrics[f"{target_split}_{metric}"]`` reaches ``target`` (>= for
        accuracy, <= for mse); never with no target or a NaN value."""
        if self.target is None:
            return False
        name = f"{self.target_split}_{self.metric}"
        if name not in metrics:
            raise KeyError(
                f"{self.key}: solved() needs {name!r}; metrics have {', '.join(metrics) or 'nothing'}"
            )
        value = float(metrics[name])
        if math.isnan(value):
            return False
        return value >= self.target if self.metric_maximize else value <= self.target

    # -- a script's own data ------------------------------------------------------------
    @classmethod
    def from_arrays(
        cls,
        name: str,
        X,
        y,
        *,
        task_type: str,
        loss: str | None = None,
        target: float | None = None,
        target_split: str = "test",
        network: Architecture | None = None,
        budget: Budget | None = None,
        val_fraction: float = 0.2,
        test_fraction: float = 0.2,
        standardize: bool = True,
        scale_targets: bool = False,
        doc: str = "",
    ) -> Task:
        """A task over a script's own arrays (carried by the Task, so it pickles with them):
        ``X: (n, n_inputs)`` finite numbers; ``y``: labels (n,) or regression targets (n,) /
        (n, n_outputs). Its key is ``name`` (which must not be a registered task's); its
        fingerprint covers the arrays and how they are split and scored. Defaults: network
        ``Architecture()``, budget ``Budget(evaluations=10_000)``, no target."""
        from .registry import available_tasks

        check_name(name)
        if name in available_tasks():
            raise ValueError(f"{name!r} is a registered task's name; give your data another name")
        if task_type not in TASK_TYPES:
            raise ValueError(
                f"{name}.task_type: must be one of {', '.join(TASK_TYPES)}, got {task_type!r}"
            )
        val_fraction, test_fraction = check_fractions(val_fraction, test_fraction, name)
        X, y = check_data(X, y, task_type, name)
        check_enough_rows(name, y, task_type, val_fraction, test_fraction)
        resolved_loss = loss or ("cross_entropy" if task_type == "classification" else "mse")
        fingerprint = digest(
            DATA_VERSION, "arrays", task_type, resolved_loss, val_fraction, test_fraction,
            bool(standardize), bool(scale_targets), X, y,
        )  # fmt: skip
        return cls(
            name=name,
            task_type=task_type,
            loss=loss,
            target=target,
            target_split=target_split,
            network=Architecture() if network is None else network,
            budget=Budget(evaluations=10_000) if budget is None else budget,
            val_fraction=val_fraction,
            test_fraction=test_fraction,
            standardize=bool(standardize),
            scale_targets=bool(scale_targets),
            doc=doc or f"{name}: user data, {len(X)} rows x {X.shape[1]} inputs ({task_type})",
            fingerprint=fingerprint,
            arrays=(X, y),
        )
