"""The one loop every optimizer runs in; only it owns the budget."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from networks import Graph

from .base import Optimizer
from .meter import Budget, Meter
from .problem import Problem

__all__ = ["fit", "RunResult", "seed_stdlib_random"]

STATUSES = ("done", "diverged")


@dataclass
class RunResult:
    """What one run produced.

    ``curve``: one record per step with every meter unit, ``train_loss`` (the best-so-far
    objective), the validation loss and metric of the best network, and what the optimizer
    reported for the step. ``status``: "done", or "diverged" when the best objective is NaN
    at the end.
    """

    best: Graph
    metrics: dict
    curve: list[dict]
    meter: dict
    status: str = "done"
    optimizer: str = ""
    config: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "best": self.best.to_dict(),
            "metrics": self.metrics,
            "curve": self.curve,
            "meter": self.meter,
            "status": self.status,
            "optimizer": self.optimizer,
            "config": self.config,
        }


def seed_stdlib_random(rng: np.random.Generator) -> None:
    """Seed Python's global ``random`` from ``rng``: DEAP's operators read it. The only
    place neuroarena touches global random state, called when a run starts."""
    random.seed(int(rng.integers(2**63)))


def fit(
    optimizer: Optimizer,
    problem: Problem,
    budget: Budget,
    rng: np.random.Generator,
    on_step: Callable[[dict], None] | None = None,
) -> RunResult:
    """Run ``optimizer`` on ``problem`` until ``budget`` is spent or the optimizer is done.

    The budget is checked before every step, so a run overspends by at most one step.
    ``on_step(record)`` is called after each step with the curve record (for progress).
    """
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"fit needs an optimizers.Optimizer, got {type(optimizer).__name__}")
    if not isinstance(budget, Budget):
        raise ValueError(f"budget must be an optimizers.Budget, got {type(budget).__name__}")
    if not isinstance(problem, Problem):
        raise ValueError(f"fit needs an optimizers.Problem, got {type(problem).__name__}")
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    problem.meter = meter = Meter()
    seed_stdlib_random(rng)
    t0 = time.perf_counter()
    optimizer.setup(problem, rng)
    meter.seconds = time.perf_counter() - t0
    curve: list[dict] = []
    measuring = 0.0  # seconds spent scoring for the curve, not charged to the run
    while not optimizer.done and not budget.spent(meter):
        info = optimizer.step() or {}
        meter.steps += 1
        t1 = time.perf_counter()
        meter.seconds = t1 - t0 - measuring
        record = {**meter.as_dict(), "train_loss": optimizer.best_value}
        scores = problem.score_validation(optimizer.best())
        measuring += time.perf_counter() - t1
        record.update({k: v for k, v in scores.items() if k.startswith("val_")})
        record.update({k: v for k, v in info.items() if k not in record})
        curve.append(record)
        if on_step is not None:
            on_step(record)
    best = optimizer.best()
    metrics = problem.score(best)
    status = "diverged" if math.isnan(optimizer.best_value) and meter.steps > 0 else "done"
    return RunResult(
        best=best,
        metrics=metrics,
        curve=curve,
        meter=meter.as_dict(),
        status=status,
        optimizer=optimizer.name,
        config=optimizer.config.to_dict(),
    )
