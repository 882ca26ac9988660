"""``es``: a self-adaptive evolution strategy over the flat parameter vector (DEAP's recipe).

Every individual carries its own step size per weight (``strategy``). Each generation DEAP's
``varOr`` makes ``lambda_`` offspring from the ``mu`` parents, each by exactly one of:
blend crossover of both weights and step sizes (``tools.cxESBlend``, probability ``cxpb``),
log-normal self-adaptive mutation (``tools.mutESLogNormal`` with learning parameter ``c``:
step sizes multiplied by exp(tau0 N(0,1) + tau N_i(0,1)), then weights perturbed with them;
probability ``mutpb``), or plain reproduction (the rest). Step sizes are kept >=
``min_strategy``. Truncation selection (``tools.selBest``) takes the ``mu`` best of the
offspring (``kind="comma"``, the (mu, lambda)-ES) or of parents and offspring
(``kind="plus"``, the (mu + lambda)-ES). The first parents are the run's initial
network plus ``mu - 1`` Gaussian perturbations of it (std ``init_sigma``), with every step
size ``init_sigma``.

Defaults, tuned on XOR (2-2-1 sigmoid) and iris (4-8-3 tanh): a (30 + 60)-ES with wide
blend crossover (alpha 1), step sizes starting at 1 and adapting slowly (c = 0.3): faster
self-adaptation (c = 1) or a narrower start settles on XOR's mse-1/8 plateau far more often
(97 of 100 seeds solved in 10,000 evaluations with the defaults, 50-90 otherwise). For
``kind="comma"`` choose lambda_ ~ 7 mu (e.g. mu=10, lambda_=70).

References: Schwefel 1977/1995; Beyer & Schwefel 2002, "Evolution strategies: a
comprehensive introduction", Natural Computing 1:3-52; DEAP's ``eaMuCommaLambda`` /
``eaMuPlusLambda``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from deap import algorithms, base, tools

from ._deap_tools import Individual, PopulationSearch, check_minibatch, check_population
from .base import Config, check

__all__ = ["ES"]


@dataclass(frozen=True, kw_only=True)
class ESConfig(Config):
    mu: int = 30
    lambda_: int = 60
    kind: str = "plus"
    cxpb: float = 0.6
    mutpb: float = 0.4
    alpha: float = 1.0  # cxESBlend extent
    c: float = 0.3  # learning parameter of the log-normal step-size rule
    indpb: float = 1.0  # probability that mutation touches each weight
    init_sigma: float = 1.0
    min_strategy: float = 1e-6
    minibatch_size: int | None = None

    def __post_init__(self) -> None:
        check("mu", self.mu, low=1, integer=True)
        check("lambda_", self.lambda_, low=1, integer=True)
        check("kind", self.kind, choices=("comma", "plus"))
        if self.kind == "comma" and self.lambda_ < self.mu:
            raise ValueError(
                f"lambda_ must be >= mu ({self.mu}) for a (mu, lambda) strategy, got {self.lambda_}"
            )
        check("cxpb", self.cxpb, low=0, high=1)
        check("mutpb", self.mutpb, low=0, high=1 - self.cxpb)
        if self.cxpb > 0 and self.mu < 2:
            raise ValueError(f"crossover (cxpb={self.cxpb}) needs mu >= 2, got mu={self.mu}")
        check("alpha", self.alpha, low=0)
        check("c", self.c, low=0, low_open=True)
        check("indpb", self.indpb, low=0, low_open=True, high=1)
        check("init_sigma", self.init_sigma, low=0, low_open=True)
        check("min_strategy", self.min_strategy, low=0)
        check_minibatch(self.minibatch_size)


class ES(PopulationSearch):
    """A (mu, lambda) or (mu + lambda) evolution strategy over the network's weights, each
    weight with its own self-adapted step size.

    Details in the module docstring."""

    name = "es"
    Config = ESConfig

    def _setup_search(self) -> None:
        c = self.config
        self.toolbox = base.Toolbox()
        self.toolbox.register("mate", tools.cxESBlend, alpha=c.alpha)
        self.toolbox.register("mutate", tools.mutESLogNormal, c=c.c, indpb=c.indpb)
        check_population("lambda_", c.lambda_, len(self.x0))
        X = self.initial_population(c.mu, c.init_sigma, "mu")
        step = [c.init_sigma] * len(self.x0)
        self.population = [Individual(x, step) for x in X.tolist()]

    def next_generation(self) -> list[Individual]:
        c = self.config
        parents = tools.selBest(self.population, c.mu)
        offspring = algorithms.varOr(parents, self.toolbox, c.lambda_, c.cxpb, c.mutpb)
        self._clamp([ind for ind in offspring if not ind.fitness.valid])
        return parents + offspring if c.kind == "plus" else offspring

    def force_change(self, population: list[Individual]) -> None:
        ind = self.toolbox.clone(population[-1])
        self.toolbox.mutate(ind)
        self._clamp([ind])
        del ind.fitness.values
        population[-1] = ind

    def _clamp(self, individuals: list[Individual]) -> None:
        """Step sizes of ``individuals`` kept >= min_strategy, all in one array operation."""
        if not individuals:
            return
        steps = np.maximum(
            np.array([ind.strategy for ind in individuals]), self.config.min_strategy
        ).tolist()
        for ind, row in zip(individuals, steps):
            ind.strategy = row

    def extra(self) -> dict:
        steps = np.array([ind.strategy for ind in self.population])
        return {"step_size": float(steps.mean())}
