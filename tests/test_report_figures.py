"""The report's figures: every function on small frames in the shapes studies.stats gives
returns a Figure that saves to a decodable, byte-for-byte reproducible PNG; degenerate input
(one optimizer, one run, all-NaN medians, no success, no hidden node, species appearing and
dying) draws without error; draw_graph draws one line per enabled connection, left to right;
and nothing changes matplotlib's global rcParams."""

from __future__ import annotations

import matplotlib
import matplotlib.image
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure
from strategies import graphs

from networks import Graph, minimal, mlp
from reports import figures
from reports.graph_drawing import draw_graph, graph_layout

LABELS = ["backprop", "cmaes", "neat"]
UNITS = ("evaluations", "macs", "seconds")


# ------------------------------------------------------------------ synthetic frames
def runs_frame(labels=LABELS, reps=4, task="iris", seed=0) -> pd.DataFrame:
    """``StudyResults.runs`` rows (the columns the figures read)."""
    rng = np.random.default_rng(seed)
    rows = []
    for k, label in enumerate(labels):
        for rep in range(reps):
            rows.append(
                dict(
                    run_id=f"{task}-{label}-{rep}",
                    task=task,
                    optimizer=label,
                    optimizer_name=label,
                    repetition=rep,
                    status="failed" if (label == "cmaes" and rep == 0) else "done",
                    metric="accuracy",
                    metric_maximize=True,
                    target=0.9,
                    target_split="test",
                    test_metric=float(np.clip(0.7 + 0.1 * k + rng.normal(0, 0.05), 0, 1)),
                    evaluations=1000.0 * (k + 1),
                    macs=1e6 * (k + 1),
                    seconds=0.1 * (k + 1),
                    connections=10 + k,
                    hidden_nodes=k,
                )
            )
    return pd.DataFrame(rows)


def grid_frame(labels=LABELS, task="iris", unit="evaluations", nan=()) -> pd.DataFrame:
    """``curve_grid`` rows: task, optimizer, x, median, low, high, n."""
    span = {"evaluations": (10, 1e4), "macs": (1e4, 1e9), "seconds": (0.01, 0.5)}[unit]
    x = np.geomspace(*span, 20)
    parts = []
    for k, label in enumerate(labels):
        median = 0.5 + 0.4 * (1 - np.exp(-np.arange(20) / (3 + k)))
        if label in nan:
            median = np.full(20, np.nan)
        parts.append(
            pd.DataFrame(
                dict(
                    task=task,
                    optimizer=label,
                    x=x,
                    median=median,
                    low=median - 0.05,
                    high=median + 0.05,
                    n=4,
                )
            )
        )
    return pd.concat(parts, ignore_index=True)


def ecdf_frame(labels=LABELS, task="iris", unit="evaluations", none=()) -> pd.DataFrame:
    """``ecdf`` rows: task, optimizer, x, fraction (no rows for an optimizer in ``none``)."""
    parts = [pd.DataFrame(columns=["task", "optimizer", "x", "fraction"])]
    for k, label in enumerate(labels):
        if label in none:
            continue
        x = np.sort(np.array([100.0, 300.0, 900.0]) * (k + 1))
        parts.append(
            pd.DataFrame(dict(task=task, optimizer=label, x=x, fraction=[0.25, 0.5, 0.75]))
        )
    return pd.concat(parts, ignore_index=True).astype({"x": float, "fraction": float})


def pairs_frame(labels=LABELS, tasks=("iris", "xor")) -> pd.DataFrame:
    """``pairwise`` rows, both orientations of every pair, per task."""
    rows = []
    for t, task in enumerate(tasks):
        for i, a in enumerate(labels):
            for j, b in enumerate(labels):
                if a == b:
                    continue
                verdict = "tie" if t % 2 else ("better" if i < j else "worse")
                if {a, b} == {"cmaes", "neat"}:
                    verdict = "untestable"
                rows.append(
                    dict(
                        task=task,
                        a=a,
                        b=b,
                        test="Mann-Whitney U",
                        n_a=4,
                        n_b=4,
                        statistic=1.0,
                        p=0.03,
                        p_holm=0.06,
                        a12=0.8 if i < j else 0.2,
                        wins=3,
                        ties=0,
                        losses=1,
                        smallest_p=0.03,
                        verdict=verdict,
                        note="",
                    )
                )
    return pd.DataFrame(rows)


