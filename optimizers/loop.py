"""The one loop every optimizer runs in: it owns the budget and measures every curve.

Only the loop decides when a run stops, and only the loop measures the learning curve: at
each recorded step it scores the optimizer's ``best()`` on the problem's own ruler
(training and validation loss and headline metric), unmetered and outside the run's
seconds, so every optimizer's curve means the same thing. What an optimizer reports about
itself (its epoch loss, population mean, step size, species) stays in the record under its
own names; its own idea of its best objective is ``best_objective``.
"""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from networks import Graph

from .architecture import Architecture
from .base import Optimizer
from .meter import Budget, Meter
from .problems import Problem

__all__ = ["fit", "RunResult", "Status"]


class Status(str, enum.Enum):
    """How a run ended. ``done``: its budget was spent or the optimizer finished;
    ``diverged``: its numbers stopped being finite; ``failed``: it raised (recorded by a
    runner); ``timeout``: it ran past its safety limit of seconds."""

    DONE = "done"
    DIVERGED = "diverged"
    FAILED = "failed"
    TIMEOUT = "timeout"


@dataclass
class RunResult:
    """What one run produced.

    ``curve``: one record per recorded step with every meter unit, the loop's measurement
    of ``best()`` (``train_loss``, ``train_<metric>``, ``val_...`` and what ``measure``
    adds), ``best_objective`` (the optimizer's own figure) and what the optimizer reported
    for the step. ``metrics``: the loop's measurement of the final ``best``. ``budget``: the budget's limits.
    """

    best: Graph
    metrics: dict
    curve: list[dict]
    meter: dict
    status: Status = Status.DONE
    optimizer: str = ""
    config: dict = field(default_factory=dict)
    problem: str = ""
    budget: dict = field(default_factory=dict)
    error: str | None = None

    def to_dict(self) -> dict:
        """Plain JSON-ready data (NaN stays NaN: write it with json's allow_nan)."""
        return {
            "best": self.best.to_dict(),
            "metrics": self.metrics,
            "curve": self.curve,
            "meter": self.meter,
            "status": Status(self.status).value,
            "optimizer": self.optimizer,
            "config": self.config,
            "problem": self.problem,
            "budget": self.budget,
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, data: dict) -> RunResult:
        """The inverse of :meth:`to_dict`; ValueError naming what is missing or wrong."""
        if not isinstance(data, dict):
            raise ValueError(f"a run result must be a JSON object, got {type(data).__name__}")
        missing = [k for k in ("best", "metrics", "curve", "meter", "status") if k not in data]
        if missing:
            raise ValueError(f"run result lacks {', '.join(missing)}")
        try:
            status = Status(data["status"])
        except ValueError:
            known = ", ".join(s.value for s in Status)
            raise ValueError(f"unknown run status {data['status']!r}; known: {known}") from None
        return cls(
            best=Graph.from_dict(data["best"]),
            metrics=dict(data["metrics"]),
            curve=[dict(r) for r in data["curve"]],
            meter=dict(data["meter"]),
            status=status,
            optimizer=str(data.get("optimizer", "")),
            config=dict(data.get("config", {})),
            problem=str(data.get("problem", "")),
            budget=dict(data.get("budget", {})),
            error=data.get("error"),
        )


def _check_args(optimizer, problem, budget, rng, record_every, max_seconds, **hooks) -> None:
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"fit needs an optimizers.Optimizer, got {type(optimizer).__name__}")
    if not isinstance(problem, Problem):
        raise ValueError(f"fit needs an optimizers.Problem, got {type(problem).__name__}")
    if not isinstance(budget, Budget):
        raise ValueError(f"budget must be an optimizers.Budget, got {type(budget).__name__}")
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    if isinstance(record_every, bool) or not isinstance(record_every, int) or record_every < 1:
        raise ValueError(f"record_every must be an integer >= 1, got {record_every!r}")
    if max_seconds is not None and not (isinstance(max_seconds, (int, float)) and max_seconds > 0):
        raise ValueError(f"max_seconds must be a positive number, got {max_seconds!r}")
    for name, hook in hooks.items():
        if hook is not None and not callable(hook):
            raise ValueError(f"{name} must be a function or None, got {type(hook).__name__}")


