"""A study script with its own optimizers, as a user writes one: probes for the runner's
tests. Each probe is a real optimizer (it evaluates what it offers, through the metered
problem); ``mode`` picks how its runs end."""

import os
import time
from dataclasses import dataclass

import numpy as np

from optimizers import AskTell, Candidates, Config, check, register
from studies import Study


@dataclass(frozen=True, kw_only=True)
class ProbeConfig(Config):
    mode: str = "initial"  # initial | search | raise | nan | exit
    population: int = 4
    sleep: float = 0.0  # seconds per step (to make a study slow enough to kill)

    def __post_init__(self) -> None:
        check("mode", self.mode, choices=("initial", "search", "raise", "nan", "exit"))
        check("population", self.population, low=1, integer=True)
        check("sleep", self.sleep, low=0)


@register
class Probe(AskTell):
    """``initial``: evaluate the starting network once and stop (its best is the initial
    Graph); ``search``: random perturbations of the best, like a (1+lambda) hill climber;
    ``raise``: raise in the first step; ``nan``: offer exploded weights (NaN outputs); ``exit``: kill its own
    process."""

    name = "test-probe"
    Config = ProbeConfig

    def _setup(self) -> None:
        self.network = self.problem.compile(self.initial)
        self.parent = np.asarray(self.network.params, dtype=np.float64)
        self.parent_fitness = -np.inf

    def ask(self) -> Candidates:
        c = self.config
        if c.sleep:
            time.sleep(c.sleep)
        if c.mode == "raise":
            raise RuntimeError("probe raised on purpose")
        if c.mode == "exit":
            os._exit(3)
        if c.mode == "initial":
            self.done = True
            self.children = self.parent[None, :]
        elif c.mode == "nan":
            # weights that exploded: finite, but every output overflows to inf or NaN
            self.children = np.full((c.population, len(self.parent)), np.finfo(float).max)
        else:
            noise = self.rng.standard_normal((c.population, len(self.parent)))
            self.children = self.parent + 0.5 * noise
        return Candidates.of_params(self.network, self.children)

    def tell(self, fitness) -> None:
        i = int(np.argmax(fitness))
        if fitness[i] > self.parent_fitness:
            self.parent, self.parent_fitness = self.children[i], float(fitness[i])

    def offer(self, values, candidates, *, replace=False) -> None:
        super().offer(values, candidates, replace=replace or self.config.mode == "nan")


SLEEP = float(os.environ.get("PROBE_SLEEP", "0"))
SEEDS = int(os.environ.get("PROBE_SEEDS", "2"))

study = Study(
    name="probes",
    tasks=["xor", {"name": "parity", "bits": 3}],
    optimizers={
        "search": ("test-probe", {"mode": "search", "sleep": SLEEP}),
        "search-b": ("test-probe", {"mode": "search", "population": 6, "sleep": SLEEP}),
        "rs": ("random-search", {"population": 8}),
    },
    seeds=SEEDS,
    budget={"evaluations": 200},
)
