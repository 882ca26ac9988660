"""Control tasks: an environment of :mod:`optimizers.environments` as a study task.

A :class:`ControlTask` answers what a run asks of any task (its key, fingerprint, metric,
target, default network and budget, its problem and how its best network is tested), so
the runner, the store and the report treat it as they treat a dataset: the headline
metric is the mean ``return`` (decisions balanced), higher is better.

- "train": the loop's ruler, ``score_episodes`` episodes from starts fixed per
  repetition (the same for every optimizer of the repetition: a paired design);
- "test": ``test_episodes`` other episodes, also fixed per repetition, on which the target
  is judged (cartpole: a mean return of 475 over 100 episodes, CartPole-v1's "solved").

Built in: ``cartpole``. The double pole (``optimizers.DoublePole``) joins once its
100,000-step episodes are fast enough to test at every curve point.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from networks import Graph
from optimizers import Architecture, Budget, Candidates, CartPole, EpisodicProblem
from optimizers.environments import Environment

from ._data import digest
from ._fields import NamedParams
from .base import DATA_VERSION
from .registry import Param, TaskSpec, add_spec, integer

__all__ = ["ControlTask", "ControlSplits"]


@dataclass(frozen=True)
class ControlSplits:
    """A repetition's fixed starts: seeds of the ruler's and the test's episodes."""

    train_seed: int
    test_seed: int


@dataclass(frozen=True, kw_only=True, eq=False)
class ControlTask(NamedParams):
    """See the module docstring. ``make``: builds the environment from the parameters."""

    name: str
    param_items: tuple = ()
    make: Callable[..., Environment] = field(repr=False)
    episodes: int = 1
    score_episodes: int = 10
    test_episodes: int = 100
    target: float | None = None
    target_split: str = "test"
    network: Architecture = field(default_factory=Architecture)
    budget: Budget = field(default_factory=lambda: Budget(evaluations=2_000))
    doc: str = ""
    fingerprint: str = ""

    task_type = "control"
    metric = "return"
    metric_maximize = True

    def environment(self) -> Environment:
        return self.make(**self.params)

    def to_dict(self) -> dict:
        return {
            "name": self.name, "params": self.params, "key": self.key,
            "fingerprint": self.fingerprint, "task_type": self.task_type, "loss": None,
            "metric": self.metric, "metric_maximize": True, "target": self.target,
            "target_split": self.target_split, "network": self.network.to_dict(),
            "budget": self.budget.limits(), "episodes": self.episodes,
            "score_episodes": self.score_episodes, "test_episodes": self.test_episodes,
            "doc": self.doc,
        }  # fmt: skip

    def __eq__(self, other) -> bool:
        return isinstance(other, ControlTask) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash((self.key, self.fingerprint))

    def __repr__(self) -> str:
        return f"ControlTask({self.key!r}, fingerprint={self.fingerprint[:12]})"

    # -- what a run uses --------------------------------------------------------------
    def splits(self, rng: np.random.Generator) -> ControlSplits:
        """The repetition's fixed starts (two seeds drawn from ``rng``)."""
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        train, test = rng.integers(0, 2**63 - 1, size=2)
        return ControlSplits(int(train), int(test))

    def problem(self, splits: ControlSplits, *, dtype=np.float64) -> EpisodicProblem:
        return EpisodicProblem(
            self.environment(), episodes=self.episodes, score_episodes=self.score_episodes,
            score_seed=splits.train_seed, name=self.key,
        )  # fmt: skip

    def test_scorer(self, problem: EpisodicProblem, splits: ControlSplits):
        """``graph -> {"test_return": ...}``: its mean return over the test episodes."""

        def scores(graph: Graph) -> dict:
            net = problem.compile(graph)
            got = problem.rollout(
                Candidates.of_params(net, net.params),
                np.random.default_rng(splits.test_seed),
                episodes=self.test_episodes,
            )
            return {"test_return": float(got.returns[0])}

        return scores

    def test_scores(self, problem, graph: Graph, splits: ControlSplits) -> dict:
        return self.test_scorer(problem, splits)(graph)

    def solved(self, metrics: dict) -> bool:
        if self.target is None:
            return False
        value = float(metrics.get(f"{self.target_split}_return", math.nan))
        return not math.isnan(value) and value >= self.target


def _register(name: str, make, *, doc: str, params: dict, **fields) -> None:
    def build(values: dict) -> ControlTask:
        fp = digest(DATA_VERSION, "control", name, sorted(values.items()))
        return ControlTask(
            name=name, param_items=tuple(values.items()), make=make, doc=doc, fingerprint=fp,
            **fields,
        )  # fmt: skip

    add_spec(
        TaskSpec(name=name, params=params, build=build, task_type="control", doc=doc, builtin=True)
    )


_register(
    "cartpole",
    CartPole,
    doc="The single pole (Gymnasium CartPole-v1's physics, starts and limits); return = "
    "decisions balanced, at most max_steps; solved at a mean test return >= 475 over 100 "
    "episodes.",
    params={"max_steps": Param(500, integer(low=1, high=100_000), "episode length limit")},
    episodes=2,  # per evaluation: fewer lucky champions than 1, half the cost of 4
    target=475.0,  # CartPole-v1's "solved" (mean over 100 episodes)
    # 4 tanh units, the sign of the output pushes: NEAT solved 6 of 6 seeds, CMA-ES 5 of 6,
    # GA 4 of 6 at 2,000 episodes (tests/test_control.py)
    network=Architecture(hidden=(4,), activation="tanh"),
    budget=Budget(evaluations=2_000),
)