def neat_curves(runs=3, records=6) -> pd.DataFrame:
    """NEAT ``curves`` rows whose species_sizes lists grow and shrink between records."""
    rng = np.random.default_rng(1)
    parts = []
    for rep in range(runs):
        lengths = [1, 4, 7, 3, 5, 2][:records]
        sizes = [list(rng.integers(0, 30, n)) for n in lengths]
        parts.append(
            pd.DataFrame(
                dict(
                    run_id=f"neat-{rep}",
                    task="xor",
                    optimizer="neat",
                    optimizer_name="neat",
                    repetition=rep,
                    point=np.arange(records),
                    steps=np.arange(1, records + 1) * 5,
                    evaluations=np.arange(1, records + 1) * 750.0,
                    species=[len(s) for s in sizes],
                    species_sizes=pd.Series(sizes, dtype=object),
                    mean_connections=np.linspace(2, 8, records),
                    mean_hidden=np.linspace(0, 3, records),
                    best_connections=np.linspace(2, 10, records),
                    best_hidden=np.linspace(0, 4, records),
                )
            )
        )
    return pd.concat(parts, ignore_index=True)


def neat_graph() -> Graph:
    """Two inputs, two hidden nodes in a chain, one output, a skip connection and a
    disabled connection."""
    nodes = [
        (10, "input", "identity", 0.0),
        (11, "input", "identity", 0.0),
        (5, "output", "sigmoid", 0.1),
        (7, "hidden", "tanh", 0.0),
        (3, "hidden", "tanh", 0.0),
    ]
    conns = [
        (10, 7, 1.5),
        (11, 7, -0.5),
        (7, 3, 0.8),
        (3, 5, -2.0),
        (10, 5, 0.3),  # skip
        (11, 3, 0.9, False),  # disabled
    ]
    return Graph.from_lists(nodes, conns)


# ------------------------------------------------------------------ helpers
def connection_lines(fig: Figure) -> list[LineCollection]:
    return [c for ax in fig.axes for c in ax.collections if isinstance(c, LineCollection)]


def saved_png(fig: Figure, path) -> np.ndarray:
    figures.save(fig, path)
    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and image.shape[2] in (3, 4)
    return image


def every_figure() -> dict[str, object]:
    """name -> a function that builds one figure (one of each kind, several degenerate)."""
    runs = runs_frame()
    grids = {u: grid_frame(unit=u) for u in UNITS}
    ecdfs = {u: ecdf_frame(unit=u, none=("neat",)) for u in ("evaluations", "seconds")}
    per = runs.groupby("optimizer", sort=False).size().to_dict()
    rng = np.random.default_rng(0)
    nets = {"backprop": mlp(4, [5], 3, rng=rng), "neat": neat_graph(), "ga": None}
    ranks = pd.Series({"backprop": 1.2, "cmaes": 2.0, "neat": 2.8})
    colours = figures.palette(LABELS)
    return {
        "curves": lambda: figures.learning_curves(grids, "iris", "test accuracy", True),
        "curves_coloured": lambda: figures.learning_curves(
            grids, "iris", "accuracy", True, colors=colours
        ),
        "curves_all_nan": lambda: figures.learning_curves(
            {u: grid_frame(unit=u, nan=LABELS) for u in UNITS}, "iris", "test_metric", None
        ),
        "curves_one_optimizer": lambda: figures.learning_curves(
            {"evaluations": grid_frame(["neat"])}, "iris", "mse", False
        ),
        "curves_empty": lambda: figures.learning_curves({}, "iris", "accuracy", True),
        "final": lambda: figures.final_distributions(runs, "test_metric", task="iris"),
        "final_one_run": lambda: figures.final_distributions(
            runs_frame(["neat"], reps=1), colors=colours
        ),
        "final_cost": lambda: figures.final_distributions(runs, "macs", task="iris"),
        "final_nan": lambda: figures.final_distributions(
            runs.assign(test_metric=np.nan), "test_metric"
        ),
        "ecdf": lambda: figures.cost_ecdfs(ecdfs, "iris", per),
        "ecdf_no_success": lambda: figures.cost_ecdfs(
            {u: ecdf_frame(unit=u, none=LABELS) for u in ("evaluations", "seconds")},
            "iris",
            per,
        ),
        "networks": lambda: figures.networks_figure(nets, "iris"),
        "networks_one": lambda: figures.networks_figure({"neat": neat_graph()}, "xor"),
        "networks_none": lambda: figures.networks_figure({}, "xor"),
        "neat": lambda: figures.neat_figure(neat_curves(), "neat"),
        "neat_one_run": lambda: figures.neat_figure(neat_curves(runs=1, records=1), "neat"),
        "neat_no_columns": lambda: figures.neat_figure(
            neat_curves()
            .drop(columns=["species_sizes", "mean_connections", "mean_hidden"])
            .assign(best_connections=np.nan, best_hidden=np.nan),
            "neat",
        ),
        "pairwise": lambda: figures.pairwise_heatmap(pairs_frame()),
        "pairwise_one": lambda: figures.pairwise_heatmap(pairs_frame(["neat"])),
        "cd": lambda: figures.cd_diagram(ranks, 1.0, colors=colours),
        "cd_wide": lambda: figures.cd_diagram(ranks, 3.5),
        "cd_nan": lambda: figures.cd_diagram(ranks, float("nan")),
        "cd_one": lambda: figures.cd_diagram(ranks.iloc[:1], 1.0),
        "graph": lambda: draw_graph(neat_graph(), title="a NEAT graph"),
    }


