"""The ``neat`` optimizer end to end: XOR with the paper's settings and success criterion,
what each generation reports, validity of every genome under every mutation, the start
options, metering, extinction, the dynamic threshold and failed evaluations.

Whether a run solved XOR is judged as for every optimizer: on ``best()``, as the loop
measures it (the curve's ``train_accuracy``: all four outputs on the correct side of 0.5).
The 100-seed check against the paper's XOR table runs in the default suite (about 10 s).
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import XOR_X, XOR_Y, MaximizeProblem, objective, xor_problem

import networks
import optimizers
from optimizers import Architecture, Budget, SupervisedProblem, fit
from optimizers.neat import NEAT

# The paper's start: a minimal 2-1 network, sigmoid (slope 4.9) output; NEAT draws the
# start weights itself and takes only the output activation from the initial network
START = networks.minimal(2, 1, rng=np.random.default_rng(0))


def solve_xor(seed: int, max_gens: int = 200, **config) -> dict | None:
    """Run NEAT through ``fit`` until ``best()`` classifies all four XOR cases right (the
    loop's ``train_accuracy`` is 1). Returns generations, networks evaluated as NEAT's C++
    counts them (pop x (gen - 1) + the winner's 1-based index in its generation), the
    winner (``result.best``) and the result, or None if unsolved."""
    opt = NEAT(**config)

    def stop_when_solved(record: dict) -> None:
        if record["train_accuracy"] == 1.0:
            opt.done = True

    result = fit(
        opt,
        xor_problem(),
        Budget(steps=max_gens),
        np.random.default_rng(seed),
        initial=START,
        on_step=stop_when_solved,
    )
    if result.curve[-1]["train_accuracy"] != 1.0:
        return None
    gens, P = result.meter["steps"], opt.config.population
    assert result.meter["evaluations"] == P * gens
    # best() first solved in this generation, so it is this generation's best genome
    i = int(np.argmax(opt.fitness))
    assert opt.values[i] == opt.best_value
    assert result.best == opt.population[i]
    return dict(gens=gens, evals=P * (gens - 1) + i + 1, winner=result.best, result=result)


def run(opt: NEAT, problem, steps: int, seed: int = 0, initial=START) -> list[dict]:
    opt.setup(problem, initial, np.random.default_rng(seed))
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
    assert found["result"].metrics["train_accuracy"] == 1.0
    assert found["evals"] <= 150 * 100


def test_each_generation_reports_species_and_complexity():
    problem = xor_problem()
    opt = NEAT()
    opt.setup(problem, START, np.random.default_rng(0))
    for _ in range(12):
        r = opt.step()
        graphs = opt.population
        assert len(graphs) == 150
        assert sum(r["species_sizes"]) == 150 and r["species"] == len(r["species_sizes"])
        # the record describes the population just evaluated, measured here independently
        values = np.array([objective(problem, g) for g in graphs])
        np.testing.assert_allclose(opt.values, values, rtol=1e-12)
        best = graphs[int(np.argmin(values))]
        assert r["population_best"] == pytest.approx(values.min(), rel=1e-12)
        assert r["population_mean"] == pytest.approx(values.mean(), rel=1e-12)
        assert r["best_fitness"] == -r["population_best"]  # mse: fitness is -objective
        assert (r["best_hidden"], r["best_connections"]) == (best.n_hidden, best.n_enabled)
        assert r["mean_hidden"] == pytest.approx(np.mean([g.n_hidden for g in graphs]))
        assert r["mean_connections"] == pytest.approx(np.mean([g.n_enabled for g in graphs]))
    assert max(g.n_hidden for g in opt.population) > 0  # 12 generations grew some nodes
    # the records flow into the run's curve, next to the loop's measurement of best()
    problem = xor_problem()
    result = fit(NEAT(), problem, Budget(steps=3), np.random.default_rng(0), initial=START)
    assert len(result.curve) == 3
    assert {"species", "species_sizes", "best_hidden", "mean_connections"} <= set(result.curve[-1])
    assert result.meter["evaluations"] == 3 * 150
    for k, record in enumerate(result.curve):
        # best-so-far (full-batch fitness): the best population_best up to this generation
        assert record["best_objective"] == min(r["population_best"] for r in result.curve[: k + 1])
    assert result.curve[-1]["train_loss"] == pytest.approx(
        objective(problem, result.best), rel=1e-12
    )
    assert result.curve[-1]["train_loss"] == pytest.approx(
        result.curve[-1]["best_objective"], rel=1e-12
    )


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
    problem = SupervisedProblem(X, rng.integers(0, 3, 30), task_type="classification")
    initial = Architecture(hidden=(3,)).build(4, 3, rng=np.random.default_rng(0))
    opt = NEAT(**config)
    opt.setup(problem, initial, np.random.default_rng(1))
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


# A 2-3-1 network for start="initial" (the old problem's default network, init seed 0)
INITIAL_231 = Architecture(hidden=(3,), output_activation="sigmoid")


def test_start_from_the_runs_initial_network():
    problem = xor_problem()
    initial = INITIAL_231.build(2, 1, rng=np.random.default_rng(0))
    opt = NEAT(start="initial", population=30)
    opt.setup(problem, initial, np.random.default_rng(0))
    opt.step()
    first = opt.population[0]
    assert first == initial  # genome 0 is the initial network itself
    assert opt.values[0] == pytest.approx(objective(problem, initial), rel=1e-12)
    for g in opt.population[1:]:  # the others: perturbed copies of it, same topology
        assert g.n_hidden == 3 and g.n_connections == 9
        assert np.array_equal(g.conn_src, initial.conn_src)
        assert np.array_equal(g.conn_dst, initial.conn_dst)
        assert not np.array_equal(g.conn_weight, initial.conn_weight)


def test_search_from_the_initial_network_improves_clearly():
    """Evolving from a 2-3-1 start (start="initial") at least halves its XOR loss within 50
    generations of 30 genomes, on every seed (measured on seeds 0-19: at most 0.38 of the
    start's loss, median 0.04)."""
    problem = xor_problem()
    for seed in range(5):
        initial = INITIAL_231.build(2, 1, rng=np.random.default_rng(seed))
        start = objective(problem, initial)
        result = fit(
            NEAT(start="initial", population=30),
            problem,
            Budget(steps=50),
            np.random.default_rng(seed),
            initial=initial,
        )
        assert result.metrics["train_loss"] < 0.5 * start, (seed, start, result.metrics)


def test_minimal_start_keeps_the_initial_output_activation_unless_told():
    problem = xor_problem()
    initial = Architecture(output_activation="tanh").build(2, 1, rng=np.random.default_rng(0))
    for config, act in (({}, "tanh"), ({"output_activation": "identity"}, "identity")):
        opt = NEAT(population=10, **config)
        run(opt, problem, 1, initial=initial)
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

    def _objectives(self, candidates, rows, rng):
        values = np.array(super()._objectives(candidates, rows, rng), dtype=np.float64)
        values[:: self.every] = np.nan
        return values


@pytest.mark.parametrize("every", [3, 1])
def test_failed_evaluations_do_not_break_the_run(every):
    problem = PartlyFailing(XOR_X, XOR_Y, task_type="classification", loss="mse")
    problem.every = every
    opt = NEAT(population=30)
    records = run(opt, problem, 5)
    assert all(r["failed"] == len(range(0, 30, every)) for r in records)
    assert len(opt.population) == 30
    if every == 1:
        assert np.isnan(opt.best_value)
        assert opt.best() is START  # nothing evaluated: best() is still the initial network
    else:
        assert np.isfinite(opt.best_value)
        assert opt.best_value == pytest.approx(objective(problem, opt.best()), rel=1e-12)


def test_same_seed_same_run_and_maximisation_sign():
    a, b = NEAT(population=40), NEAT(population=40)
    ra, rb = run(a, xor_problem(), 8, seed=3), run(b, xor_problem(), 8, seed=3)
    assert ra == rb
    assert [g.to_json() for g in a.population] == [g.to_json() for g in b.population]
    # maximising -mse is the same search as minimising mse; the figures flip sign
    m = NEAT(population=40)
    rm = run(m, MaximizeProblem(xor_problem()), 8, seed=3)
    assert [g.to_json() for g in m.population] == [g.to_json() for g in a.population]
    assert [r["population_best"] for r in rm] == [-r["population_best"] for r in ra]
    assert [r["best_fitness"] for r in rm] == [r["best_fitness"] for r in ra]
    assert m.best_value == -a.best_value


def test_papers_xor_table_over_100_seeds():
    """Stanley & Miikkulainen 2002: 100/100 runs solved, mean 4,755 networks evaluated.

    Judged on best() (the loop's view), seeds 0-99 here solve 100/100 with 3,465 networks
    evaluated on average (NEAT's C++ count; sd 2,032, worst 15,738; mean 23.6 generations,
    median 21). Counting a run solved when any genome of the population solved, as this
    test used to, gave 100/100 and 3,428 (23.4 generations): best() is the population's
    best by fitness (lowest mse), which in 4 runs of 100 classified XOR a few generations
    after some other genome did."""
    found = [solve_xor(seed, max_gens=300) for seed in range(100)]
    solved = [f for f in found if f is not None]
    assert len(solved) == 100
    assert np.mean([f["evals"] for f in solved]) <= 4755
