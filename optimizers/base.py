"""The Optimizer interface, its shared bookkeeping, and the ask/tell helper.

The shared loop (:func:`optimizers.fit`) drives every optimizer the same way::

    opt.setup(problem, initial, rng)   # once; initial: the starting Graph
    opt.step()                         # one epoch / one generation; returns its own figures
    opt.best()                         # the best Graph so far

An optimizer spends compute only through ``problem`` (a run's
:class:`~optimizers.problems.MeteredProblem`, which meters it and cuts requests to the
budget) and draws random numbers only from ``rng``. The base class keeps the best-so-far
(NaN objectives count as failed evaluations and never become best) and handles the
objective's direction; subclasses write only the algorithm. What an optimizer reports
about itself is its own business: the loop measures ``best()`` itself for the curve.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any, ClassVar

import numpy as np

from networks import Graph

from .candidates import Candidates
from .problems import MeteredProblem, Problem

__all__ = [
    "Optimizer",
    "AskTell",
    "Config",
    "make_config",
    "check",
    "population_figures",
    "check_population",
]


@dataclasses.dataclass(frozen=True, kw_only=True)
class Config:
    """Base of optimizer configs: frozen, keyword-only, validated in __post_init__."""

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def check(
    name: str,
    value: Any,
    *,
    low=None,
    high=None,
    low_open=False,
    high_open=False,
    integer=False,
    choices=None,
) -> None:
    """Raise ValueError naming the parameter, the bad value and what is allowed."""
    if choices is not None:
        if value not in choices:
            raise ValueError(
                f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}"
            )
        return
    kind = "an integer" if integer else "a number"
    ok_type = (
        isinstance(value, (int, np.integer))
        if integer
        else isinstance(value, (int, float, np.integer, np.floating))
    )
    if isinstance(value, bool) or not ok_type or (not integer and not np.isfinite(value)):
        raise ValueError(f"{name} must be {kind}, got {value!r}")
    lo_bad = low is not None and (value <= low if low_open else value < low)
    hi_bad = high is not None and (value >= high if high_open else value > high)
    if lo_bad or hi_bad:
        lo = "" if low is None else (f"> {low}" if low_open else f">= {low}")
        hi = "" if high is None else (f"< {high}" if high_open else f"<= {high}")
        allowed = " and ".join(s for s in (lo, hi) if s)
        raise ValueError(f"{name} must be {allowed}, got {value!r}")


def make_config(cls: type[Config], params: dict, owner: str) -> Config:
    """Build a config, turning unknown keys into a ValueError that lists the known ones."""
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(params) - known)
    if unknown:
        raise ValueError(
            f"{owner}: unknown parameter(s) {', '.join(unknown)}; known: {', '.join(sorted(known)) or 'none'}"
        )
    return cls(**params)


def check_population(field: str, size: int, n_params: int, copies: int = 4) -> None:
    """ValueError naming ``field`` when ``size`` vectors of ``n_params`` float64 (about
    ``copies`` times over, for the work arrays) cannot fit in this machine's memory."""
    need = float(size) * n_params * 8 * copies
    try:
        have = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not every system says
        return
    if need > have:
        raise ValueError(
            f"{field}={size} needs about {need / 2**30:.1f} GiB for {n_params} parameters; "
            f"this machine has {have / 2**30:.1f} GiB: choose a smaller {field}"
        )