# ------------------------------------------------------------------ every figure
def test_every_figure_saves_a_png_and_leaves_rcparams_alone(tmp_path):
    before = {key: matplotlib.rcParams[key] for key in matplotlib.rcParams}
    for name, make in every_figure().items():
        fig = make()
        assert isinstance(fig, Figure), name
        assert fig.get_size_inches()[0] <= 10.0, name
        image = saved_png(fig, tmp_path / f"{name}.png")
        assert image.shape[1] <= 1000, name
    after = {key: matplotlib.rcParams[key] for key in matplotlib.rcParams}
    assert after == before


@pytest.mark.parametrize("name", ["curves", "ecdf", "networks", "neat", "pairwise", "cd"])
def test_the_same_data_gives_the_same_bytes(tmp_path, name):
    make = every_figure()[name]
    figures.save(make(), tmp_path / "a.png")
    figures.save(make(), tmp_path / "b.png")
    fig = make()
    figures.save(fig, tmp_path / "c.png")
    figures.save(fig, tmp_path / "d.png")
    blobs = [(tmp_path / f"{k}.png").read_bytes() for k in "abcd"]
    assert all(blob == blobs[0] for blob in blobs)
    assert b"Software" not in blobs[0] and b"matplotlib" not in blobs[0]


# ------------------------------------------------------------------ the graph drawing
def test_draw_graph_draws_one_line_per_enabled_connection():
    g = neat_graph()
    fig = draw_graph(g)
    (lines,) = connection_lines(fig)
    segments = lines.get_segments()
    assert len(segments) == g.n_enabled == g.n_connections - 1
    pos = graph_layout(g)
    enabled = g.conn_enabled
    expected = np.stack(
        [pos[g.node_index(g.conn_src[enabled])], pos[g.node_index(g.conn_dst[enabled])]], axis=1
    )
    np.testing.assert_allclose(np.array(segments), expected)
    # the disabled 11 -> 3 connection is not among them
    disabled = np.stack([pos[g.node_index(np.array([11]))], pos[g.node_index(np.array([3]))]], 1)
    assert not any(np.allclose(s, disabled[0]) for s in segments)
    # the nodes: one scatter, in node order, at the layout's positions
    (nodes,) = [c for c in fig.axes[0].collections if isinstance(c, PathCollection)]
    np.testing.assert_allclose(nodes.get_offsets(), pos)
    # widths grow with |weight|
    widths = np.asarray(lines.get_linewidths())
    w = np.abs(g.conn_weight[enabled])
    assert widths[np.argmax(w)] == widths.max() and widths[np.argmin(w)] == widths.min()


