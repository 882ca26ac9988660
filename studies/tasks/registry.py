"""The task registry: names -> how to make the Task, with each parameter's default and check.

``get_task("xor")`` or ``get_task({"name": "parity", "bits": 4})`` (a TOML inline table);
:func:`register_task` adds a user's own named task (a loader returning ``(X, y)``). Bad
input raises a one-line ValueError that names the task and parameter: an unknown name lists
the known ones, an unknown parameter lists the task's, a bad value says what it must be
(``"parity.bits: must be an integer >= 2, got 1"``).
"""

from __future__ import annotations

import dataclasses
import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from optimizers import Architecture, Budget

from ._data import check_enough_rows, digest
from .base import DATA_VERSION, Task, check_name

__all__ = [
    "Param",
    "REQUIRED",
    "integer",
    "number",
    "string",
    "choice",
    "boolean",
    "TaskSpec",
    "register_task",
    "unregister_task",
    "get_task",
    "available_tasks",
    "task_catalog",
]


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"

    def __reduce__(self):
        return "REQUIRED"


REQUIRED = _Required()  # the default of a parameter that must be given


# -- parameter checks: each returns the normalised value or raises "must be ..., got ..." --
def integer(low: int | None = None, high: int | None = None) -> Callable[[Any], int]:
    def check(v):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise ValueError(f"must be an integer, got {v!r}")
        if low is not None and v < low:
            raise ValueError(f"must be an integer >= {low}, got {v!r}")
        if high is not None and v > high:
            raise ValueError(f"must be an integer <= {high}, got {v!r}")
        return int(v)

    return check


def number(
    low: float | None = None, high: float | None = None, *, low_open: bool = False
) -> Callable[[Any], float]:
    lo = "" if low is None else (f" > {low}" if low_open else f" >= {low}")

    def check(v):
        ok = not isinstance(v, bool) and isinstance(v, (int, float, np.integer, np.floating))
        if not ok or not math.isfinite(v):
            raise ValueError(f"must be a finite number, got {v!r}")
        if low is not None and (v <= low if low_open else v < low):
            raise ValueError(f"must be a number{lo}, got {v!r}")
        if high is not None and v > high:
            raise ValueError(f"must be a number <= {high}, got {v!r}")
        return float(v)

    return check


def string() -> Callable[[Any], str]:
    def check(v):
        if not isinstance(v, str) or not v:
            raise ValueError(f"must be a non-empty string, got {v!r}")
        return v

    return check


def choice(*options: str) -> Callable[[Any], str]:
    def check(v):
        if not isinstance(v, str) or v not in options:
            raise ValueError(f"must be one of {', '.join(options)}, got {v!r}")
        return v

    return check


def boolean() -> Callable[[Any], bool]:
    def check(v):
        if not isinstance(v, (bool, np.bool_)):
            raise ValueError(f"must be true or false, got {v!r}")
        return bool(v)

    return check


def _by_default(default: Any) -> Callable[[Any], Any]:
    """The check implied by a plain default value: the same kind of value."""
    if isinstance(default, bool):
        return boolean()
    if isinstance(default, (int, np.integer)):
        return integer()
    if isinstance(default, (float, np.floating)):
        return number()
    if isinstance(default, str):
        return string()
    raise ValueError(
        f"a parameter default must be a bool, int, float, str or a Param, got {default!r}"
    )


@dataclass(frozen=True)
class Param:
    """A task parameter: its ``default`` (``REQUIRED``: must be given), a ``check`` that
    returns the normalised value or raises ValueError("must be ..., got ..."), and a ``doc``."""

    default: Any
    check: Callable[[Any], Any]
    doc: str = ""


@dataclass(frozen=True)
class TaskSpec:
    """A registry entry: ``build(params)`` makes the Task from validated parameters."""

    name: str
    params: dict[str, Param]
    build: Callable[[dict], Task]
    task_type: str | None  # None: set by a parameter
    doc: str
    builtin: bool = False
    origin: tuple[str, str] | None = None  # the loader's module and qualified name


_REGISTRY: dict[str, TaskSpec] = {}


def add_spec(spec: TaskSpec) -> None:
    check_name(spec.name)
    old = _REGISTRY.get(spec.name)
    if old is not None and not old.builtin and old.origin is not None and old.origin == spec.origin:
        _REGISTRY[spec.name] = spec  # the same script run again: its new loader replaces the old
        return
    if spec.name in _REGISTRY:
        raise ValueError(f"task name {spec.name!r} is taken; choose another name")
    _REGISTRY[spec.name] = spec


def available_tasks() -> list[str]:
    """The registered task names, sorted."""
    return sorted(_REGISTRY)


def task_catalog() -> list[dict]:
    """Per task, sorted by name: ``{"name", "params": {param: default (None: required)},
    "task_type" (None: chosen by a parameter), "doc" (one line)}``."""
    return [
        {
            "name": s.name,
            "params": {
                k: (None if p.default is REQUIRED else p.default) for k, p in s.params.items()
            },
            "task_type": s.task_type,
            "doc": s.doc.strip().splitlines()[0] if s.doc.strip() else "",
        }
        for s in (_REGISTRY[n] for n in available_tasks())
    ]


