"""NEAT's operators: property tests on random Graphs and worked examples on hand-made ones.

- every mutation and crossover gives valid, acyclic Graphs that compile, in canonical order;
- the compatibility distance is symmetric, zero to itself and equal to a naive reference;
- identical structural mutations in one generation get identical innovation numbers;
- worked examples: the paper's Figure 4 parents (crossover and distance), add node, add
  connection, the tracker, sharing, allotment, speciation, the config.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from strategies import graphs, recurrent_graphs

import networks
import optimizers.neat.mutation
from networks import INPUT, OUTPUT, Genomes, Graph, activation_code
from optimizers.neat import (
    InnovationTracker,
    NEATConfig,
    allot,
    crossover,
    crossover_graphs,
    distances,
    shared_fitness,
    speciate,
)
from optimizers.neat.mutation import (
    add_connections,
    add_nodes,
    delete_connections,
    delete_nodes,
    grow,
    mutate_activations,
    mutate_biases,
    mutate_weights,
    new_connections,
    reenable,
)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
seeds = st.integers(0, 2**32 - 1)
populations = st.lists(graphs(max_hidden=5), min_size=1, max_size=4)
W = dict(replace_rate=0.1, power=0.5, init_std=1.0, limit=8.0)


def tracker_for(g: Genomes) -> InnovationTracker:
    return InnovationTracker.for_genomes(g.conn_innov.tolist(), g.node_id.tolist())


def check(g: Genomes) -> list[Graph]:
    """Every genome is a valid Graph that compiles, its genes in canonical order."""
    out = g.graphs()
    assert len(out) == g.n
    for x in out:
        x.validate()
        networks.compile(x)
        assert np.all(np.diff(x.conn_innov) > 0)
    return out


def io(x: Graph) -> tuple:
    return tuple(x.input_ids), tuple(x.output_ids)


def pairs(x: Graph) -> set:
    return set(zip(x.conn_src.tolist(), x.conn_dst.tolist()))


@st.composite
def families(draw, size: int = 4, rounds: int = 3):
    """Genomes with a shared history: copies of one random Graph, grown for a few
    generations with one tracker (so innovation numbers mean the same thing in all)."""
    start = draw(graphs(n_inputs=2, n_outputs=1, max_hidden=3))
    rng = np.random.default_rng(draw(seeds))
    g = Genomes.from_graphs([start]).take(np.zeros(size, np.int64))
    tracker = tracker_for(g)
    for _ in range(rounds):
        tracker.new_generation()
        g.conn_weight[:] = rng.normal(size=len(g.conn_weight))
        g = grow(
            g,
            rng.random(size) < 0.5,
            rng.random(size) < 0.5,
            rng,
            tracker,
            activation=activation_code("neat_sigmoid"),
            init_std=1.0,
            limit=8.0,
        )
    return g, tracker


def reference_distance(x: Graph, y: Graph, c1=1.0, c2=1.0, c3=0.4, n_min=20) -> float:
    """The compatibility distance written out gene by gene."""
    gx = dict(zip(x.conn_innov.tolist(), x.conn_weight.tolist()))
    gy = dict(zip(y.conn_innov.tolist(), y.conn_weight.tolist()))
    top_x, top_y = max(gx, default=-(10**9)), max(gy, default=-(10**9))
    matching = set(gx) & set(gy)
    excess = sum(i > top_y for i in gx if i not in gy) + sum(i > top_x for i in gy if i not in gx)
    disjoint = len(set(gx) ^ set(gy)) - excess
    w = np.mean([abs(gx[i] - gy[i]) for i in matching]) if matching else 0.0
    n = max(len(gx), len(gy))
    n = 1 if n < n_min else n
    return c1 * excess / n + c2 * disjoint / n + c3 * w


# ---------------------------------------------------------------------- properties
@SETTINGS
@given(populations, seeds)
def test_genomes_round_trip_in_canonical_order(gs, seed):
    g = Genomes.from_graphs(gs)
    back = check(g)
    for a, b in zip(gs, back):
        assert io(a) == io(b)
        assert sorted(a.connections) == sorted(b.connections)
        assert sorted(a.nodes) == sorted(b.nodes)
    again = check(g.take(np.random.default_rng(seed).integers(0, g.n, 5)))
    assert all(any(a == b for b in back) for a in again)


@SETTINGS
@given(populations, seeds)
def test_parameter_mutations_keep_structure_and_validity(gs, seed):
    rng = np.random.default_rng(seed)
    start = Genomes.from_graphs(gs)
    before = start.graphs()  # the arrays are read-only from here on
    with pytest.raises(ValueError, match="read-only"):
        start.conn_weight[:] = 0.0
    g = start.take(np.arange(start.n))  # fresh copies, mutated in place below
    chosen = rng.random(g.n) < 0.7
    mutate_weights(g, chosen, rng, **W)
    mutate_biases(g, chosen, rng, **W)
    reenable(g, chosen, rng)
    codes = np.array([activation_code(a) for a in ("tanh", "relu", "gauss")])
    mutate_activations(g, chosen, rng, codes)
    after = check(g)
    for k, (a, b) in enumerate(zip(before, after)):
        assert np.array_equal(a.conn_src, b.conn_src) and np.array_equal(a.conn_dst, b.conn_dst)
        assert np.array_equal(a.node_kind, b.node_kind) and np.array_equal(a.node_id, b.node_id)
        assert np.all(np.abs(b.conn_weight) <= W["limit"])
        assert np.all(b.node_bias[b.node_kind == INPUT] == 0)
        out = b.node_kind == OUTPUT
        assert np.array_equal(a.node_act[out], b.node_act[out])  # outputs keep theirs
        assert np.all(b.conn_enabled >= a.conn_enabled)  # re-enabling only enables
        assert b.n_enabled - a.n_enabled <= 1
        if not chosen[k]:
            assert a == b


@SETTINGS
@given(populations, seeds)
def test_structural_mutations_give_valid_acyclic_graphs(gs, seed):
    rng = np.random.default_rng(seed)
    g = Genomes.from_graphs(gs).take(np.arange(len(gs)))
    before = g.graphs()
    tracker = tracker_for(g)
    act = activation_code("neat_sigmoid")
    for step in range(3):
        tracker.new_generation()
        everyone = np.ones(g.n, dtype=bool)
        g = add_nodes(g.take(np.arange(g.n)), everyone, rng, tracker, act)
        check(g)
        g = add_connections(g, everyone, rng, tracker, init_std=1.0, limit=8.0)
        check(g)
        g = grow(g, rng.random(g.n) < 0.5, rng.random(g.n) < 0.5, rng, tracker,
                 activation=act, init_std=1.0, limit=8.0)  # fmt: skip
        check(g)
        if step == 2:
            g = delete_connections(g, rng.random(g.n) < 0.5, rng)
            check(g)
            g = delete_nodes(g, rng.random(g.n) < 0.5, rng)
    for a, b in zip(before, check(g)):
        assert io(a) == io(b)  # inputs and outputs are never added or removed


@SETTINGS
@given(graphs(max_hidden=4), seeds)
def test_new_connection_is_safe_and_found_whenever_one_exists(x, seed):
    rng = np.random.default_rng(seed)
    g = Genomes.from_graphs([x])
    owners, src, dst, _ = new_connections(g, np.ones(1, bool), rng)
    kind = dict(zip(x.node_id.tolist(), x.node_kind.tolist()))
    existing = pairs(x)
    candidates = []
    for u in x.node_id.tolist():
        for v in x.node_id.tolist():
            if u == v or kind[u] == OUTPUT or kind[v] == INPUT or (u, v) in existing:
                continue
            si, di, (iu, iv) = (x.node_index(e) for e in (x.conn_src, x.conn_dst, [u, v]))
            if not networks.creates_cycle(si, di, int(iu), int(iv)):
                candidates.append((u, v))
    if not candidates:
        assert len(owners) == 0
    else:
        assert len(owners) == 1 and (int(src[0]), int(dst[0])) in candidates


@SETTINGS
@given(graphs(max_hidden=4), seeds)
def test_new_connection_by_levels_is_safe(x, seed):
    # genomes above _CLOSURE_MAX_NODES nodes pick among connections that never go down a
    # level (longest-path levels over every connection): fewer candidates, none of them
    # making a cycle, and one is found whenever such a pair exists
    g = Genomes.from_graphs([x])
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(optimizers.neat.mutation, "_CLOSURE_MAX_NODES", 0)
        owners, src, dst, _ = new_connections(g, np.ones(1, bool), np.random.default_rng(seed))
    kind = dict(zip(x.node_id.tolist(), x.node_kind.tolist()))
    into: dict[int, list[int]] = {}
    for s, d in pairs(x):
        into.setdefault(d, []).append(s)

    def level(v: int) -> int:  # longest path into v, the naive way
        return max((level(s) + 1 for s in into.get(v, [])), default=0)

    existing = pairs(x)
    candidates = [
        (u, v)
        for u in x.node_id.tolist()
        for v in x.node_id.tolist()
        if u != v
        and kind[u] != OUTPUT
        and kind[v] != INPUT
        and (u, v) not in existing
        and level(u) <= level(v)
    ]
    if not candidates:
        assert len(owners) == 0
        return
    assert owners.tolist() == [0]
    (u, v) = int(src[0]), int(dst[0])
    assert (u, v) in candidates
    si, di, (iu, iv) = (x.node_index(e) for e in (x.conn_src, x.conn_dst, [u, v]))
    assert not networks.creates_cycle(si, di, int(iu), int(iv))
    Graph.from_lists(x.nodes, [*x.connections, (u, v, 1.0, True, 10**6)])  # validates


@SETTINGS
@given(families(), seeds)
def test_crossover_child_has_the_fitter_parent_structure(family, seed):
    g, _ = family
    rng = np.random.default_rng(seed)
    fitter = rng.integers(0, g.n, 6)
    other = rng.integers(0, g.n, 6)
    kids = check(crossover(g, fitter, other, rng))
    parents = g.graphs()
    for kid, f, o in zip(kids, fitter, other):
        a, b = parents[f], parents[o]
        assert pairs(kid) == pairs(a)
        assert np.array_equal(kid.conn_innov, a.conn_innov)
        wb = dict(zip(b.conn_innov.tolist(), b.conn_weight.tolist()))
        for inn, w_kid, w_a in zip(kid.conn_innov.tolist(), kid.conn_weight, a.conn_weight):
            assert w_kid == w_a or (inn in wb and w_kid == wb[inn])
        # a gene enabled in both parents stays enabled
        eb = dict(zip(b.conn_innov.tolist(), b.conn_enabled.tolist()))
        for inn, e_kid, e_a in zip(kid.conn_innov.tolist(), kid.conn_enabled, a.conn_enabled):
            if e_a and eb.get(inn, True):
                assert e_kid


mixed_populations = st.lists(
    st.one_of(graphs(max_hidden=4), recurrent_graphs(max_hidden=4)), min_size=1, max_size=4
)


@settings(SETTINGS, max_examples=40)
@given(mixed_populations, seeds)
def test_recurrent_mutations_and_crossover_keep_graphs_valid(gs, seed):
    """With recurrence on, every genome stays valid (its feed-forward part acyclic, no
    recurrent connection leaving an input) and steps like the naive reference."""
    from strategies import reference_steps

    rng = np.random.default_rng(seed)
    g = Genomes.from_graphs(gs).take(np.arange(len(gs)))
    tracker = tracker_for(g)
    act = activation_code("tanh")
    for _ in range(3):
        tracker.new_generation()
        everyone = np.ones(g.n, dtype=bool)
        g = add_connections(g, everyone, rng, tracker, init_std=1.0, limit=8.0, recurrent=True)
        check(g)
        g = grow(g, rng.random(g.n) < 0.5, everyone, rng, tracker, activation=act,
                 init_std=1.0, limit=8.0, recurrent=True)  # fmt: skip
        check(g)
    kids = check(crossover(g, rng.integers(0, g.n, 4), rng.integers(0, g.n, 4), rng))
    X = rng.normal(size=(3, 2, gs[0].n_inputs))
    for x in [*check(g), *kids]:
        if x.n_inputs != gs[0].n_inputs:
            continue
        net = networks.compile(x)
        got = np.stack([step(xt) for step in [net.stepper()] for xt in X])
        np.testing.assert_allclose(got, reference_steps(x, X), rtol=1e-9, atol=1e-12)


@settings(SETTINGS, max_examples=60)
@given(st.one_of(graphs(max_hidden=4), recurrent_graphs(max_hidden=4)), seeds)
def test_a_recurrent_connection_is_added_exactly_where_a_feed_forward_one_cannot_be(x, seed):
    g = Genomes.from_graphs([x])
    owners, src, dst, rec = new_connections(g, np.ones(1, bool), np.random.default_rng(seed), True)
    kind = dict(zip(x.node_id.tolist(), x.node_kind.tolist()))
    existing = pairs(x)
    ff_ids = np.flatnonzero(~x.conn_recurrent)
    si, di = (x.node_index(e[ff_ids]) for e in (x.conn_src, x.conn_dst))
    ff, recurrent = [], []
    for u in x.node_id.tolist():
        for v in x.node_id.tolist():
            if kind[v] == INPUT or (u, v) in existing:
                continue
            iu, iv = (int(i) for i in x.node_index([u, v]))
            if u != v and kind[u] != OUTPUT and not networks.creates_cycle(si, di, iu, iv):
                ff.append((u, v))
            elif kind[u] != INPUT:
                recurrent.append((u, v))
    if not ff and not recurrent:
        assert len(owners) == 0
        return
    assert len(owners) == 1
    pair = (int(src[0]), int(dst[0]))
    assert pair in (recurrent if rec[0] else ff), (pair, bool(rec[0]))


@SETTINGS
@given(populations, populations)
def test_distance_is_symmetric_zero_to_itself_and_matches_the_reference(xs, ys):
    a, b = Genomes.from_graphs(xs), Genomes.from_graphs(ys)
    d = distances(a, b)
    assert np.array_equal(d, distances(b, a).T)  # bitwise
    both = Genomes.from_graphs(xs + ys)
    dd = distances(both, both)
    assert np.array_equal(dd, dd.T)
    assert np.all(np.diag(dd) == 0) and np.all(dd >= 0)
    ref = [[reference_distance(x, y) for y in ys] for x in xs]
    np.testing.assert_allclose(d, ref, rtol=1e-12, atol=1e-12)


def test_distance_is_bitwise_symmetric_for_long_genomes():
    """Many matching genes with weights of very different sizes: d(x, y) and d(y, x) must
    add the same terms in the same order (a pairwise sum would not)."""
    rng = np.random.default_rng(0)
    nodes = [(0, "input"), (1, "output", "sigmoid")] + [
        (k, "hidden", "sigmoid") for k in range(2, 60)
    ]
    for _ in range(50):
        gs = []
        for n_genes in rng.integers(1, 50, 3):
            hidden = rng.choice(np.arange(2, 60), size=n_genes, replace=False)
            innov = rng.choice(80, size=n_genes, replace=False)
            w = rng.normal(size=n_genes) * 10.0 ** rng.integers(-12, 3, n_genes)
            conns = [(0, int(h), float(x), True, int(i)) for h, x, i in zip(hidden, w, innov)]
            gs.append(Graph.from_lists(nodes, conns))
        for x in gs:
            for y in gs:
                a, b = Genomes.from_graphs([x]), Genomes.from_graphs([y, x])
                assert np.array_equal(distances(a, b), distances(b, a).T)


@SETTINGS
@given(families(size=6), seeds)
def test_identical_mutations_in_one_generation_get_identical_numbers(family, seed):
    g, tracker = family
    rng = np.random.default_rng(seed)
    copies = g.take(np.repeat(np.arange(g.n), 3))  # each genome three times
    tracker.new_generation()
    grown = add_nodes(copies, np.ones(copies.n, bool), rng, tracker, 2)
    new = {}  # split innovation -> (node id, innovations)
    repeated = 0  # splits of a connection already split by another genome
    for before, after in zip(copies.graphs(), grown.graphs()):
        # every genome with an enabled connection gets a node, the others stay as they were
        assert after.n_nodes == before.n_nodes + (before.n_enabled > 0)
        if after.n_nodes == before.n_nodes:
            continue
        on_after = dict(zip(after.conn_innov.tolist(), after.conn_enabled.tolist()))
        (split,) = [
            i
            for i, on in zip(before.conn_innov.tolist(), before.conn_enabled)
            if on and not on_after[i]
        ]
        (node,) = np.setdiff1d(after.node_id, before.node_id).tolist()
        innov = tuple(np.setdiff1d(after.conn_innov, before.conn_innov).tolist())
        repeated += split in new
        assert new.setdefault(split, (node, innov)) == (node, innov)
    # the case the test is about: the same split in two genomes (nearly every example has
    # one, as every genome is there three times)
    assume(repeated > 0)
    ids = [v[0] for v in new.values()]
    assert len(set(ids)) == len(ids)  # different splits, different nodes
    linked = add_connections(copies, np.ones(copies.n, bool), rng, tracker, init_std=1.0, limit=8.0)
    seen = {}
    for before, after in zip(copies.graphs(), linked.graphs()):
        extra = np.setdiff1d(after.conn_innov, before.conn_innov)
        for inn in extra.tolist():
            k = list(after.conn_innov).index(inn)
            key = (int(after.conn_src[k]), int(after.conn_dst[k]))
            assert seen.setdefault(key, inn) == inn
    assert len(set(seen.values())) == len(seen)
    # the next generation numbers the same mutation afresh
    node, *_ = tracker.split(int(copies.conn_innov[0]))
    tracker.new_generation()
    assert tracker.split(int(copies.conn_innov[0]))[0] != node


def test_identical_mutations_of_copies_get_identical_numbers():
    # ten copies of a genome with two enabled connections: some of them must split the
    # same connection; and with one free pair, all of them add the same connection
    x = networks.minimal(2, 1, rng=np.random.default_rng(0))
    copies = Genomes.from_graphs([x]).take(np.zeros(10, np.int64))
    tracker = tracker_for(copies)
    tracker.new_generation()
    grown = add_nodes(copies, np.ones(10, bool), np.random.default_rng(3), tracker, 2)
    by_split: dict[int, set] = {}
    for kid in grown.graphs():
        (split,) = kid.conn_innov[~kid.conn_enabled].tolist()
        by_split.setdefault(split, set()).add((*kid.hidden_ids.tolist(), *kid.conn_innov[-2:]))
    assert sorted(by_split) == [0, 1]  # (both splits occur with this seed)
    assert all(len(v) == 1 for v in by_split.values())  # one node id and numbers per split
    assert len({next(iter(v)) for v in by_split.values()}) == 2  # and none shared
    y = Graph.from_lists(  # the only free pair is 1 -> 3
        [(0, "input"), (1, "input"), (2, "output", "sigmoid"), (3, "hidden", "sigmoid")],
        [(0, 2, 1.0, False, 0), (1, 2, 1.0, True, 1), (0, 3, 1.0, True, 2), (3, 2, 1.0, True, 3)],
    )
    copies = Genomes.from_graphs([y]).take(np.zeros(3, np.int64))
    tracker = tracker_for(copies)
    tracker.new_generation()
    linked = add_connections(
        copies, np.ones(3, bool), np.random.default_rng(0), tracker, init_std=1.0, limit=8.0
    )
    new = [set(k.connections) - set(y.connections) for k in linked.graphs()]
    assert [[(c.source, c.target, c.innovation) for c in n] for n in new] == [[(1, 3, 4)]] * 3


# ---------------------------------------------------------------------- worked examples
def figure4():
    """The parents of Stanley & Miikkulainen 2002, Figure 4 (inputs 1-3, output 4,
    hidden 5 and 6), with weights 0.1 x innovation (parent 1) and -0.1 x innovation
    (parent 2)."""
    nodes = [(1, "input"), (2, "input"), (3, "input"), (4, "output", "neat_sigmoid")]
    h5, h6 = (5, "hidden", "neat_sigmoid"), (6, "hidden", "neat_sigmoid")
    genes1 = [(1, 4, 1), (2, 4, 2, False), (3, 4, 3), (2, 5, 4), (5, 4, 5), (1, 5, 8)]
    genes2 = [(1, 4, 1), (2, 4, 2, False), (3, 4, 3), (2, 5, 4), (5, 4, 5, False),
              (5, 6, 6), (6, 4, 7), (3, 5, 9), (1, 6, 10)]  # fmt: skip

    def build(genes, hidden, sign):
        conns = [(s, t, sign * 0.1 * i, rest[0] if rest else True, i) for s, t, i, *rest in genes]
        return Graph.from_lists(nodes + hidden, conns)

    return build(genes1, [h5], 1.0), build(genes2, [h5, h6], -1.0)


def test_figure4_crossover_follows_the_fitter_parent():
    p1, p2 = figure4()
    disabled = []
    for seed in range(400):
        kid = crossover_graphs(p2, p1, np.random.default_rng(seed)).validate()
        assert list(kid.conn_innov) == [1, 2, 3, 4, 5, 6, 7, 9, 10]
        w = dict(zip(kid.conn_innov.tolist(), kid.conn_weight.tolist()))
        for i in (1, 2, 3, 4, 5):  # matching: either parent's weight
            assert np.isclose(abs(w[i]), 0.1 * i)
        for i in (6, 7, 9, 10):  # disjoint and excess: the fitter parent's
            assert np.isclose(w[i], -0.1 * i)
        e = dict(zip(kid.conn_innov.tolist(), kid.conn_enabled.tolist()))
        assert e[1] and e[3] and e[4] and e[6]
        disabled.append((not e[2], not e[5]))
    frac = np.mean(disabled, axis=0)
    assert np.all(np.abs(frac - 0.75) < 0.08), frac  # disabled in either parent: 75%
    kid = crossover_graphs(p1, p2, np.random.default_rng(0))
    assert list(kid.conn_innov) == [1, 2, 3, 4, 5, 8] and kid.n_hidden == 1


def test_figure4_distance():
    p1, p2 = figure4()
    # matching 1-5 (|0.1i + 0.1i| = 0.2i, mean 0.6); excess 9, 10; disjoint 8 | 6, 7
    expected = 1.0 * 2 + 1.0 * 3 + 0.4 * 0.6
    g = Genomes.from_graphs([p1, p2])
    d = distances(g, g)
    assert d[0, 1] == pytest.approx(expected) and d[1, 0] == d[0, 1]
    assert distances(g, g, c1=2.0, c2=0.5, c3=0.0)[0, 1] == pytest.approx(2 * 2 + 0.5 * 3)
    # N normalises once a genome has normalize_min_genes genes
    assert distances(g, g, normalize_min_genes=9)[0, 1] == pytest.approx(expected - 5 + 5 / 9)


def test_add_node_splits_an_enabled_connection():
    x = networks.minimal(2, 1, rng=np.random.default_rng(0))
    g = Genomes.from_graphs([x]).take([0])
    tracker = tracker_for(g)
    (kid,) = check(add_nodes(g, np.ones(1, bool), np.random.default_rng(1), tracker, 3))
    (split,) = kid.conn_innov[~kid.conn_enabled]
    old = x.connections[list(x.conn_innov).index(split)]
    (h,) = kid.hidden_ids
    assert h == 3 and kid.node_act[kid.node_id == h] == 3 and kid.node_bias[kid.node_id == h] == 0
    new = {(c.source, c.target): c for c in kid.connections if c.innovation > 1}
    assert new[(old.source, h)].weight == 1.0 and new[(h, old.target)].weight == old.weight
    assert {c.innovation for c in new.values()} == {2, 3}
    assert tracker.next_node == 4 and tracker.next_innovation == 4


def test_add_connection_picks_the_only_free_pair_and_none_when_full():
    # inputs 0, 1; output 2; hidden 3 split from 0 -> 2: the only free pair is 1 -> 3
    x = Graph.from_lists(
        [(0, "input"), (1, "input"), (2, "output", "sigmoid"), (3, "hidden", "sigmoid")],
        [(0, 2, 1.0, False, 0), (1, 2, 1.0, True, 1), (0, 3, 1.0, True, 2), (3, 2, 1.0, True, 3)],
    )
    g = Genomes.from_graphs([x])
    for seed in range(5):
        tracker = tracker_for(g)
        (kid,) = check(
            add_connections(
                g, np.ones(1, bool), np.random.default_rng(seed), tracker, init_std=1.0, limit=8.0
            )  # fmt: skip
        )
        assert pairs(kid) - pairs(x) == {(1, 3)} and kid.conn_innov.max() == 4
        full = Genomes.from_graphs([kid])
        owners, _, _, _ = new_connections(full, np.ones(1, bool), np.random.default_rng(seed))
        assert len(owners) == 0


def test_delete_node_removes_its_connections():
    x = Graph.from_lists(
        [(0, "input"), (1, "output", "sigmoid"), (2, "hidden", "sigmoid")],
        [(0, 1, 0.5, False, 0), (0, 2, 1.0, True, 1), (2, 1, 1.0, True, 2)],
    )
    (kid,) = check(
        delete_nodes(Genomes.from_graphs([x]), np.ones(1, bool), np.random.default_rng(0))
    )
    assert kid.n_hidden == 0 and pairs(kid) == {(0, 1)}


def test_tracker_reuses_numbers_within_a_generation_only():
    t = InnovationTracker(10, 5)
    assert t.connection(1, 2) == 10 and t.connection(1, 2) == 10 and t.connection(2, 1) == 11
    assert t.split(3) == (5, 12, 13) and t.split(3) == (5, 12, 13) and t.split(4) == (6, 14, 15)
    t.new_generation()
    assert t.connection(1, 2) == 16 and t.split(3) == (7, 17, 18)
    assert InnovationTracker.for_genomes([3, 9], [0, 4]).next_innovation == 10


def test_shared_fitness_is_non_negative():
    f = np.array([-3.0, -1.0, -np.inf, -2.0])
    np.testing.assert_array_equal(shared_fitness(f, "min"), [0.0, 2.0, 0.0, 1.0])
    np.testing.assert_array_equal(shared_fitness(f, "rank"), [1.0, 3.0, 0.0, 2.0])
    assert np.all(shared_fitness(np.full(3, -np.inf)) == 0)


def test_allot_is_proportional_and_sums_to_the_population():
    assert list(allot(np.array([1.0, 1.0, 2.0]), 8)) == [2, 2, 4]
    counts = allot(np.array([0.3, 0.0, 0.7, 0.1]), 150)
    assert counts.sum() == 150 and counts[1] == 0
    assert list(allot(np.zeros(3), 7)) == [3, 2, 2]


def test_speciate_first_compatible_then_new_species():
    x = networks.minimal(2, 1, rng=np.random.default_rng(0))
    rng = np.random.default_rng(0)
    g = Genomes.from_graphs([x]).take(np.zeros(6, np.int64))
    tracker = tracker_for(g)
    far = add_nodes(g.take([0]), np.ones(1, bool), rng, tracker, 2)
    far = add_nodes(far, np.ones(1, bool), rng, tracker, 2)  # 4 new genes: distance 4
    pop = Genomes.from_graphs([*g.graphs(), *far.graphs(), *far.graphs()])
    labels, founders = speciate(pop, g.take([0]), 3.0)
    assert list(labels) == [0] * 6 + [1, 1] and list(founders) == [6]
    labels, founders = speciate(pop, None, 3.0)
    assert list(labels) == [0] * 6 + [1, 1] and list(founders) == [0, 6]


def test_config_defaults_are_the_papers_and_bad_values_are_named():
    c = NEATConfig()
    assert (c.population, c.c1, c.c2, c.c3, c.compatibility_threshold) == (150, 1.0, 1.0, 0.4, 3.0)
    assert (c.add_node_rate, c.add_connection_rate, c.weight_mutate_rate) == (0.03, 0.05, 0.8)
    assert (c.max_stagnation, c.elitism_size, c.mutation_only_rate) == (15, 5, 0.25)
    assert (c.interspecies_rate, c.disable_inherit_rate, c.activation) == (
        0.001,
        0.75,
        "neat_sigmoid",
    )
    with pytest.raises(ValueError, match="add_node_rate"):
        NEATConfig(add_node_rate=1.5)
    with pytest.raises(ValueError, match="activation_options.*nope"):
        NEATConfig(activation_options=("tanh", "nope"))
    with pytest.raises(ValueError, match="start"):
        NEATConfig(start="mlp")
    assert NEATConfig(activation_options=["tanh"]).activation_options == ("tanh",)
    assert NEATConfig(**NEATConfig().to_dict()) == c