def test_recurrent_connections_are_dashed_arcs_outside_the_layout():
    g = Graph.from_lists(
        [(0, "input"), (1, "hidden", "tanh"), (2, "hidden", "tanh"), (3, "output")],
        [(0, 1, 1.0), (1, 2, 0.5), (2, 3, -1.0), (2, 1, 0.7, True, -1, True),
         (3, 3, -0.2, True, -1, True), (3, 1, 0.1, False, -1, True)],
    )  # fmt: skip
    fig = draw_graph(g)
    lines = {c.get_gid(): c for c in fig.axes[0].collections if c.get_gid()}
    assert len(lines["connections"].get_segments()) == 3
    arcs = lines["recurrent-connections"].get_segments()
    assert len(arcs) == 2  # the disabled 3 -> 1 is left out
    pos = graph_layout(g)
    back = np.asarray(arcs[0])
    np.testing.assert_allclose(back[[0, -1]], pos[g.node_index(np.array([2, 1]))], atol=1e-12)
    loop = np.asarray(arcs[1])  # the output's self-loop: a closed curve at its node
    np.testing.assert_allclose(loop[0], loop[-1], atol=1e-12)
    np.testing.assert_allclose(loop[0], pos[3], atol=1e-12)
    assert lines["recurrent-connections"].get_linestyle()[0][1] is not None  # dashed


def test_layout_puts_inputs_left_outputs_right_and_hidden_by_level():
    g = neat_graph()
    pos = graph_layout(g)
    x = dict(zip(g.node_id.tolist(), pos[:, 0]))
    assert x[10] == x[11] == 0.0 and x[5] == 1.0
    assert 0.0 < x[7] < x[3] < 1.0  # 7 feeds 3
    assert np.all(np.abs(pos[:, 1]) <= 0.5)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(max_hidden=8))
def test_every_enabled_connection_runs_left_to_right(g):
    pos = graph_layout(g)
    enabled = g.conn_enabled
    src = g.node_index(g.conn_src[enabled])
    dst = g.node_index(g.conn_dst[enabled])
    assert np.all(pos[src, 0] < pos[dst, 0])
    assert np.all(pos[g.node_kind == 0, 0] == 0.0) and np.all(pos[g.node_kind == 2, 0] == 1.0)
    # no two nodes on the same spot
    assert len(np.unique(np.round(pos, 9), axis=0)) == g.n_nodes


def test_draw_graph_without_hidden_nodes_or_connections_and_into_given_axes():
    g = minimal(3, 2, rng=np.random.default_rng(0))
    assert g.n_hidden == 0
    pos = graph_layout(g)
    assert set(pos[:, 0]) == {0.0, 1.0}
    (lines,) = connection_lines(draw_graph(g))
    assert len(lines.get_segments()) == 6
    bare = g.replace(conn_enabled=np.zeros(g.n_connections, dtype=bool))
    (lines,) = connection_lines(draw_graph(bare))
    assert len(lines.get_segments()) == 0
    fig = Figure()
    ax = fig.add_subplot()
    assert draw_graph(g, ax, title="into an axes") is fig
    assert ax.get_title() == "into an axes"


def test_networks_figure_titles_say_label_and_size():
    rng = np.random.default_rng(0)
    nets = {"backprop": mlp(2, [3], 1, rng=rng), "neat": neat_graph()}
    fig = figures.networks_figure(nets, "xor")
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles[0] == "backprop\n9 connections, 3 hidden nodes"
    assert titles[1] == "neat\n5 connections, 2 hidden nodes"
    assert sum(len(c.get_segments()) for c in connection_lines(fig)) == 9 + 5


# ------------------------------------------------------------------ the pieces
def test_palette_follows_the_given_order_and_every_figure_keeps_it():
    colours = figures.palette(["a", "b", "c"])
    assert list(colours) == ["a", "b", "c"]
    assert figures.palette(["b"])["b"] == colours["a"]  # by position, so pass one palette
    fig = figures.learning_curves(
        {"evaluations": grid_frame(["neat", "backprop"])},
        "iris",
        "accuracy",
        True,
        colors=figures.palette(LABELS),
    )
    drawn = {tuple(line.get_color()) for line in fig.axes[0].get_lines()}
    assert drawn == {figures.palette(LABELS)["neat"], figures.palette(LABELS)["backprop"]}