def fit(
    optimizer: Optimizer,
    problem: Problem,
    budget: Budget,
    rng: np.random.Generator,
    *,
    initial: Graph | Architecture | None = None,
    record_every: int = 1,
    max_seconds: float | None = None,
    on_step: Callable[[dict], None] | None = None,
    measure: Callable[[Graph], dict] | None = None,
    stop: Callable[[dict], bool] | None = None,
    screen: Callable[[dict], bool] | None = None,
) -> RunResult:
    """Run ``optimizer`` on ``problem`` until ``budget`` is spent or the optimizer is done.

    ``initial``: the starting Graph (handed to every optimizer as it is: pair runs by
    passing the same one), or an :class:`Architecture` whose weights are drawn from
    ``rng`` (default ``Architecture()``). The run gets its own meter: ``problem`` is not
    changed and may serve other runs at the same time. No run spends more than ``budget``
    in samples, evaluations or MACs (the last request is cut to fit); seconds and steps
    are checked before each step. ``record_every``: the curve records every k-th step, and
    always the first and the last (so every curve starts after one step, whatever k).
    ``max_seconds``: a safety limit, not a budget: a run past it stops
    with status ``timeout``. ``on_step(record)`` is called with each curve record.
    ``measure(graph)``: more figures of ``best()`` for each curve record (e.g. a held-out
    test split's ``test_loss`` and ``test_<metric>``), measured like the problem's own
    ruler: unmetered, outside the run's seconds, never seen by the optimizer; when
    ``best()`` is the same Graph as at the last record, its figures are not measured again.
    ``stop(record)``: the run ends after a recorded step for which it is true (e.g. the
    task is solved: cost-to-target is then the cost of the run, as the NEAT paper counts).
    With ``stop``, the optimizer's :meth:`~Optimizer.nominee` (NEAT: one species champion
    per generation, as NEAT's code tests them) is measured too at each recorded step, by
    the same ruler (unmetered, as NEAT does not count those tests, and outside the run's
    seconds); ``screen(figures)``, when given, says whether the ruler's figures are worth
    ``measure``-ing further (a nominee that cannot be solved skips an expensive test). A
    nominee for which ``stop`` is true ends the run as its best network, recorded as the
    last point of the curve.
    """
    _check_args(optimizer, problem, budget, rng, record_every, max_seconds,
                on_step=on_step, measure=measure, stop=stop, screen=screen)  # fmt: skip
    if initial is None:
        initial = Architecture()
    if isinstance(initial, Architecture):
        initial = initial.build(problem.n_inputs, problem.n_outputs, rng=rng)
    meter = Meter()
    t0 = time.perf_counter()
    optimizer.setup(problem.metered(meter, budget), initial, rng)
    meter.seconds = time.perf_counter() - t0
    curve: list[dict] = []
    measuring = 0.0  # seconds spent scoring for the curve, not charged to the run
    status = Status.DONE

    measured: list = [None, {}, {}]  # the Graph measured last: the ruler's, measure's figures
    winner: list = []  # a nominee that reached the target: the run's best

    def record(info: dict) -> bool:
        nonlocal measuring
        t1 = time.perf_counter()
        best = optimizer.best()
        if best is not measured[0]:
            measured[:] = [best, problem.score(best), {} if measure is None else measure(best)]
        row = {**meter.as_dict(), **measured[1], **measured[2]}
        row["best_objective"] = optimizer.best_value
        for k, v in info.items():
            row[k if k not in row else f"opt_{k}"] = v
        reached = stop is not None and bool(stop(row))
        if stop is not None and not reached:
            nominee = optimizer.nominee()
            if nominee is not None and nominee[0] is not best:
                graph, objective = nominee
                figures = problem.score(graph)
                if screen is None or screen(figures):
                    more = {} if measure is None else measure(graph)
                    tried = {**row, **figures, **more, "best_objective": objective}
                    if bool(stop(tried)):
                        winner.append(graph)
                        measured[:] = [graph, figures, more]
                        row, reached = tried, True
        curve.append(row)
        measuring += time.perf_counter() - t1
        if on_step is not None:
            on_step(row)
        return reached

    info: dict = {}
    while not optimizer.done and not budget.spent(meter):
        if max_seconds is not None and meter.seconds > max_seconds:
            status = Status.TIMEOUT
            break
        before = meter.samples
        info = optimizer.step() or {}
        meter.seconds = time.perf_counter() - t0 - measuring
        if meter.exhausted and meter.samples == before:
            break  # nothing fitted what was left: no step was taken
        meter.steps += 1
        if (meter.steps % record_every == 0 or meter.steps == 1) and record(info):
            break  # the run reached what it was asked to
    if meter.steps and (not curve or curve[-1]["steps"] != meter.steps):
        record(info)  # the last step is always recorded
    best = winner[0] if winner else optimizer.best()
    metrics = dict(measured[1]) if best is measured[0] else problem.score(best)
    if status is Status.DONE and (
        optimizer.diverged or not all(math.isfinite(v) for v in metrics.values())
    ):
        status = Status.DIVERGED
    return RunResult(
        best=best,
        metrics=metrics,
        curve=curve,
        meter=meter.as_dict(),
        status=status,
        optimizer=optimizer.name or type(optimizer).__name__,
        config=optimizer.config.to_dict(),
        problem=problem.name,
        budget=budget.limits(),
    )
