"""``random-search``: the sanity baseline every comparison needs.

Each generation draws ``population`` parameter vectors of the problem's initial topology:
Gaussian perturbations (std ``sigma``) of the best so far (``mode="perturb"``, a (1, lambda)
hill climber with elitism), or fresh Gaussian vectors of std ``sigma`` (``mode="sample"``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import AskTell, Config, check

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
    """Random search over the flat parameter vector; see the module docstring."""

    name = "random-search"
    Config = RandomSearchConfig

    def _setup(self) -> None:
        self.network = self.problem.compile(self.problem.initial)

    def ask(self) -> np.ndarray:
        c = self.config
        noise = self.rng.standard_normal((c.population, self.network.n_params)) * c.sigma
        if c.mode == "sample":
            return noise
        center = self._best_params if self._best_params is not None else self.network.params
        return center + noise

    def tell(self, fitness: np.ndarray) -> None:
        pass  # the base class keeps the best so far, which is all this method needs