class Optimizer:
    """Base class: configure with keyword parameters, then setup/step/best.

    Subclasses set ``name`` and ``Config`` and implement ``_setup`` and ``step``; they call
    :meth:`offer` with what they evaluated so the base keeps the best-so-far. In ``_setup``
    they find ``self.problem`` (metered), ``self.initial`` (the starting Graph) and
    ``self.rng``. Setting ``self.done`` ends the run early; ``self.diverged`` says it ended
    because the numbers did.
    """

    name: ClassVar[str] = ""
    Config: ClassVar[type[Config]] = Config
    # True for optimizers that train by gradient: a study refuses them a network whose
    # activations have no derivative before any run starts
    needs_gradient: ClassVar[bool] = False
    # the problems it can learn: "dataset" (targets to fit) and/or "control" (episodes); a
    # study refuses the others before any run starts
    problem_kinds: ClassVar[tuple[str, ...]] = ("dataset", "control")
    # whether it can train a Graph with recurrent connections (weight search and NEAT
    # can; the gradient learners have no backpropagation through time)
    trains_recurrent: ClassVar[bool] = True

    @classmethod
    def refuses(cls, config: Config, kind: str) -> str | None:
        """Why this configuration cannot run on a problem of ``kind`` ("dataset" or
        "control"), or None; a study asks before any run starts (the same check the
        optimizer's setup makes)."""
        return None

    def __init__(self, **params) -> None:
        self.config = make_config(self.Config, params, self.name or type(self).__name__)
        self.problem: MeteredProblem | None = None
        self.done = self.diverged = False

    def setup(self, problem, initial: Graph, rng: np.random.Generator) -> None:
        """Start a run on ``problem`` (a MeteredProblem, or a Problem, then metered with a
        fresh meter and no budget) from the Graph ``initial``."""
        if isinstance(problem, Problem):
            problem = problem.metered()
        if not isinstance(problem, MeteredProblem):
            raise ValueError(f"setup needs an optimizers.Problem, got {type(problem).__name__}")
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        self.initial = problem.check_graph(initial)
        self.problem, self.rng = problem, rng
        self.done = self.diverged = False
        self.generation = 0
        self.best_value = float("nan")
        self._best: tuple[Candidates, int] | None = None
        self._best_graph: Graph | None = None
        self._setup()

    def _setup(self) -> None:
        """Algorithm-specific initialisation (self.problem, self.initial, self.rng set)."""

    def step(self) -> dict:
        raise NotImplementedError

    # -- best-so-far ----------------------------------------------------------------
    def offer(self, values, candidates: Candidates, *, replace: bool = False) -> None:
        """Consider evaluated candidates for best-so-far: objective ``values`` (k,) of the
        first k ``candidates``. With ``replace``, the best of this batch becomes best-so-far
        even if worse (its values are not comparable with earlier ones: a new minibatch, or
        weights that moved); always so on a ``noisy`` problem (episodes from random starts:
        a lucky draw would otherwise stay best for good)."""
        replace = replace or bool(getattr(self.problem, "noisy", False))
        values = np.asarray(values, dtype=np.float64).reshape(-1)
        if not len(values):
            return
        fit = self.problem.fitness(values)
        i = int(np.argmax(fit))
        if not np.isfinite(fit[i]) and not replace:
            return
        if replace or self.problem.is_better(values[i], self.best_value):
            self.best_value = float(values[i])
            self._best, self._best_graph = (candidates, i), None

    def nominee(self) -> tuple[Graph, float] | None:
        """A network besides :meth:`best`, with its objective, that the optimizer puts
        forward for the task's success test after this step (``fit(stop=...)`` runs it,
        unmetered: the optimizer never learns its result), or None (the default: the
        loop's ruler tests every new best). NEAT puts forward one species champion per
        generation, as its code does on the double pole.

        Not a default for every population method: with CMA-ES's ~15 candidates a
        generation, a test of each generation's best is 70 times as many tests per
        evaluation as NEAT's one per 1,000, each up to 100,000 decisions long (a double
        pole run without velocities then took over 17 minutes)."""
        return None

    def best(self) -> Graph:
        """The best Graph found so far (the initial Graph before any candidate was)."""
        if self.problem is None:
            raise ValueError("call setup(problem, initial, rng) before best()")
        if self._best is None:
            return self.initial
        if self._best_graph is None:
            candidates, i = self._best
            self._best_graph = candidates.graph(i)
        return self._best_graph


class AskTell(Optimizer):
    """Helper base for population methods: write ``ask()`` and ``tell(fitness)``.

    ``ask()`` returns :class:`Candidates` (e.g. ``Candidates.of_params(self.network, X)``
    for parameter vectors X (P, n_params) of ``self.network``). ``tell`` receives
    higher-is-better fitness (P,), failed evaluations as -inf; it is not called for a
    generation the budget cut short (the run ends there). Override :meth:`rows` to
    evaluate on a subset of training rows (minibatch fitness).
    """

    def ask(self) -> Candidates:
        raise NotImplementedError

    def tell(self, fitness: np.ndarray) -> None:
        raise NotImplementedError

    def rows(self) -> np.ndarray | None:
        """Training rows to evaluate this generation on (None: all)."""
        return None

    def step(self) -> dict:
        candidates = self.ask()
        if not isinstance(candidates, Candidates):
            raise ValueError(
                f"{self.name or type(self).__name__}.ask() must return optimizers.Candidates, "
                f"got {type(candidates).__name__}"
            )
        idx = self.rows()
        values = self.problem.evaluate(candidates, idx, rng=self.rng)
        self.offer(values, candidates, replace=idx is not None)
        fitness = self.problem.fitness(values)
        if len(values) < len(candidates):  # the budget ran out mid-generation
            self.done = True
        else:
            self.tell(fitness)
        self.generation += 1
        return population_figures(values, fitness)


def population_figures(values: np.ndarray, fitness: np.ndarray) -> dict:
    """Best and mean objective of one evaluated population and its failed count."""
    finite = np.isfinite(values)
    best = float(values[int(np.argmax(fitness))]) if finite.any() else float("nan")
    return {
        "population_best": best,
        "population_mean": float(values[finite].mean()) if finite.any() else float("nan"),
        "failed": int(len(values) - finite.sum()),
    }
