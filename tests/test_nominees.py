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
    """Evaluates the start twice each step; its best stays the
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


@pytest.mark.parametrize("name", ["ga", "cmaes", "es", "random-search", "backprop"])
def test_only_neat_puts_networks_forward(name):
    """The others are judged on their best so far alone (the ruler tests each new one)."""
    problem = xor_problem()
    opt = optimizers.get(name)()
    opt.setup(problem.metered(), xor_initial(seed=3), np.random.default_rng(0))
    for _ in range(3):
        opt.step()
        assert opt.nominee() is None


def test_neat_puts_forward_species_champions_as_neats_code_checks_them():
    """NEAT's pole2_epoch, written out per species: the best unchecked species' champion;
    a species whose champion beats its best ever is unchecked again; with every species
    checked, the best one again."""
    problem = xor_problem()
    opt = optimizers.get("neat")(population=40, c3=3.0, compatibility_threshold=6.0)
    opt.setup(problem.metered(), xor_initial(seed=3), np.random.default_rng(2))
    checked, species_seen, again, unchecked, twice = set(), [], 0, 0, 0
    last_all = False
    for _ in range(40):
        opt.step()
        f, labels = opt.fitness, opt.labels
        champions = {}
        for s, sid in enumerate(opt.species_id.tolist()):
            members = np.flatnonzero(labels == s)
            champions[sid] = (f[members].max(), members[np.argmax(f[members])])
            if champions[sid][0] > opt.species_best[s]:
                unchecked += sid in checked
                checked.discard(sid)
        ranked = sorted(champions, key=lambda sid: -champions[sid][0])  # stable: by index
        fresh = [sid for sid in ranked if sid not in checked]
        pick = fresh[0] if fresh else ranked[0]
        twice += not fresh and bool(again) and last_all  # the best species again, no round reset
        again += not fresh
        last_all = not fresh
        checked.add(pick)
        species_seen.append(len(ranked))
        graph, value = opt.nominee()
        i = champions[pick][1]
        assert graph is opt.population[i] and value == opt.values[i]
    # several species; some unchecked by an improvement, and every species checked at times
    assert max(species_seen) >= 3 and unchecked >= 1 and twice >= 1, (
        species_seen,
        unchecked,
        twice,
    )


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
