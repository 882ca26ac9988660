"""One run of a study, as data any worker process can execute, identified by its content."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from optimizers import Architecture, Budget, OptimizerSpec

from ._json import canonical
from .tasks import Task

__all__ = ["RunSpec", "content_json"]


def content_json(content: dict) -> str:
    """Canonical JSON: sorted keys, no spaces, tuples as lists, numpy scalars as numbers."""
    return canonical(content)


@dataclass(frozen=True)
class RunSpec:
    """Everything that decides one run's numbers.

    ``run_id`` is a digest of that content (task key and data fingerprint, optimizer
    label, name and full configuration with defaults filled, network, budget, repetition,
    study seed, curve resolution), so a store can tell a run already done from a new one:
    the same content is the same run in any study file, process or order; a changed
    parameter is a different run. The per-run safety limit of seconds and the BLAS thread
    count are not content: they do not change a completed run's numbers (a run that timed
    out is run again when the limit is raised).
    """

    task: Task
    label: str
    optimizer: OptimizerSpec
    network: Architecture
    budget: Budget
    repetition: int
    study_seed: int
    max_run_seconds: float | None = None
    blas_threads: int = 1
    record_every: int = 1
    run_id: str = field(init=False, default="")

    def __post_init__(self) -> None:
        digest = hashlib.sha256(content_json(self.content()).encode("utf-8")).hexdigest()
        object.__setattr__(self, "run_id", digest[:32])

    def content(self) -> dict:
        return {
            "task": self.task.key,
            "data": self.task.fingerprint,
            "label": self.label,
            "optimizer": self.optimizer.name,
            "config": self.optimizer.build().config.to_dict(),
            "network": self.network.to_dict(),
            "budget": self.budget.limits(),
            "repetition": int(self.repetition),
            "study_seed": int(self.study_seed),
            "record_every": int(self.record_every),
        }
