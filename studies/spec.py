"""A study: tasks x optimizers x repetitions under one budget, validated before any run.

One schema, two spellings: a TOML file (see :func:`studies.load_study`) or a Python
:class:`Study`. Everything is checked when the study is built, and every error names its
field path (``optimizers.adam.lr: must be > 0, got -1.0``), so a bad study fails at once,
before a single run has started.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from optimizers import Architecture, Budget, OptimizerSpec
from optimizers import get as get_optimizer

from ._json import canonical
from ._json import plain as _plain
from .runspec import RunSpec
from .spec_fields import (
    StudyError,
    _budget,
    _differentiable,
    _fail,
    _integer,
    _network,
    _overrides,
    _param_error,
    _wrong_kind,
)
from .tasks import Task, get_task

__all__ = ["Study", "StudyError", "OptimizerEntry", "TaskEntry"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
TOP_LEVEL = (
    "name",
    "seed",
    "seeds",
    "tasks",
    "optimizers",
    "budget",
    "network",
    "max_run_seconds",
    "blas_threads",
    "record_every",
)


@dataclass(frozen=True)
class TaskEntry:
    """One task of a study, with the budget its runs get."""

    task: Task
    budget: Budget
    network: Architecture | None = None  # the task entry's own network, if any
    # optimizer label -> parameters that label gets on this task only (NEAT's population
    # of 1,000 on the double pole without velocities)
    optimizers: Mapping[str, dict] = field(default_factory=dict, hash=False)

    @property
    def key(self) -> str:
        return self.task.key


@dataclass(frozen=True)
class OptimizerEntry:
    """One optimizer of a study: its label, what builds it, and its own network (or None)."""

    label: str
    spec: OptimizerSpec
    network: Architecture | None = None

    def to_dict(self) -> dict:
        d = {"optimizer": self.spec.name, "params": _plain(self.spec.params)}
        if self.network is not None:
            d["network"] = self.network.to_dict()
        return d


class Study:
    """A comparison: every task x every optimizer x ``seeds`` repetitions.

    ``tasks``: task names, ``{"name": ..., param: value, "budget": {...}}`` tables, or
    :class:`~studies.tasks.Task` objects (``Task.from_arrays``). ``optimizers``: label ->
    an optimizer name, a ``(name, {params})`` pair, or a table ``{"optimizer": name,
    param: value, ..., "network": {...}}``. ``budget``: one :class:`~optimizers.Budget` (or
    table) for every run, equal compute for every optimizer; a task's own ``budget`` table
    overrides it for that task; with neither, the task's default budget. ``network``: the
    fixed-topology network (overrides each task's default; a task entry's own ``network``
    table overrides it for that task, and an optimizer's own ``network`` overrides all). A
    task entry's ``optimizers`` table gives labels parameters on that task only, e.g.
    ``{"name": "double-pole-nv", "optimizers": {"neat": {"population": 1000}}}``.
    ``seed``: the study seed (an integer >= 0). ``max_run_seconds``: a
    safety limit per run (not a budget). ``blas_threads``: BLAS threads per run (1 keeps
    results identical whatever the worker count). ``record_every``: curve resolution.
    """

    def __init__(
        self,
        *,
        name: str,
        tasks,
        optimizers,
        seeds: int = 5,
        budget=None,
        network=None,
        seed: int = 0,
        max_run_seconds: float | None = None,
        blas_threads: int = 1,
        record_every: int = 1,
    ) -> None:
        if not isinstance(name, str) or not _NAME.match(name):
            _fail(
                "name",
                f"must be 1-100 letters, digits, '.', '_' or '-' (it names the output directory), got {name!r}",
            )
        self._args = {
            "name": name, "tasks": tasks, "optimizers": optimizers, "seeds": seeds,
            "budget": budget, "network": network, "seed": seed,
            "max_run_seconds": max_run_seconds, "blas_threads": blas_threads,
            "record_every": record_every,
        }  # fmt: skip
        self.source: str | None = None  # the study file or catalog name it came from, if any
        self.name = name
        self.seed = _integer("seed", seed, 0)
        self.seeds = _integer("seeds", seeds, 1)
        self.blas_threads = _integer("blas_threads", blas_threads, 1)
        self.record_every = _integer("record_every", record_every, 1)
        if max_run_seconds is not None and (
            isinstance(max_run_seconds, bool)
            or not isinstance(max_run_seconds, (int, float))
            or not math.isfinite(max_run_seconds)
            or max_run_seconds <= 0
        ):
            _fail(
                "max_run_seconds", f"must be a positive number of seconds, got {max_run_seconds!r}"
            )
        self.max_run_seconds = None if max_run_seconds is None else float(max_run_seconds)
        self.budget = None if budget is None else _budget("budget", budget)
        self.network = None if network is None else _network("network", network)
        self.tasks = self._tasks(tasks)
        self.optimizers = self._optimizers(optimizers)
        self._specs = self._task_specs()
        self._check_combinations()

    # -- validation -------------------------------------------------------------------
    def _tasks(self, tasks) -> list[TaskEntry]:
        if isinstance(tasks, (str, Mapping, Task)) or not isinstance(tasks, (list, tuple)):
            tasks = [tasks]
        if not tasks:
            _fail("tasks", 'list at least one task, e.g. tasks = ["xor"]')
        entries: list[TaskEntry] = []
        for i, entry in enumerate(tasks):
            path = f"tasks[{i}]"
            budget = network = None
            overrides: dict = {}
            if isinstance(entry, Task):
                task = entry
            elif isinstance(entry, (str, Mapping)):
                if isinstance(entry, Mapping):
                    entry = dict(entry)
                    if "budget" in entry:
                        budget = _budget(f"{path}.budget", entry.pop("budget"))
                    if "network" in entry:
                        network = _network(f"{path}.network", entry.pop("network"))
                    if "optimizers" in entry:
                        overrides = _overrides(f"{path}.optimizers", entry.pop("optimizers"))
                try:
                    task = get_task(entry)
                except ValueError as exc:
                    message, name = str(exc), entry if isinstance(entry, str) else entry.get("name")
                    if isinstance(name, str) and message.startswith(f"{name}."):
                        field, _, rest = message[len(name) + 1 :].partition(": ")
                        _fail(f"{path}.{field}", rest)  # "parity.bits: ..." -> "tasks[0].bits: ..."
                    _fail(path, message)
            else:
                _fail(path, f"must be a task name, a table with a name, or a Task, got {entry!r}")
            budget = budget or self.budget or task.budget
            entries.append(TaskEntry(task, budget, network, overrides))
        keys = [e.key for e in entries]
        for i, k in enumerate(keys):
            if k in keys[:i]:
                _fail(f"tasks[{i}]", f"task {k!r} is listed twice")
        return entries

    def _optimizers(self, optimizers) -> list[OptimizerEntry]:
        if not isinstance(optimizers, Mapping) or not optimizers:
            _fail(
                "optimizers",
                'must be a table of label = optimizer, e.g. optimizers = {"adam": ("backprop", {"rule": "adam"})}',
            )
        entries = []
        for label, value in optimizers.items():
            path = f"optimizers.{label}"
            if not isinstance(label, str) or not _NAME.match(label):
                _fail(path, "a label must be 1-100 letters, digits, '.', '_' or '-'")
            entries.append(self._optimizer(path, label, value))
        return entries

    def _optimizer(self, path: str, label: str, value) -> OptimizerEntry:
        network = None
        if isinstance(value, OptimizerSpec):
            name, params = value.name, dict(value.params)
        elif isinstance(value, str):
            name, params = value, {}
        elif isinstance(value, (tuple, list)) and len(value) == 2 and isinstance(value[1], Mapping):
            name, params = value[0], dict(value[1])
        elif isinstance(value, Mapping):
            params = dict(value)
            if "optimizer" not in params:
                _fail(
                    path, 'name the optimizer: optimizer = "backprop" (or another registered name)'
                )
            name = params.pop("optimizer")
        else:
            _fail(
                path, f"must be an optimizer name, a (name, params) pair or a table, got {value!r}"
            )
        if "budget" in params:
            _fail(
                f"{path}.budget",
                "an optimizer cannot change the budget (every optimizer gets the same compute); set it at the top or per task",
            )
        if "network" in params:
            network = _network(f"{path}.network", params.pop("network"))
        if not isinstance(name, str):
            _fail(f"{path}.optimizer", f"must be an optimizer name, got {name!r}")
        try:
            get_optimizer(name)
        except ValueError as exc:
            _fail(f"{path}.optimizer", str(exc))
        try:
            params = _plain(params)  # numpy scalars to numbers: the store writes JSON
        except TypeError as exc:
            _fail(path, f"parameters must be plain data (numbers, strings, lists): {exc}")
        try:
            spec = OptimizerSpec(name, params)
        except (ValueError, TypeError) as exc:
            _fail(*_param_error(path, str(exc), params))
        return OptimizerEntry(label, spec, network)

    def _task_specs(self) -> dict[tuple[int, str], OptimizerSpec]:
        """Each optimizer's spec on each task: its entry's parameters, with what the task
        entry sets for its label on top (each checked like the entry itself)."""
        labels = {o.label: o for o in self.optimizers}
        specs = {}
        for i, t in enumerate(self.tasks):
            for label in t.optimizers:
                if label not in labels:
                    _fail(
                        f"tasks[{i}].optimizers.{label}",
                        f"no optimizer labelled {label!r} in this study; labels: {', '.join(labels)}",
                    )
            for o in self.optimizers:
                spec = o.spec
                if o.label in t.optimizers:
                    params = {**o.spec.params, **t.optimizers[o.label]}
                    try:
                        spec = OptimizerSpec(o.spec.name, params)
                    except (ValueError, TypeError) as exc:
                        _fail(*_param_error(f"tasks[{i}].optimizers.{o.label}", str(exc), params))
                specs[i, o.label] = spec
        return specs

    def spec_for(self, task: TaskEntry, optimizer: OptimizerEntry) -> OptimizerSpec:
        """The optimizer as it runs on ``task`` (its parameters, the task entry's on top)."""
        return self._specs[self.tasks.index(task), optimizer.label]

    def _check_combinations(self) -> None:
        for entry in self.optimizers:
            cls = get_optimizer(entry.spec.name)
            for i, t in enumerate(self.tasks):
                config = self._specs[i, entry.label].build().config
                kind = "control" if t.task.task_type == "control" else "dataset"
                if kind not in getattr(cls, "problem_kinds", ("dataset", "control")):
                    _fail(f"optimizers.{entry.label}", _wrong_kind(entry.spec.name, i, t.key, kind))
                why = cls.refuses(config, kind) if hasattr(cls, "refuses") else None
                if why is not None:
                    where = (
                        f"tasks[{i}].optimizers" if entry.label in t.optimizers else "optimizers"
                    )
                    _fail(f"{where}.{entry.label}", f"{why}: tasks[{i}] ({t.key})")
                arch = self.network_for(t, entry)
                where = f"optimizers.{entry.label}.network" if entry.network else "network"
                if arch.recurrent and kind == "dataset":
                    _fail(
                        where,
                        f"recurrent networks need a control task; tasks[{i}] ({t.key}) is a dataset",
                    )
                if arch.recurrent and not getattr(cls, "trains_recurrent", True):
                    _fail(
                        where,
                        f"{entry.spec.name} trains feed-forward networks only (task {t.key}); "
                        "give it its own network without recurrent = true",
                    )
                if not cls.needs_gradient:
                    continue
                bad = _differentiable(self.network_for(t, entry))
                if bad:
                    where = f"optimizers.{entry.label}.network" if entry.network else "network"
                    _fail(
                        where,
                        f"{entry.spec.name} needs gradients but activation(s) {', '.join(bad)} have none "
                        f"(task {t.key}); choose e.g. tanh, sigmoid or relu",
                    )

    @property
    def arguments(self) -> dict:
        """The arguments this study was made from (what :meth:`replace` changes)."""
        return dict(self._args)

    def replace(self, **changes) -> Study:
        """This study with some of its arguments changed (e.g. ``seeds=10``), validated again."""
        for k in changes:
            if k not in TOP_LEVEL:
                _fail(k, f"unknown study key; known: {', '.join(TOP_LEVEL)}")
        study = type(self)(**{**self._args, **changes})
        study.source = self.source
        return study

    # -- the plan ---------------------------------------------------------------------
    def network_for(self, task: TaskEntry, optimizer: OptimizerEntry) -> Architecture:
        """An optimizer's own network, else the task entry's, else the study's, else the
        task's default."""
        return optimizer.network or task.network or self.network or task.task.network

    def runs(self) -> list[RunSpec]:
        """Every run of the study, repetition by repetition (so early results cover every
        task and optimizer)."""
        out = []
        for rep in range(self.seeds):
            for t in self.tasks:
                for o in self.optimizers:
                    out.append(
                        RunSpec(
                            task=t.task,
                            label=o.label,
                            optimizer=self.spec_for(t, o),
                            network=self.network_for(t, o),
                            budget=t.budget,
                            repetition=rep,
                            study_seed=self.seed,
                            max_run_seconds=self.max_run_seconds,
                            blas_threads=self.blas_threads,
                            record_every=self.record_every,
                        )
                    )
        return out

    def to_dict(self) -> dict:
        """The study as canonical plain data (stored with its results)."""
        return {
            "name": self.name,
            "seed": self.seed,
            "seeds": self.seeds,
            "tasks": [
                {
                    "key": t.key,
                    "name": t.task.name,
                    "params": _plain(t.task.params),
                    "fingerprint": t.task.fingerprint,
                    "budget": t.budget.limits(),
                    "network": None if t.network is None else t.network.to_dict(),
                    **({"optimizers": _plain(dict(t.optimizers))} if t.optimizers else {}),
                }
                for t in self.tasks
            ],
            "optimizers": {o.label: o.to_dict() for o in self.optimizers},
            "budget": None if self.budget is None else self.budget.limits(),
            "network": None if self.network is None else self.network.to_dict(),
            "max_run_seconds": self.max_run_seconds,
            "blas_threads": self.blas_threads,
            "record_every": self.record_every,
        }

    def to_json(self) -> str:
        return canonical(self.to_dict())

    @classmethod
    def from_dict(cls, data: Mapping) -> Study:
        """A study from a TOML-shaped table; unknown top-level keys are refused."""
        if not isinstance(data, Mapping):
            _fail("", f"a study must be a table, got {type(data).__name__}")
        for k in data:
            if k not in TOP_LEVEL:
                _fail(k, f"unknown study key; known: {', '.join(TOP_LEVEL)}")
        for k in ("name", "tasks", "optimizers"):
            if k not in data:
                _fail(k, "missing: every study needs name, tasks and optimizers")
        return cls(**dict(data))

    def __repr__(self) -> str:
        return (
            f"Study({self.name!r}: {len(self.tasks)} task(s) x {len(self.optimizers)} optimizer(s)"
            f" x {self.seeds} seed(s))"
        )
