"""Networks put forward for the success test (``Optimizer.nominee``), as NEAT's code tests
one species champion per generation on the double pole: measured by the loop's ruler,
never charged, and a nominee that reaches the target ends the run as its best."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import cartpole_initial, cartpole_problem, xor_initial, xor_problem

import optimizers
from optimizers import AskTell, Budget, Candidates, fit


class Nominating(AskTell):
    """Evaluates the same two perturbations of the start each step; its best stays the
    initial network (it never offers), and it puts forward a network of its own from
    step ``win`` on: the loop must find it."""

    name = ""

    def __init__(self, win: int, good) -> None:
        super().__init__()
        self.win, self.good = win, good

    def _setup(self) -> None:
        self.network = self.problem.compile(self.initial)
        self.steps = 0

    def step(self) -> dict:
        self.steps += 1
        rows = self.network.params + np.zeros((2, self.network.n_params))
        self.problem.evaluate(Candidates.of_params(self.network, rows), rng=self.rng)
        return {}

    def nominee(self):
        if self.steps < self.win:
            return xor_initial(seed=100 + self.steps), 0.5
        return self.good, 0.25


def best_of_seeds(problem):
    """The network of the seeds 0..29 closest to solving XOR (the others used here: worse)."""
    graphs = [xor_initial(seed=s) for s in range(30)]
    losses = [problem.score(g)["train_loss"] for g in graphs]
    good = graphs[int(np.argmin(losses))]
    others = [xor_initial(seed=1)] + [xor_initial(seed=100 + k) for k in range(6)]
    assert all(problem.score(g)["train_loss"] > min(losses) for g in others)
    return good, min(losses)


def test_a_nominee_that_reaches_the_target_ends_the_run_as_its_best():
    problem = xor_problem()
    good, target = best_of_seeds(problem)
    budget = Budget(evaluations=100)
    stop = lambda row: row["train_loss"] <= target  # noqa: E731
    seen = []
    result = fit(Nominating(3, good), problem, budget, np.random.default_rng(0),
                 initial=xor_initial(seed=1), stop=stop, on_step=seen.append)  # fmt: skip
    assert result.best is good and result.metrics == problem.score(good)
    assert len(result.curve) == 3 and result.curve[-1]["train_loss"] == target
    assert result.curve[-1]["best_objective"] == 0.25
    # the curve before the win shows the best so far (the initial network), not nominees
    start = problem.score(xor_initial(seed=1))["train_loss"]
    assert [r["train_loss"] for r in result.curve[:2]] == [start, start] != [target] * 2
    # the tests were not charged: two evaluations a step, three steps
    assert result.meter["evaluations"] == 6
    # without stop, nominees are never asked for and the run spends its budget
    whole = fit(Nominating(3, good), problem, budget, np.random.default_rng(0),
                initial=xor_initial(seed=1))  # fmt: skip
    assert whole.best is not good and whole.meter["evaluations"] == 100


def test_screen_skips_the_further_measure_of_a_hopeless_nominee():
    problem = xor_problem()
    good, target = best_of_seeds(problem)
    measured = []

    def measure(graph):
        measured.append(graph)
        return {"test_loss": 0.0}

    result = fit(Nominating(4, good), problem, Budget(evaluations=100),
                 np.random.default_rng(0), initial=xor_initial(seed=1), measure=measure,
                 stop=lambda row: row["train_loss"] <= target,
                 screen=lambda figures: figures["train_loss"] <= target)  # fmt: skip
    assert result.best is good and len(result.curve) == 4
    # measured: the best (the initial network) once, and the winning nominee only
    assert len(measured) == 2 and measured[-1] is good


def test_the_default_nominee_is_the_last_batchs_best_when_it_is_not_the_best():
    problem = xor_problem()
    opt = optimizers.get("ga")(population=6)
    opt.setup(problem.metered(), xor_initial(seed=3), np.random.default_rng(0))
    put = 0
    for _ in range(8):
        opt.step()
        got = opt.nominee()
        if got is None:
            continue
        put += 1
        graph, objective = got
        # its objective is what the problem gives it, no better than the best so far's
        assert problem.metered().evaluate(Candidates.of_graphs([graph]))[0] == objective
        assert objective >= opt.best_value and graph != opt.best()
    assert put >= 2


def test_neat_puts_forward_each_species_champion_in_turn_best_first():
    problem = cartpole_problem()
    opt = optimizers.get("neat")(population=60, c3=3.0, compatibility_threshold=1.0)
    opt.setup(problem.metered(), cartpole_initial(), np.random.default_rng(2))
    opt.step()
    f, labels = opt.fitness, opt.labels
    # the reference: species ranked by their champion's fitness, one loop per species
    champions = []
    for s in range(len(opt.species_id)):
        members = np.flatnonzero(labels == s)
        champions.append((f[members].max(), members[np.argmax(f[members])]))
    ranked = [i for _, i in sorted(champions, key=lambda c: -c[0])]
    assert len(ranked) >= 3
    put = [opt.nominee() for _ in range(len(ranked) + 2)]
    expected = ranked + ranked[:2]  # a new round once every species has had its turn
    for (graph, value), i in zip(put, expected):
        assert graph is opt.population[i] and value == opt.values[i]


@pytest.mark.parametrize("name", ["neat", "ga", "cmaes", "random-search"])
def test_nominees_never_change_what_an_optimizer_does(name):
    """The same run with and without stop (a target never reached): the same meter, the
    same best, the same curve figures (seconds aside)."""
    problem = cartpole_problem()
    kw = dict(initial=cartpole_initial(), record_every=1)
    budget = Budget(evaluations=300)
    plain = fit(optimizers.get(name)(), problem, budget, np.random.default_rng(5), **kw)
    asked = fit(optimizers.get(name)(), problem, budget, np.random.default_rng(5),
                stop=lambda row: False, **kw)  # fmt: skip
    assert plain.meter["evaluations"] == asked.meter["evaluations"] == 300
    assert plain.best == asked.best
    drop = lambda curve: [{k: v for k, v in r.items() if k != "seconds"} for r in curve]  # noqa: E731
    assert drop(plain.curve) == drop(asked.curve)