def test_learning_curves_use_log_x_over_two_decades_only():
    grids = {
        "evaluations": grid_frame(unit="evaluations"),  # 10 .. 1e4
        "seconds": grid_frame(unit="seconds"),  # 0.01 .. 0.5
    }
    fig = figures.learning_curves(grids, "iris", "accuracy", True)
    assert [ax.get_xscale() for ax in fig.axes[:2]] == ["log", "linear"]
    assert fig.axes[0].get_ylabel() == "test accuracy"
    assert fig.axes[0].get_xlabel() == "evaluations"


def test_cost_ecdfs_count_what_reached_and_skip_the_optimizer_with_none():
    per = {"backprop": 4, "cmaes": 4, "neat": 4}
    ecdfs = {u: ecdf_frame(unit=u, none=("neat",)) for u in ("evaluations", "seconds")}
    fig = figures.cost_ecdfs(ecdfs, "iris", per)
    names = [t.get_text() for t in fig.legends[0].get_texts()]
    assert names == ["backprop (3/4 reached)", "cmaes (3/4 reached)", "neat (0/4 reached)"]
    assert len(fig.axes[0].get_lines()) == 2  # no line for neat
    assert fig.axes[0].get_xscale() == "log"


def test_species_matrix_pads_with_zeros():
    m = figures.species_matrix(pd.Series([[5], [2, 3, 1], np.nan, [4, 0]], dtype=object))
    np.testing.assert_array_equal(m, [[5, 0, 0], [2, 3, 1], [0, 0, 0], [4, 0, 0]])
    assert figures.species_matrix(pd.Series(["[1, 2]"])).tolist() == [[1.0, 2.0]]
    assert figures.species_matrix(pd.Series([], dtype=object)).shape == (0, 0)


def test_cd_groups_are_maximal_runs_within_the_critical_difference():
    ranks = np.array([1.0, 1.5, 2.2, 3.9, 4.0])
    assert figures.cd_groups(ranks, 1.3) == [(0, 2), (3, 4)]
    assert figures.cd_groups(ranks, 0.4) == [(3, 4)]
    assert figures.cd_groups(ranks, 10.0) == [(0, 4)]
    assert figures.cd_groups(ranks, float("nan")) == []
    fig = figures.cd_diagram(pd.Series(dict(zip("abcde", ranks))), 1.3)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "CD = 1.30" in texts and "a (1.00)" in texts


def test_pairwise_counts_tasks_by_verdict():
    labels, wins, ties, losses = figures.pairwise_counts(pairs_frame())
    assert labels == LABELS
    # on iris backprop beats both; on xor all tie
    assert wins[0, 1] == 1 and ties[0, 1] == 1 and losses[0, 1] == 0
    assert losses[1, 0] == 1
    # untestable counts with the ties
    assert ties[1, 2] == 2 and wins[1, 2] == 0
    np.testing.assert_array_equal(wins, losses.T)
    fig = figures.pairwise_heatmap(pairs_frame())
    assert "1/1/0" in [t.get_text() for t in fig.axes[0].texts]


def test_axis_words():
    assert figures.quantity_label("test_metric", "accuracy") == "test accuracy"
    assert figures.quantity_label("val_metric", "mse") == "validation mean squared error"
    assert figures.quantity_label("macs") == "MACs"
    assert figures.quantity_label("hidden_nodes") == "hidden nodes"
    from reports.figures._common import power_label

    assert [power_label(v, plain=True) for v in (0.01, 1.0, 100.0)] == ["0.01", "1", "100"]
    assert [power_label(v) for v in (1.0, 1e3, 1e-3)] == ["10\u2070", "10\u00b3", "10\u207b\u00b3"]
    assert (
        power_label(2000.0, plain=True) == "2000"
        and power_label(2e6, plain=True) == "2\u00d710\u2076"
    )
    fig = figures.learning_curves({"macs": grid_frame(unit="macs")}, "iris", "accuracy", True)
    fig.draw_without_rendering()  # (the formatter sees every tick of its axis)
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()]
    assert labels and all(label.startswith("10") for label in labels)
    # a cost axis of less than two decades is ticked at 1, 2 and 5 times the powers of ten
    narrow = pd.DataFrame(
        dict(task="iris", optimizer="neat", x=[2000.0, 5000.0, 9000.0], fraction=[0.2, 0.4, 0.6])
    )
    fig = figures.cost_ecdfs({"evaluations": narrow}, "iris", {"neat": 5})
    fig.draw_without_rendering()
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()]
    assert len(labels) >= 3 and "5000" in labels
