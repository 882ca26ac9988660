"""Recurrent connections: validation, JSON, and compiled stepping (one network, its
parameter rows, and mixed populations with and without recurrence) against a naive
per-node, per-step reference (tests/strategies.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import graphs, recurrent_graphs, reference_steps, with_random_values

import networks
from networks import Graph, RecurrentBatch, RecurrentNetwork

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
seeds = st.integers(0, 2**32 - 1)


def loop_graph() -> Graph:
    """Two inputs, a hidden self-loop, a cycle through a recurrent connection and an output
    fed back to a hidden node."""
    return Graph.from_lists(
        [(0, "input"), (1, "input"), (5, "output", "tanh", 0.1), (3, "hidden", "tanh", 0.2),
         (4, "hidden", "sigmoid", -0.3)],
        [(0, 3, 0.5), (1, 3, -0.7), (3, 5, 1.1), (4, 5, 0.4), (3, 4, 0.9),
         (4, 3, 0.6, True, -1, True), (5, 4, -0.8, True, -1, True), (3, 3, 0.3, True, -1, True),
         (5, 5, 0.2, True, -1, True)],
    )  # fmt: skip


def step_all(stepper, X):
    """Outputs (T, ...) of a stepper over inputs X (T, ...)."""
    return np.stack([stepper(x) for x in X])


def test_a_recurrent_graph_is_valid_and_compiles_to_a_network_with_state():
    g = loop_graph()
    assert g.recurrent and g.n_connections == 9
    net = networks.compile(g)
    assert isinstance(net, RecurrentNetwork)
    assert net.n_memory == 3  # nodes 3, 4 and 5 are read one step late
    assert net.n_params == 9 + 3  # every connection's weight and every bias: nothing else
    assert net.n_enabled == 9
    X = np.random.default_rng(0).normal(size=(8, 5, 2))
    np.testing.assert_allclose(step_all(net.stepper(), X), reference_steps(g, X), rtol=1e-12)
    with pytest.raises(ValueError, match="steps with state"):
        net.forward(X[0])


@pytest.mark.parametrize(
    "conns, message",
    [
        ([(0, 2, 1.0), (2, 2, 0.5)], "form a cycle: .*mark a connection recurrent"),
        ([(0, 2, 1.0, True, -1, False), (2, 4, 1.0), (4, 2, 1.0), (4, 3, 1.0)], "form a cycle"),
        (
            [(0, 2, 1.0), (0, 3, 1.0, True, -1, True)],
            "recurrent connection 0->3 leaves input node 0",
        ),
        ([(0, 3, 1.0), (3, 2, 1.0)], "leaves output node 3; outputs feed nothing but recurrent"),
        ([(0, 2, 1.0), (2, 3, 1.0), (2, 3, 1.0, True, -1, True)], "2->3 appears more than once"),
    ],
)
def test_recurrence_rules_are_enforced_in_one_line(conns, message):
    nodes = [(0, "input"), (2, "hidden", "tanh"), (4, "hidden", "tanh"), (3, "output", "tanh")]
    with pytest.raises(ValueError, match=message):
        Graph.from_lists(nodes, conns)


def test_self_loops_cycles_and_output_feedback_are_fine_when_recurrent():
    Graph.from_lists(
        [(0, "input"), (2, "hidden"), (3, "output")],
        [(0, 2, 1.0), (2, 3, 1.0), (2, 2, 0.5, True, -1, True), (3, 2, 0.5, True, -1, True)],
    )


def test_json_round_trips_the_recurrent_flag_and_reads_version_1():
    g = loop_graph()
    back = Graph.from_json(g.to_json())
    assert back == g and back.conn_recurrent.tolist() == g.conn_recurrent.tolist()
    data = json.loads(g.to_json())
    assert data["version"] == 2 and all(len(c) == 6 for c in data["connections"])
    ff = Graph.from_lists([(0, "input"), (1, "output", "tanh")], [(0, 1, 0.5, True, 7)])
    old = {**ff.to_dict(), "version": 1}
    old["connections"] = [c[:5] for c in old["connections"]]
    assert Graph.from_dict(old) == ff
    bad = {**g.to_dict(), "version": 1}
    with pytest.raises(
        ValueError, match=r"connections \[source, target, weight, enabled, innovation\]"
    ):
        Graph.from_dict(bad)


@SETTINGS
@given(recurrent_graphs(max_hidden=4), seeds, st.integers(1, 6))
def test_compiled_stepping_equals_the_naive_reference(graph, seed, steps):
    rng = np.random.default_rng(seed)
    graph = with_random_values(graph, rng)
    net = networks.compile(graph)
    X = rng.normal(size=(steps, 3, graph.n_inputs))
    expect = reference_steps(graph, X)
    np.testing.assert_allclose(step_all(net.stepper(), X), expect, rtol=1e-9, atol=1e-12)
    # the parameter vector is the Graph's: to_graph and back changes nothing
    again = networks.compile(net.to_graph(net.params))
    np.testing.assert_array_equal(again.params, net.params)


@SETTINGS
@given(recurrent_graphs(max_hidden=3), seeds)
def test_parameter_rows_step_each_on_its_own_inputs(graph, seed):
    rng = np.random.default_rng(seed)
    net = networks.compile(with_random_values(graph, rng))
    if not isinstance(net, RecurrentNetwork):
        return  # every recurrent connection drawn disabled
    rows = net.params + rng.normal(scale=0.5, size=(4, net.n_params))
    X = rng.normal(size=(5, 4, 2, graph.n_inputs))  # (T, P, K, n_in)
    together = step_all(net.stepper(rows), X)
    for p in range(4):
        alone = reference_steps(net.to_graph(rows[p]), X[:, p])
        np.testing.assert_allclose(together[:, p], alone, rtol=1e-9, atol=1e-12)


@SETTINGS
@given(st.lists(st.one_of(recurrent_graphs(n_inputs=2, n_outputs=2, max_hidden=3),
                          graphs(n_inputs=2, n_outputs=2, max_hidden=3)),
                min_size=1, max_size=5), seeds)  # fmt: skip
def test_a_mixed_population_steps_like_each_graph_alone(population, seed):
    rng = np.random.default_rng(seed)
    population = [with_random_values(g, rng) for g in population]
    genomes = networks.Genomes.from_graphs(population)
    batch = genomes.batch(np.float64)
    X = rng.normal(size=(4, len(population), 3, 2))
    if isinstance(batch, RecurrentBatch):
        got = step_all(batch.stepper(), X)
        np.testing.assert_array_equal(batch.n_enabled, [g.n_enabled for g in population])
    else:  # no enabled recurrent connection in the whole population
        got = np.stack([batch.forward(x) for x in X])
    for p, g in enumerate(population):
        np.testing.assert_allclose(got[:, p], reference_steps(g, X[:, p]), rtol=1e-9, atol=1e-12)


def test_a_plain_population_batch_refuses_recurrent_graphs():
    with pytest.raises(ValueError, match="recurrent connections: compile them together with"):
        networks.PopulationBatch([loop_graph()])


def test_weight_search_works_on_a_recurrent_graph_unchanged():
    import optimizers
    from optimizers import Budget, DoublePole, EpisodicProblem, fit

    g = Graph.from_lists(
        [(0, "input"), (1, "input"), (2, "input"), (3, "hidden", "tanh"), (4, "output", "sigmoid")],
        [(0, 3, 0.1), (1, 3, 0.2), (2, 3, 0.3), (3, 4, 0.4), (3, 3, 0.5, True, -1, True),
         (4, 3, 0.1, True, -1, True)],
    )  # fmt: skip
    problem = EpisodicProblem(DoublePole(velocities=False, max_steps=300))
    run = fit(optimizers.get("cmaes")(), problem, Budget(evaluations=200),
              np.random.default_rng(0), initial=g)  # fmt: skip
    assert run.best.recurrent and run.best.conn_recurrent.tolist() == g.conn_recurrent.tolist()
    assert run.meter["evaluations"] <= 200 and run.metrics["train_return"] >= 1
    with pytest.raises(ValueError, match="recurrent connections, and problem 'xor' is a dataset"):
        from helpers import xor_problem

        fit(optimizers.get("cmaes")(), xor_problem(), Budget(evaluations=10),
            np.random.default_rng(0), initial=Graph.from_lists(
                [(0, "input"), (1, "input"), (2, "output")],
                [(0, 2, 1.0), (2, 2, 0.5, True, -1, True)]))  # fmt: skip
