"""Control tasks: an environment of :mod:`optimizers.environments` as a study task.

A :class:`ControlTask` answers what a run asks of any task (its key, fingerprint, metric,
target, default network and budget, its problem and how its best network is tested), so
the runner, the store and the report treat it as they treat a dataset: the headline
metric is the mean ``return`` (decisions balanced), higher is better.

- "train": the loop's ruler, ``score_episodes`` episodes from starts fixed per
  repetition (the same for every optimizer of the repetition: a paired design), each at
  most ``score_steps`` decisions;
- "test": ``test_episodes`` other episodes, also fixed per repetition (cartpole: the
  target, a mean return of 475 over 100 episodes, CartPole-v1's "solved"), or NEAT's
  generalisation test (``test_starts="grid"``): the 625 starts of its grid, each at most
  ``test_steps`` decisions; ``test_generalization`` then counts the starts balanced for
  all of them.

The target is judged on ``target_split``; ``generalization`` adds a least count of
generalisation starts (the double pole without velocities: 200 of 625). With
``stop_at_target`` a run ends as soon as the loop's measurement of its best network is
solved, as the NEAT paper counts: the evaluations until the solution.

Built in: ``cartpole``, ``double-pole`` (with velocities: balanced 100,000 decisions from
NEAT's start) and ``double-pole-nv`` (without: Gruau's fitness over 1,000 decisions, solved
by balancing 100,000 and generalising to 200 of the 625 starts), as in NEAT's code.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from networks import Graph
from optimizers import Architecture, Budget, Candidates, CartPole, DoublePole, EpisodicProblem
from optimizers.environments import Environment

from ._data import digest
from ._fields import NamedParams
from .base import DATA_VERSION
from .registry import REQUIRED, Param, TaskSpec, add_spec, integer, number, string

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
    score_steps: int | None = None  # the ruler's episode limit (None: the environment's)
    fitness: str = "return"  # the objective: "return" or "gruau"
    test_starts: str = "random"  # or "grid": NEAT's 625 generalisation starts
    test_steps: int | None = None  # the test episodes' limit (None: the environment's)
    generalization: int | None = None  # least grid starts balanced to count as solved
    stop_at_target: bool = False
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
        out = {
            "name": self.name, "params": self.params, "key": self.key,
            "fingerprint": self.fingerprint, "task_type": self.task_type, "loss": None,
            "metric": self.metric, "metric_maximize": True, "target": self.target,
            "target_split": self.target_split, "network": self.network.to_dict(),
            "budget": self.budget.limits(), "episodes": self.episodes,
            "score_episodes": self.score_episodes, "test_episodes": self.test_episodes,
            "doc": self.doc,
        }  # fmt: skip
        extra = {
            "score_steps": self.score_steps, "fitness": self.fitness,
            "test_starts": self.test_starts, "test_steps": self.test_steps,
            "generalization": self.generalization, "stop_at_target": self.stop_at_target,
        }  # fmt: skip
        # (only where they differ from cartpole's, so its description stays as it was)
        defaults = {"fitness": "return", "test_starts": "random", "stop_at_target": False}
        out.update({k: v for k, v in extra.items() if v is not None and defaults.get(k) != v})
        return out

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
            score_seed=splits.train_seed, score_steps=self.score_steps, fitness=self.fitness,
            name=self.key,
        )  # fmt: skip

    def test_scorer(self, problem: EpisodicProblem, splits: ControlSplits):
        """``graph -> {"test_return": ...}``: its mean return over the test episodes (and,
        on the grid, ``test_generalization``: the starts balanced to the limit)."""
        env = problem.environment
        limit = self.test_steps or env.max_steps
        starts = env.grid_starts() if self.test_starts == "grid" else None

        def scores(graph: Graph) -> dict:
            net = problem.compile(graph)
            got = problem.rollout(
                Candidates.of_params(net, net.params),
                np.random.default_rng(splits.test_seed),
                episodes=self.test_episodes,
                starts=starts,
                max_steps=limit,
                fitness="return",
            )
            out = {"test_return": float(got.returns[0])}
            if starts is not None:
                out["test_generalization"] = int(np.count_nonzero(got.episode_returns >= limit))
            return out

        return scores

    def test_scores(self, problem, graph: Graph, splits: ControlSplits) -> dict:
        return self.test_scorer(problem, splits)(graph)

    def screen(self, figures: dict) -> bool:
        """Whether the loop's figures of a network put forward for the success test (see
        ``optimizers.fit``) can still reach the target: on the double pole, a network that
        does not balance 100,000 decisions skips the 625-start test, as in NEAT's code."""
        if self.target is None:
            return False
        if self.target_split != "train":
            return True
        value = float(figures.get("train_return", math.nan))
        return not math.isnan(value) and value >= self.target

    def solved(self, metrics: dict) -> bool:
        if self.target is None:
            return False
        value = float(metrics.get(f"{self.target_split}_return", math.nan))
        if math.isnan(value) or value < self.target:
            return False
        if self.generalization is not None:
            return float(metrics.get("test_generalization", -1)) >= self.generalization
        return True


