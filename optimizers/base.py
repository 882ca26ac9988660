"""The Optimizer interface, its shared bookkeeping, and the ask/tell helper.

The shared loop (:func:`optimizers.fit`) drives every optimizer the same way::

    opt.setup(problem, rng)   # once
    opt.step()                # one epoch / one generation; returns metrics as a dict
    opt.best()                # the best Graph so far

An optimizer spends compute only through ``problem`` (which meters it) and draws random
numbers only from ``rng``. The base class keeps the best-so-far (NaN objectives count as
failed evaluations and never become best); subclasses write only the algorithm.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from networks import Graph, Network

from .problem import Problem

__all__ = ["Optimizer", "AskTell", "Config", "make_config", "check"]


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


class Optimizer:
    """Base class: configure with keyword parameters, then setup/step/best.

    Subclasses set ``name`` and ``Config`` and implement ``_setup`` and ``step``; they call
    :meth:`offer` with what they evaluated so the base keeps the best-so-far.
    """

    name: ClassVar[str] = ""
    Config: ClassVar[type[Config]] = Config

    def __init__(self, **params) -> None:
        self.config = make_config(self.Config, params, self.name or type(self).__name__)
        self.problem: Problem | None = None
        self.done = False

    def setup(self, problem: Problem, rng: np.random.Generator) -> None:
        if not isinstance(problem, Problem):
            raise ValueError(f"setup needs an optimizers.Problem, got {type(problem).__name__}")
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        self.problem, self.rng = problem, rng
        self.done = False
        self.generation = 0
        self.best_value = float("nan")
        self._best_graph: Graph | None = None
        self._best_params: np.ndarray | None = None
        self._best_network: Network | None = None
        self._setup()

    def _setup(self) -> None:
        """Algorithm-specific initialisation (self.problem and self.rng are set)."""

    def step(self) -> dict:
        raise NotImplementedError

    # -- best-so-far ----------------------------------------------------------------
    def offer(
        self,
        values: np.ndarray,
        *,
        params: np.ndarray | None = None,
        network: Network | None = None,
        graphs: Sequence[Graph] | None = None,
        replace: bool = False,
    ) -> None:
        """Consider evaluated candidates for best-so-far: objective ``values`` (P,) with
        either ``params`` (P, n_params) of ``network`` or ``graphs``. With ``replace``, the
        best of this batch becomes best-so-far even if worse (for noisy objectives)."""
        values = np.asarray(values, dtype=np.float64).reshape(-1)
        fit = self.problem.fitness(values)
        i = int(np.argmax(fit))
        if not np.isfinite(fit[i]) and not replace:
            return
        if replace or self.problem.is_better(values[i], self.best_value):
            self.best_value = float(values[i])
            if graphs is not None:
                self._best_graph, self._best_params = graphs[i], None
            else:
                self._best_params = np.array(
                    params[i] if np.ndim(params) == 2 else params, copy=True
                )
                self._best_network, self._best_graph = network, None

    def best(self) -> Graph:
        """The best Graph found so far (the problem's initial network before any step)."""
        if self.problem is None:
            raise ValueError("call setup(problem, rng) before best()")
        if self._best_graph is None:
            if self._best_params is None:
                return self.problem.initial
            self._best_graph = self._best_network.to_graph(self._best_params)
        return self._best_graph


class AskTell(Optimizer):
    """Helper base for population methods: write ``ask()`` and ``tell(fitness)``.

    ``ask()`` returns either parameter vectors (P, n_params) of ``self.network`` (set it in
    ``_setup``, e.g. ``self.network = self.problem.compile(self.problem.initial)``) or a
    list of Graphs. ``tell`` receives higher-is-better fitness (P,), failed evaluations as
    -inf. Override :meth:`rows` to evaluate on a subset of training rows (minibatch fitness).
    """

    network: Network | None = None

    def ask(self) -> np.ndarray | list[Graph]:
        raise NotImplementedError

    def tell(self, fitness: np.ndarray) -> None:
        raise NotImplementedError

    def rows(self) -> np.ndarray | None:
        """Training rows to evaluate this generation on (None: all)."""
        return None

    def step(self) -> dict:
        candidates = self.ask()
        idx = self.rows()
        if isinstance(candidates, np.ndarray):
            values = self.problem.evaluate(candidates, self.network, idx)
            self.offer(values, params=candidates, network=self.network, replace=idx is not None)
        else:
            values = self.problem.evaluate_graphs(candidates, idx)
            self.offer(values, graphs=candidates, replace=idx is not None)
        self.tell(self.problem.fitness(values))
        self.generation += 1
        finite = values[np.isfinite(values)]
        return {
            "population_best": float(finite.min() if not self.problem.maximize else finite.max())
            if len(finite)
            else float("nan"),
            "population_mean": float(finite.mean()) if len(finite) else float("nan"),
            "failed": int(len(values) - len(finite)),
        }
