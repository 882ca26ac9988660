"""What ``ga``, ``es`` and ``cmaes`` share: DEAP without ``creator``, and weight-search plumbing.

DEAP's usual recipe writes classes into ``deap.creator``'s module globals at run time; those
classes do not exist in a joblib worker that did not run the same ``creator.create`` calls,
so individuals made with them fail to unpickle there. Here the individual and its fitness
are ordinary module-level classes (:class:`Individual`, :class:`Fitness`) that pickle
anywhere, and DEAP's tools (selection, variation operators, HallOfFame, Statistics, Logbook)
work on them unchanged.

DEAP's operators draw from Python's global ``random``, which all threads of a process share,
so runs in threads of one process (a Dask worker with several threads, ``fit`` called in
threads) would interleave their draws. A run therefore keeps its own state of Python's
generator (:class:`DeapRandom`, seeded once from the run's rng at setup: the stream a lone
run seeding ``random`` would see) and lends it to the global ``random`` only around its
DEAP calls, under one lock for the process; on the way out it takes the state back and
restores what the global held. A run's result thus depends only on its own rng, whichever
thread it runs in and whatever the global held, and its stream travels with it when it is
pickled. This is the one place neuroarena touches global random state. Only breeding is
serialised: evaluations run outside the lock, so threads still overlap on them. (Code
outside neuroarena that draws from ``random`` in another thread during those calls, without
the lock, could still take from a run's stream; only DEAP taking a generator would stop it.)

DEAP's variation operators loop over genes in Python, so their own time per generation grows
with the number of weights: well under a millisecond for the 67-weight iris network, tens of
milliseconds (GA) to about a hundred (ES) for a digits network of a few thousand weights
(timed by hand, not by a benchmark), and threads take turns at it; evaluation stays one
batched call per generation.
"""

from __future__ import annotations

import contextlib
import copy
import random
import threading

import numpy as np
from deap import base, tools

from .base import AskTell, check, check_population
from .candidates import Candidates

__all__ = [
    "DeapRandom",
    "Fitness",
    "Individual",
    "WeightSearch",
    "PopulationSearch",
    "check_minibatch",
]


_LOCK = threading.Lock()  # one for the process, as Python's global random is


class DeapRandom:
    """One run's stream for DEAP's operators: a state of Python's generator, seeded from
    ``rng`` (one draw), and lent to the global ``random`` by ``with stream(): ...``."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.state = random.Random(int(rng.integers(2**63))).getstate()

    @contextlib.contextmanager
    def __call__(self):
        """Hold the process-wide lock, with this stream in the global ``random``; on the
        way out keep where the stream got to and put back what the global held before."""
        with _LOCK:
            outside = random.getstate()
            random.setstate(self.state)
            try:
                yield
            finally:
                self.state = random.getstate()
                random.setstate(outside)


class Fitness(base.Fitness):
    """One higher-is-better value: what :meth:`AskTell.tell` receives (failures are -inf)."""

    weights = (1.0,)


class Individual(list):
    """A DEAP individual without ``creator``: a list of floats with ``fitness`` (a
    :class:`Fitness`) and, for evolution strategies, a per-gene ``strategy`` list."""

    def __init__(self, values=(), strategy=None) -> None:
        super().__init__(values)
        self.fitness = Fitness()
        self.strategy = None if strategy is None else list(strategy)

    def __deepcopy__(self, memo) -> Individual:  # what DEAP's clone and HallOfFame call
        new = type(self)(self, self.strategy)
        new.fitness = copy.deepcopy(self.fitness, memo)
        return new


def check_minibatch(value) -> None:
    """Validate a ``minibatch_size`` config field (None means full-batch fitness)."""
    if value is not None:
        check("minibatch_size", value, low=1, integer=True)


def _statistics() -> tools.Statistics:
    stats = tools.Statistics()  # over objective values, so the curve stays in loss units
    for name, fn in (("min", np.min), ("max", np.max), ("mean", np.mean), ("std", np.std)):
        stats.register(name, fn)
    return stats


class WeightSearch(AskTell):
    """Search over the flat parameter vector of the initial Graph's topology.

    Gives subclasses ``self.network`` and ``self.x0`` (the initial parameters, float64), a
    DEAP Statistics/Logbook pair recorded each generation, ``self.deap_random`` (the run's
    stream for DEAP's operators: call them inside ``with self.deap_random():``, and
    nothing else that waits or evaluates), and minibatch fitness: with
    ``config.minibatch_size`` set, each generation is evaluated on that many training rows
    drawn without replacement from ``self.rng`` (LEEA-style noisy fitness).
    """

    def _setup(self) -> None:
        k = self.config.minibatch_size
        if k is not None and k > self.problem.n_train:
            raise ValueError(
                f"minibatch_size={k} is larger than the training set ({self.problem.n_train} "
                "rows): choose a smaller one, or None for full-batch fitness"
            )
        self.deap_random = DeapRandom(self.rng)  # first, where the old seeding drew: same numbers
        self.network = self.problem.compile(self.initial)
        self.x0 = np.asarray(self.network.params, dtype=np.float64).copy()
        self.stats = _statistics()
        self.logbook = tools.Logbook()
        self._record: dict = {}
        self._setup_search()

    def _setup_search(self) -> None:
        raise NotImplementedError

    @property
    def noisy(self) -> bool:
        """Whether fitness is measured on a fresh minibatch each generation."""
        k = self.config.minibatch_size
        return k is not None and k < self.problem.n_train

    def rows(self) -> np.ndarray | None:
        if not self.noisy:
            return None
        return self.rng.choice(self.problem.n_train, size=self.config.minibatch_size, replace=False)

    def record(self, fitness: np.ndarray, nevals: int, **extra) -> None:
        """Log one generation: statistics of the population's objective values (failed
        evaluations left out and counted), in the Logbook and in the next step's result."""
        fitness = np.asarray(fitness, dtype=np.float64)
        ok = np.isfinite(fitness)
        values = self.problem.objective_of(fitness[ok])
        if len(values):
            s = self.stats.compile(values)
        else:
            s = dict.fromkeys(("min", "max", "mean", "std"), float("nan"))
        s = {k: float(v) for k, v in s.items()}
        self.logbook.record(gen=self.generation, nevals=nevals, **s, **extra)
        order = np.argsort(fitness[ok])
        self._record = {
            "population_best": float(values[order[-1]]) if len(values) else float("nan"),
            "population_worst": float(values[order[0]]) if len(values) else float("nan"),
            "population_mean": s["mean"],
            "population_std": s["std"],
            "failed": int(len(fitness) - ok.sum()),
            "nevals": nevals,
            **extra,
        }

    def step(self) -> dict:
        info = super().step()
        info.update(self._record)
        return info