def _register(name: str, make, *, doc: str, params: dict, fields_of=None, **fields) -> None:
    """A built-in control task; ``fields_of(values) -> dict``: fields that depend on the
    parameters (and what they name: a Gymnasium environment's target)."""

    def build(values: dict) -> ControlTask:
        more = fields_of(values) if fields_of is not None else {}
        fp = digest(DATA_VERSION, "control", name, sorted(values.items()), more.pop("version", ""))
        return ControlTask(
            name=name, param_items=tuple(values.items()), make=make, doc=doc, fingerprint=fp,
            **fields, **more,
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


_FRICTION = Param(
    0.0,
    number(low=0, high=0.5),
    "cart friction mu_c (0 as in NEAT's code; 5e-4 as in Heidrich-Meisner & Igel)",
)
_register(
    "double-pole",
    lambda cart_friction: DoublePole(velocities=True, cart_friction=cart_friction),
    doc="Two poles on a cart with velocities (NEAT's code: RK4, 0.01 s x 2 per decision, "
    "start 0.07 rad); return = decisions balanced from NEAT's start, solved at 100,000; "
    "test = the 625-start generalisation grid, 1,000 decisions each.",
    params={"cart_friction": _FRICTION},
    episodes=1,  # NEAT's one start: every episode is the same
    score_episodes=1,
    target=100_000.0,
    target_split="train",
    test_starts="grid",
    test_steps=1_000,
    stop_at_target=True,
    # no hidden layer, as CMA-NeuroES's Markovian networks; the output clipped to [0, 1]
    network=Architecture(hidden=(), output_activation="sigmoid"),
    budget=Budget(evaluations=10_000),
)
_register(
    "double-pole-nv",
    lambda cart_friction: DoublePole(
        velocities=False, cart_friction=cart_friction, max_steps=1_000
    ),
    doc="Two poles on a cart seeing only x, theta1 and theta2 (memory needed); the "
    "objective is Gruau's anti-jiggle fitness over 1,000 decisions; solved when the best "
    "network balances 100,000 decisions from NEAT's start and 1,000 from at least 200 of "
    "the 625 generalisation starts (NEAT's protocol; those tests are not charged).",
    params={"cart_friction": _FRICTION},
    episodes=1,
    score_episodes=1,
    score_steps=100_000,
    fitness="gruau",
    target=100_000.0,
    target_split="train",
    test_starts="grid",
    test_steps=1_000,
    generalization=200,
    stop_at_target=True,
    # one Elman layer of 5 units: memory for the fixed-topology optimizers
    network=Architecture(
        hidden=(5,), activation="tanh", output_activation="sigmoid", recurrent=True
    ),  # fmt: skip
    budget=Budget(evaluations=100_000),
)


def _gym_environment(id: str, max_steps: int):  # noqa: A002 - Gymnasium's word
    from optimizers.environments import GymEnvironment

    return GymEnvironment(id, max_steps=max_steps or None)


def _gym_fields(values: dict) -> dict:
    """The Gymnasium environment's own target (its spec's reward threshold, judged on the
    mean test return) and version (in the fingerprint: another Gymnasium, other results)."""
    import gymnasium

    env = _gym_environment(**values)  # an unknown id fails here, when the task is named
    return {"target": env.reward_threshold, "version": gymnasium.__version__}


_register(
    "gym",
    _gym_environment,
    doc='Any Gymnasium environment by id (needs the gym extra: pip install -e ".[gym]"), '
    "through its vector API; return = the sum of its rewards; solved at its spec's reward "
    "threshold (mean test return over 100 episodes), where it has one.",
    params={
        "id": Param(REQUIRED, string(), "a Gymnasium environment id, e.g. CartPole-v1"),
        "max_steps": Param(0, integer(low=0), "episode limit (0: the environment's own)"),
    },
    fields_of=_gym_fields,
    episodes=2,
    network=Architecture(hidden=(16,), activation="tanh"),
    budget=Budget(evaluations=2_000),
)