def _spec(name: Any) -> TaskSpec:
    if not isinstance(name, str) or name not in _REGISTRY:
        raise ValueError(f"unknown task {name!r}; known tasks: {', '.join(available_tasks())}")
    return _REGISTRY[name]


def validate_params(spec: TaskSpec, given: Mapping) -> dict:
    """``given`` checked against ``spec.params``, defaults filled in."""
    unknown = [k for k in given if k not in spec.params]
    if unknown:
        known = ", ".join(spec.params) if spec.params else "none"
        raise ValueError(
            f"{spec.name}: unknown parameter {unknown[0]!r}; known parameters: {known}"
        )
    params = {}
    for k, p in spec.params.items():
        if k not in given:
            if p.default is REQUIRED:
                raise ValueError(f"{spec.name}.{k}: required" + (f" ({p.doc})" if p.doc else ""))
            params[k] = p.default
            continue
        try:
            params[k] = p.check(given[k])
        except ValueError as exc:
            raise ValueError(f"{spec.name}.{k}: {exc}") from None
    return params


def get_task(spec: str | Mapping | Task) -> Task:
    """The Task a name or a dict (``name`` plus parameters) stands for; a Task is returned
    as it is (a script's own data made with :meth:`Task.from_arrays`)."""
    if isinstance(spec, Task):
        return spec
    if isinstance(spec, str):
        name, given = spec, {}
    elif isinstance(spec, Mapping):
        if "name" not in spec:
            raise ValueError(
                f"a task table needs a 'name' key, got keys: {', '.join(map(str, spec)) or 'none'}"
            )
        given = {k: v for k, v in spec.items() if k != "name"}
        name = spec["name"]
    else:
        raise ValueError(f"a task is a name or a table with 'name' and parameters, got {spec!r}")
    entry = _spec(name)
    return entry.build(validate_params(entry, given))


def register_task(
    name: str,
    loader: Callable[..., tuple],
    *,
    task_type: str,
    params: Mapping[str, Any] | None = None,
    loss: str | None = None,
    target: float | None = None,
    target_split: str = "test",
    network: Architecture | None = None,
    budget: Budget | None = None,
    all_rows: bool = False,
    standardize: bool = True,
    scale_targets: bool = False,
    val_fraction: float = 0.2,
    test_fraction: float = 0.2,
    doc: str = "",
) -> None:
    """Register a named task: ``loader(**params)`` returns ``(X, y)`` (X (n, n_inputs)
    numbers; y labels (n,) or regression targets). ``params``: name -> default value (its
    type is checked) or :class:`Param`. The other arguments are the Task's fields (see
    :class:`Task`; defaults as for :meth:`Task.from_arrays`). The loader runs once per
    process and parameters (cached), when the task is made, so bad data fail early; the
    fingerprint covers the loaded arrays. A taken name is refused, except by the same loader
    defined again (a study script loaded twice)."""
    check_name(name)
    if not callable(loader):
        raise ValueError(f"{name}: loader must be a function returning (X, y), got {loader!r}")
    specs = {}
    for k, p in (params or {}).items():
        check_name(k, f"{name}: a parameter name")
        specs[k] = p if isinstance(p, Param) else Param(p, _by_default(p))
    try:
        inspect.signature(loader).bind(**dict.fromkeys(specs))
    except TypeError as exc:
        raise ValueError(
            f"{name}: the loader must take the parameters {', '.join(specs) or '(none)'} as keywords: {exc}"
        ) from None
    except ValueError:
        pass  # no signature to inspect (a builtin): trust it
    fields = dict(
        task_type=task_type, loss=loss, target=target, target_split=target_split,
        network=Architecture() if network is None else network,
        budget=Budget(evaluations=10_000) if budget is None else budget,
        all_rows=bool(all_rows), standardize=bool(standardize), scale_targets=bool(scale_targets),
        val_fraction=val_fraction, test_fraction=test_fraction,
        doc=doc or f"{name}: a user-registered {task_type} task",
    )  # fmt: skip
    Task(name=name, fingerprint="", loader=loader, **fields)  # validates the fields now

    def build(values: dict) -> Task:
        task = Task(
            name=name, param_items=tuple(values.items()), fingerprint="", loader=loader, **fields
        )
        X, y = task.data()
        if not task.all_rows:
            check_enough_rows(name, y, task.task_type, task.val_fraction, task.test_fraction)
        fp = digest(DATA_VERSION, "registered", name, task.param_items, task.task_type, task.loss,
                    task.all_rows, task.standardize, task.scale_targets, task.val_fraction,
                    task.test_fraction, X, y)  # fmt: skip
        return dataclasses.replace(task, fingerprint=fp)

    origin = (getattr(loader, "__module__", None), getattr(loader, "__qualname__", None))
    add_spec(
        TaskSpec(
            name=name, params=specs, build=build, task_type=task_type, doc=fields["doc"],
            origin=origin if None not in origin else None,
        )
    )  # fmt: skip


def unregister_task(name: str) -> None:
    """Remove a task registered with :func:`register_task` (built-in tasks stay)."""
    spec = _spec(name)
    if spec.builtin:
        raise ValueError(f"{name!r} is a built-in task and cannot be unregistered")
    del _REGISTRY[name]
