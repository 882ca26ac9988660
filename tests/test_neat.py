"""The ``neat`` optimizer end to end: XOR with the paper's settings and success criterion,
what each generation reports, validity of every genome under every mutation, the start
options, metering, extinction, the dynamic threshold and failed evaluations.

The 100-seed check against the paper's XOR table runs in the default suite (about 10 s).
"""

from __future__ import annotations

import numpy as np
import pytest

import networks
import optimizers
from optimizers import Budget, SupervisedProblem, fit
from optimizers.neat import NEAT

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0, 1, 1, 0])


def xor_problem(**kw) -> SupervisedProblem:
    """XOR as in the paper: sigmoid (slope 4.9) output, squared error."""
    start = networks.minimal(2, 1, rng=np.random.default_rng(0))
    return SupervisedProblem(
        XOR_X, XOR_Y, task="classification", loss="mse", initial=start, name="xor", **kw
    )


def solve_xor(seed: int, max_gens: int = 200, **config) -> dict | None:
    """Run until some genome puts all four outputs on the correct side of 0.5. Returns
    generations (1-based), networks evaluated as NEAT's C++ counts them (pop x (gen - 1) +
    the winner's 1-based index) and the winner, or None if unsolved."""
    problem = xor_problem()
    opt = NEAT(**config)
    opt.setup(problem, np.random.default_rng(seed))
    P = opt.config.population
    for gen in range(1, max_gens + 1):
        opt.step()
        out = networks.forward_many(opt.population, XOR_X)[:, :, 0]
        ok = ((out > 0.5) == XOR_Y).all(axis=1)
        if ok.any():
            i = int(np.argmax(ok))
            assert problem.meter.evaluations == P * gen
            return dict(gens=gen, evals=P * (gen - 1) + i + 1, winner=opt.population[i])
    return None


def run(opt: NEAT, problem, steps: int, seed: int = 0) -> list[dict]:
    opt.setup(problem, np.random.default_rng(seed))
    return [opt.step() for _ in range(steps)]


def test_registered_as_neat():
    assert optimizers.get("neat") is NEAT
    with pytest.raises(ValueError, match="bogus"):
        NEAT(bogus=1)


@pytest.mark.parametrize("seed", range(5))
def test_solves_xor_with_the_papers_settings(seed):
    found = solve_xor(seed)
    assert found is not None, f"seed {seed} did not solve XOR in 200 generations"
    winner = found["winner"].validate()
    assert winner.n_hidden >= 1  # XOR needs a hidden node
    assert np.all(xor_problem().predict(winner, XOR_X) == XOR_Y)
    assert found["evals"] <= 150 * 100


def test_each_generation_reports_species_and_complexity():
    problem = xor_problem()
    opt = NEAT()
    records = run(opt, problem, 12)
    for r in records:
        assert sum(r["species_sizes"]) == 150 and r["species"] == len(r["species_sizes"])
        assert r["population_best"] <= r["population_mean"]  # mse: lower is better
        assert 0 <= r["mean_hidden"] and 0 < r["mean_connections"]
    last = records[-1]
    graphs = opt.population
    assert len(graphs) == 150
    assert last["mean_hidden"] == pytest.approx(np.mean([g.n_hidden for g in graphs]))
    assert last["mean_connections"] == pytest.approx(np.mean([g.n_enabled for g in graphs]))
    best = graphs[int(np.argmin(opt.values))]
    assert (last["best_hidden"], last["best_connections"]) == (best.n_hidden, best.n_enabled)
    assert last["population_best"] == opt.values.min()
    # the records flow into the run's curve
    result = fit(NEAT(), xor_problem(), Budget(steps=3), np.random.default_rng(0))
    assert {"species", "species_sizes", "best_hidden", "mean_connections"} <= set(result.curve[-1])
    assert result.meter["evaluations"] == 3 * 150


