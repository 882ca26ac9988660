"""A user's own optimizer, written in a study script the way README describes: a class on
AskTell with a name and a frozen Config, registered with @register, driven by fit like the
built-ins. One hand-written strategy (cross-entropy method), and pycma wrapped the same way
where it is installed (the bench extra)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from helpers import xor_problem

import optimizers
from optimizers import AskTell, Budget, Config, check, fit, register, unregister


@dataclass(frozen=True, kw_only=True)
class CEMConfig(Config):
    population: int = 40
    elite: int = 8
    sigma: float = 1.0

    def __post_init__(self) -> None:
        check("population", self.population, low=2, integer=True)
        check("elite", self.elite, low=1, high=self.population, integer=True)
        check("sigma", self.sigma, low=0, low_open=True)


class CEM(AskTell):
    """Cross-entropy method: sample around a mean, refit mean and std to the elite."""

    name = "test-cem"
    Config = CEMConfig

    def _setup(self) -> None:
        self.network = self.problem.compile(self.problem.initial)
        self.mean = self.network.params.copy()
        self.std = np.full_like(self.mean, self.config.sigma)

    def ask(self) -> np.ndarray:
        noise = self.rng.standard_normal((self.config.population, len(self.mean)))
        self.candidates = self.mean + self.std * noise
        return self.candidates

    def tell(self, fitness: np.ndarray) -> None:
        elite = self.candidates[np.argsort(-fitness)[: self.config.elite]]
        self.mean, self.std = elite.mean(axis=0), elite.std(axis=0) + 1e-3


def test_a_registered_user_optimizer_runs_like_a_builtin():
    register(CEM)
    try:
        assert "test-cem" in optimizers.available()
        cls = optimizers.get("test-cem")
        a = fit(cls(), xor_problem(), Budget(evaluations=4_000), np.random.default_rng(1))
        b = fit(cls(), xor_problem(), Budget(evaluations=4_000), np.random.default_rng(1))
        assert a.best.to_json() == b.best.to_json()
        start = xor_problem().score(xor_problem().initial)["train_loss"]
        assert a.metrics["train_loss"] < 0.5 * start, (a.metrics, start)
        assert a.meter["evaluations"] <= 4_000 + 40
        with pytest.raises(ValueError, match="elite must be"):
            cls(elite=100)
    finally:
        unregister("test-cem")
    assert "test-cem" not in optimizers.available()


def test_pycma_wrapped_through_ask_tell():
    cma = pytest.importorskip("cma")

    class PyCMA(AskTell):
        name = "test-pycma"

        def _setup(self) -> None:
            self.network = self.problem.compile(self.problem.initial)
            seed = int(self.rng.integers(1, 2**31 - 1))
            self.es = cma.CMAEvolutionStrategy(
                self.network.params, 0.5, {"seed": seed, "verbose": -9}
            )

        def ask(self) -> np.ndarray:
            self.candidates = np.array(self.es.ask())
            return self.candidates

        def tell(self, fitness: np.ndarray) -> None:
            # pycma minimises; failed evaluations (-inf fitness) become a large loss
            self.es.tell(list(self.candidates), list(np.minimum(-fitness, 1e300)))

    a = fit(PyCMA(), xor_problem(), Budget(evaluations=3_000), np.random.default_rng(2))
    b = fit(PyCMA(), xor_problem(), Budget(evaluations=3_000), np.random.default_rng(2))
    assert a.best.to_json() == b.best.to_json()
    assert a.metrics["train_loss"] < xor_problem().score(xor_problem().initial)["train_loss"]
