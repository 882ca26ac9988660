"""``random-search``: the sanity baseline every comparison needs.

Each generation draws ``population`` parameter vectors of the initial network's topology:
Gaussian perturbations (std ``sigma``) of the best vector so far (``mode="perturb"``: a
(1 + lambda) hill climber, whose parent is replaced only by a better child), or fresh
Gaussian vectors of std ``sigma`` (``mode="sample"``: pure random sampling).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import AskTell, Config, check, check_population
from .candidates import Candidates

__all__ = ["RandomSearch"]


@dataclass(frozen=True, kw_only=True)
class RandomSearchConfig(Config):
    population: int = 32
    sigma: float = 0.5
    mode: str = "perturb"

    def __post_init__(self) -> None:
        check("population", self.population, low=1, integer=True)
        check("sigma", self.sigma, low=0, low_open=True)
        check("mode", self.mode, choices=("perturb", "sample"))


class RandomSearch(AskTell):
    """Random search over the network's weights: a (1 + lambda) hill climber, or pure random
    sampling.

    Details in the module docstring."""

    name = "random-search"
    Config = RandomSearchConfig

    def _setup(self) -> None:
        self.network = self.problem.compile(self.initial)
        check_population("population", self.config.population, self.network.n_params)
        self.parent = np.asarray(self.network.params, dtype=np.float64)
        self.parent_fitness = -np.inf  # the initial network is not measured: any child wins

    def ask(self) -> Candidates:
        c = self.config
        noise = self.rng.standard_normal((c.population, self.network.n_params)) * c.sigma
        self.children = noise if c.mode == "sample" else self.parent + noise
        return Candidates.of_params(self.network, self.children)

    def tell(self, fitness: np.ndarray) -> None:
        i = int(np.argmax(fitness))
        if fitness[i] > self.parent_fitness:
            self.parent, self.parent_fitness = self.children[i], float(fitness[i])