class PopulationSearch(WeightSearch):
    """A DEAP population of :class:`Individual` (GA, ES): each generation evaluates, in one
    batched call, the individuals without a valid fitness (all of them when fitness is
    noisy), then :meth:`next_generation` breeds the next population."""

    population: list[Individual]

    def ask(self) -> Candidates:
        if self.noisy:  # a new minibatch: every individual must be measured on it
            for ind in self.population:
                del ind.fitness.values
        pending, seen = [], set()
        for ind in self.population:  # an individual may appear twice (DEAP's reproduction)
            if not ind.fitness.valid and id(ind) not in seen:
                seen.add(id(ind))
                pending.append(ind)
        self._pending = pending
        X = np.array(pending, dtype=np.float64).reshape(len(pending), len(self.x0))
        return Candidates.of_params(self.network, X)

    def tell(self, fitness: np.ndarray) -> None:
        for ind, f in zip(self._pending, fitness):
            ind.fitness.values = (float(f),)
        nevals = len(self._pending)
        self._pending = []
        self.record([ind.fitness.values[0] for ind in self.population], nevals, **self.extra())
        with self.deap_random():  # breeding only: evaluation (in step) stays outside the lock
            self.population = self.next_generation()
            if not self.noisy and all(ind.fitness.valid for ind in self.population):
                self.force_change(self.population)  # (noisy: ask re-measures everyone anyway)

    def extra(self) -> dict:
        """Algorithm-specific figures for this generation's record."""
        return {}

    def next_generation(self) -> list[Individual]:
        """The next population, bred from ``self.population`` (evaluated). Called with the
        run's stream in Python's ``random`` (see :class:`DeapRandom`), as is
        :meth:`force_change`."""
        raise NotImplementedError

    def force_change(self, population: list[Individual]) -> None:
        """Called when breeding changed no one: vary someone so the generation spends
        compute (subclasses mutate; the default re-measures the last individual)."""
        del population[-1].fitness.values

    def initial_population(self, size: int, sigma: float, field: str) -> np.ndarray:
        """``size`` parameter vectors around the initial network: the first is exactly
        ``self.x0`` (so nothing starts worse than backprop's start), the rest add
        N(0, sigma^2) noise from ``self.rng``. Shape (size, n_params). ``field``: the
        config field that sets ``size`` (named if it is too large to allocate)."""
        check_population(field, size, len(self.x0))
        X = self.x0 + sigma * self.rng.standard_normal((size, len(self.x0)))
        X[0] = self.x0
        return X
