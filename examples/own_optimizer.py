"""Compare an optimizer of your own with the built-in ones.

An ask/tell optimizer is a class with a ``name``, a frozen ``Config`` dataclass (its
fields are the parameters a study may set), ``_setup()``, ``ask()`` (parameter vectors to
evaluate) and ``tell(fitness)`` (higher is better; a failed evaluation is -inf). The
shared loop owns the budget: every evaluation it asks for is metered and charged, exactly
as for the built-in optimizers. Registered with ``@register``, it is used by name in the
study below, and it runs in worker processes too (the script's classes travel with the
runs), so ``--jobs 2`` works:

    python examples/own_optimizer.py
    neuroarena run examples/own_optimizer.py --jobs 2

``NEUROARENA_EXAMPLE_QUICK=1`` shrinks the budget (the test suite runs it that way).
"""

import os
from dataclasses import dataclass

import numpy as np

from optimizers import AskTell, Candidates, Config, check, register
from studies import Study

QUICK = os.environ.get("NEUROARENA_EXAMPLE_QUICK") == "1"


@dataclass(frozen=True, kw_only=True)
class HillClimberConfig(Config):
    population: int = 16  # children of the parent per step
    sigma: float = 0.5  # initial mutation step size
    adapt: float = 1.5  # step size x adapt after a success, / adapt**0.25 after a failure

    def __post_init__(self) -> None:
        check("population", self.population, low=1, integer=True)
        check("sigma", self.sigma, low=0, low_open=True)
        check("adapt", self.adapt, low=1)


@register
class HillClimber(AskTell):
    """A (1+lambda) hill climber over the weights with Rechenberg's 1/5 success rule: the
    step size grows after an improving step and shrinks after a failed one, so it stays
    put when one in five steps improves."""

    name = "hill-climber"
    Config = HillClimberConfig

    def _setup(self) -> None:  # self.problem (metered), self.initial and self.rng are set
        self.network = self.problem.compile(self.initial)
        self.parent = np.asarray(self.network.params, dtype=np.float64)
        self.fitness = -np.inf
        self.sigma = self.config.sigma

    def ask(self) -> Candidates:
        noise = self.rng.standard_normal((self.config.population, len(self.parent)))
        self.children = self.parent + self.sigma * noise
        return Candidates.of_params(self.network, self.children)

    def tell(self, fitness: np.ndarray) -> None:
        i = int(np.argmax(fitness))
        if fitness[i] > self.fitness:
            self.parent, self.fitness = self.children[i], float(fitness[i])
            self.sigma *= self.config.adapt
        else:
            self.sigma /= self.config.adapt**0.25

    def step(self) -> dict:  # optional: what a step returns is stored with the curve
        return {**super().step(), "sigma": self.sigma}


study = Study(
    name="own-optimizer",
    tasks=["xor", "iris"],
    optimizers={
        "hill-climber": "hill-climber",
        "hill-climber-wide": ("hill-climber", {"population": 64}),
        "random-search": "random-search",
        "cmaes": "cmaes",
        "backprop": ("backprop", {"rule": "adam", "lr": 0.01}),
    },
    budget={"evaluations": 300 if QUICK else 3_000},
    seeds=1 if QUICK else 5,
)

if __name__ == "__main__":
    from studies import load, run_study, summary_table

    outcome = run_study(study, n_jobs=2)
    print(summary_table(load(outcome.out).runs, [t.key for t in study.tasks]))
    print(f"\nstore: {outcome.store}")
