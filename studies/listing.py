"""What ``neuroarena list`` prints: tasks, optimizers and built-in studies, with each one's
parameters and their defaults."""

from __future__ import annotations

import dataclasses
import textwrap

__all__ = ["list_tasks", "list_optimizers", "list_studies"]

_WIDTH = 92


def _wrap(text: str, indent: str = "    ") -> str:
    return textwrap.fill(
        " ".join(text.split()), _WIDTH, initial_indent=indent, subsequent_indent=indent
    )


def _params(params: dict, *, none_is_required: bool) -> str:
    """``k = default, ...``; a task's None default means the parameter must be given."""
    if not params:
        return "    parameters: none"

    def value(v) -> str:
        if v is None:
            return "(required)" if none_is_required else "none"
        return f'"{v}"' if isinstance(v, str) else repr(v)

    items = ", ".join(f"{k} = {value(v)}" for k, v in params.items())
    return _wrap(f"parameters: {items}")


def list_tasks() -> str:
    """Every registered task: its type, parameters with defaults, default budget and network."""
    from .tasks import get_task, task_catalog

    lines = ['tasks (use in a study as a name, or a table: { name = "parity", bits = 4 }):']
    for entry in task_catalog():
        kind = entry["task_type"] or "classification or regression"
        lines.append(f"  {entry['name']} ({kind})")
        if entry["doc"]:
            lines.append(_wrap(entry["doc"]))
        lines.append(_params(entry["params"], none_is_required=True))
        if None in entry["params"].values():
            continue  # a required parameter: no default task to describe
        try:
            task = get_task(entry["name"])
        except ValueError:
            continue
        limits = ", ".join(
            f"{k} = {v:,}" if isinstance(v, int) else f"{k} = {v}"
            for k, v in task.budget.limits().items()
        )
        net = task.network
        lines.append(
            f"    default budget: {limits}; default network: hidden {list(net.hidden)}, "
            f"{net.activation} ({net.output_activation} output)"
        )
    return "\n".join(lines)


def _first_line(doc: str | None) -> str:
    doc = (doc or "").strip()
    return " ".join(doc.split("\n\n")[0].split()) if doc else ""


def list_optimizers() -> str:
    """Every registered optimizer: what it is and its parameters with defaults."""
    import optimizers

    lines = ["optimizers (use in a study as [optimizers.LABEL] optimizer = NAME, then parameters):"]
    for name in optimizers.available():
        try:
            cls = optimizers.get(name)
        except ValueError as exc:
            lines.append(f"  {name}: cannot be loaded here ({exc})")
            continue
        lines.append(
            f"  {name}" + (" (needs gradients)" if getattr(cls, "needs_gradient", False) else "")
        )
        doc = _first_line(cls.__doc__)
        if doc:
            lines.append(_wrap(doc))
        params = {
            f.name: f.default if f.default is not dataclasses.MISSING else f.default_factory()
            for f in dataclasses.fields(cls.Config)
            if f.init
        }
        lines.append(_params(params, none_is_required=False))
    return "\n".join(lines)


def list_studies() -> str:
    """The built-in studies: what each compares and how many runs it has."""
    from . import catalog

    lines = ["built-in studies (neuroarena run NAME):"]
    for name in catalog.names():
        study = catalog.load(name)
        n = len(study.runs())
        counts = " x ".join(
            _count(k, what)
            for k, what in ((len(study.tasks), "task"), (len(study.optimizers), "optimizer"),
                            (study.seeds, "seed"))
        )  # fmt: skip
        lines.append(f"  {name}: {counts} = {_count(n, 'run')}")
        lines.append(_wrap(catalog.describe(name)))
        lines.append(_wrap("tasks: " + ", ".join(t.key for t in study.tasks)))
        lines.append(_wrap("optimizers: " + ", ".join(o.label for o in study.optimizers)))
    return "\n".join(lines)


def _count(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"