def test_every_genome_stays_valid_under_every_mutation():
    config = dict(
        population=40,
        add_node_rate=0.3,
        add_connection_rate=0.4,
        reenable_rate=0.2,
        delete_connection_rate=0.1,
        delete_node_rate=0.1,
        activation_mutate_rate=0.3,
        activation_options=("tanh", "relu", "gauss", "step"),
        interspecies_rate=0.2,
        target_species=4,
    )
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 4))
    problem = SupervisedProblem(X, rng.integers(0, 3, 30), task="classification", hidden=(3,))
    opt = NEAT(**config)
    opt.setup(problem, np.random.default_rng(1))
    ids = {}
    for _ in range(25):
        opt.step()
        assert len(opt.population) == 40
        for g in opt.population:
            g.validate()
            networks.compile(g)
            assert (g.n_inputs, g.n_outputs) == (4, 3)
            # an innovation number always names the same connection
            for s, t, inn in zip(g.conn_src.tolist(), g.conn_dst.tolist(), g.conn_innov.tolist()):
                assert ids.setdefault(inn, (s, t)) == (s, t)
    assert max(g.n_hidden for g in opt.population) > 0


def test_start_from_the_problems_initial_network():
    problem = SupervisedProblem(
        XOR_X, XOR_Y, task="classification", loss="mse", hidden=(3,), output_activation="sigmoid"
    )
    opt = NEAT(start="initial", population=30)
    opt.setup(problem, np.random.default_rng(0))
    opt.step()
    first = opt.population[0]
    assert sorted(first.connections) == sorted(problem.initial.connections)
    assert all(g.n_hidden == 3 and g.n_connections == 9 for g in opt.population)
    assert problem.score(opt.best())["train_loss"] <= problem.score(problem.initial)["train_loss"]


def test_minimal_start_keeps_the_problems_output_activation_unless_told():
    problem = SupervisedProblem(XOR_X, XOR_Y, task="classification", output_activation="tanh")
    for config, act in (({}, "tanh"), ({"output_activation": "identity"}, "identity")):
        opt = NEAT(population=10, **config)
        run(opt, problem, 1)
        g = opt.population[0]
        assert g.nodes[-1].activation == act and g.n_hidden == 0
        assert g.n_connections == 2


def test_complete_extinction_reseeds_and_the_run_goes_on():
    opt = NEAT(population=30, species_elitism=0, max_stagnation=1)
    records = run(opt, xor_problem(), 6)
    assert records[-1]["extinctions"] >= 1
    assert len(opt.population) == 30 and np.isfinite(opt.best_value)


def test_dynamic_threshold_steers_toward_the_target():
    opt = NEAT(population=60, target_species=8, threshold_step=0.5)
    records = run(opt, xor_problem(), 15)
    thresholds = [r["threshold"] for r in records]
    assert thresholds[0] == 3.0 and min(thresholds) >= opt.config.threshold_min
    # one species at first: the threshold falls until there are more than 8, then rises
    assert thresholds[1] == 2.5 and max(r["species"] for r in records) > 8
    rises = [b > a for a, b in zip(thresholds, thresholds[1:])]
    assert any(rises)


class PartlyFailing(SupervisedProblem):
    """Every third evaluation (or all of them) comes back NaN."""

    every = 3

    def evaluate_graphs(self, graphs, idx=None):
        values = super().evaluate_graphs(graphs, idx)
        values[:: self.every] = np.nan
        return values


@pytest.mark.parametrize("every", [3, 1])
def test_failed_evaluations_do_not_break_the_run(every):
    problem = PartlyFailing(XOR_X, XOR_Y, task="classification", loss="mse")
    problem.every = every
    opt = NEAT(population=30)
    records = run(opt, problem, 5)
    assert records[-1]["failed"] == len(range(0, 30, every))
    assert len(opt.population) == 30
    if every == 1:
        assert np.isnan(opt.best_value)
    else:
        assert np.isfinite(opt.best_value)


def test_same_seed_same_run_and_maximisation_sign():
    a, b = NEAT(population=40), NEAT(population=40)
    ra, rb = run(a, xor_problem(), 8, seed=3), run(b, xor_problem(), 8, seed=3)
    assert ra == rb
    assert [g.to_json() for g in a.population] == [g.to_json() for g in b.population]


def test_papers_xor_table_over_100_seeds():
    """Stanley & Miikkulainen 2002: 100/100 runs solved, mean 4,755 networks evaluated."""
    found = [solve_xor(seed, max_gens=300) for seed in range(100)]
    solved = [f for f in found if f is not None]
    assert len(solved) == 100
    assert np.mean([f["evals"] for f in solved]) <= 4755
