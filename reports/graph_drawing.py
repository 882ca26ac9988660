"""Drawing a network Graph: a layered layout from its feed-forward levels.

Inputs stand in the leftmost column, outputs in the rightmost, every other node in the
column of its longest-path depth over the enabled connections (``networks.levels``), so an
enabled connection always runs left to right. Within a hidden column nodes are ordered by
the mean height of their sources (one barycentre pass, which removes most crossings of a
layered MLP or a NEAT graph). Connections are one LineCollection: colour the weight's sign
(diverging colormap, red positive, blue negative), width its magnitude; disabled ones are
left out. Recurrent connections (a value carried to the next time step) do not enter the
layout; they are a second, dashed LineCollection of arcs (a self-loop a small circle).
"""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.transforms import offset_copy

from networks import HIDDEN, INPUT, OUTPUT, Graph, levels

__all__ = ["graph_layout", "draw_graph", "WEIGHT_CMAP"]

WEIGHT_CMAP = "coolwarm"  # blue negative, grey near zero, red positive
_NODE_FACE = {INPUT: "0.75", HIDDEN: "white", OUTPUT: "0.25"}
_MAX_LABELLED_COLUMN = 24  # a column with more nodes than this gets no labels
_MAX_GAP = 0.25  # the largest vertical gap between two nodes of a column (height 1)
_Y_LIMITS = (-0.58, 0.58)


def _enabled_ends(graph: Graph, recurrent: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Node positions (not ids) of the sources and targets of the enabled feed-forward
    connections (or, with ``recurrent``, of the enabled recurrent ones)."""
    enabled = graph.conn_enabled & (graph.conn_recurrent == recurrent)
    if not enabled.any():
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    return graph.node_index(graph.conn_src[enabled]), graph.node_index(graph.conn_dst[enabled])


def graph_layout(graph: Graph) -> np.ndarray:
    """Node positions, (n_nodes, 2) in the Graph's node order: x in [0, 1] (inputs 0, outputs
    1, a hidden node at its level over the enabled connections), y in [-0.5, 0.5] (each
    column centred and spread over the height, its nodes at most _MAX_GAP apart)."""
    n = graph.n_nodes
    kind = graph.node_kind
    src, dst = _enabled_ends(graph)
    level = levels(n, src, dst, start=(kind != INPUT).astype(np.int64))
    is_output = kind == OUTPUT
    last = int(level[~is_output].max(initial=0)) + 1  # the outputs' column, after every other
    level[is_output] = last
    y = np.zeros(n)
    for column in range(last + 1):
        members = np.flatnonzero(level == column)
        if column not in (0, last) and len(src):
            # hidden nodes by the mean height of their (already placed) sources, top first
            total = np.bincount(dst, weights=y[src], minlength=n)[members]
            count = np.bincount(dst, minlength=n)[members]
            centre = np.divide(total, count, out=np.zeros(len(members)), where=count > 0)
            members = members[np.argsort(-centre, kind="stable")]
        m = len(members)
        y[members] = ((m - 1) / 2 - np.arange(m)) * min(1.0 / max(m - 1, 1), _MAX_GAP)
    return np.column_stack([level / last, y])


def _arcs(a: np.ndarray, b: np.ndarray, points: int = 16) -> np.ndarray:
    """Polylines (n, points, 2) bulging to the left of a -> b (a recurrent connection often
    runs back, against the layout); a self-loop (a == b) a circle of radius 0.03 above its
    node."""
    t = np.linspace(0.0, 1.0, points)[None, :, None]
    d = b - a
    length = np.hypot(d[:, 0], d[:, 1])[:, None]
    normal = np.stack([-d[:, 1], d[:, 0]], axis=1) / np.maximum(length, 1e-12)
    bulge = 0.15 * length[:, :, None] * np.sin(np.pi * t)
    arcs = a[:, None] + t * d[:, None] + bulge * normal[:, None]
    loop = length[:, 0] < 1e-12
    if loop.any():
        angle = np.linspace(-0.5 * np.pi, 1.5 * np.pi, points)
        circle = 0.03 * np.stack([np.cos(angle), np.sin(angle) + 1.0], axis=1)
        arcs[loop] = a[loop][:, None] + circle[None]
    return arcs


def _node_labels(graph: Graph) -> list[tuple[int, str, str]]:
    """(node position, text, side) for the inputs ("in 0", ...) and outputs ("out 0", ...),
    for a side with at most _MAX_LABELLED_COLUMN nodes."""
    labels = []
    for kind, word, side in ((INPUT, "in", "left"), (OUTPUT, "out", "right")):
        where = np.flatnonzero(graph.node_kind == kind)
        if len(where) <= _MAX_LABELLED_COLUMN:
            labels += [(int(i), f"{word} {j}", side) for j, i in enumerate(where)]
    return labels


def draw_graph(graph: Graph, ax: Axes | None = None, *, title: str | None = None) -> Figure:
    """Draw ``graph`` into ``ax`` (a new 5 x 4 inch Figure when None); return the Figure.

    One LineCollection holds the enabled connections (one segment each, in the Graph's
    connection order, disabled ones left out); one scatter holds the nodes (in node order,
    at :func:`graph_layout`'s positions): inputs light grey, hidden white, outputs dark.
    """
    if ax is None:
        fig = Figure(figsize=(5.0, 4.0))
        ax = fig.add_axes((0.0, 0.0, 1.0, 0.9 if title else 1.0))
    else:
        fig = ax.figure
    pos = graph_layout(graph)
    src, dst = _enabled_ends(graph)
    ff = graph.conn_enabled & ~graph.conn_recurrent
    weight = graph.conn_weight[ff]
    rec_weight = graph.conn_weight[graph.conn_enabled & graph.conn_recurrent]
    scale = float(np.abs(graph.conn_weight[graph.conn_enabled]).max(initial=0.0)) or 1.0
    # thinner lines as a graph grows dense, so a 2,000-connection MLP is not a solid block
    base = float(np.clip(6.0 / np.sqrt(max(graph.n_enabled, 1)), 0.25, 1.0))
    colour = colormaps[WEIGHT_CMAP]
    norm = Normalize(-scale, scale)
    lines = LineCollection(
        np.stack([pos[src], pos[dst]], axis=1) if len(src) else np.zeros((0, 2, 2)),
        colors=colour(norm(weight)),
        linewidths=base * (0.3 + 2.7 * np.abs(weight) / scale),
        alpha=0.8,
        zorder=1,
        gid="connections",
    )
    ax.add_collection(lines, autolim=False)
    if len(rec_weight):
        r_src, r_dst = _enabled_ends(graph, recurrent=True)
        ax.add_collection(
            LineCollection(
                _arcs(pos[r_src], pos[r_dst]),
                colors=colour(norm(rec_weight)),
                linewidths=base * (0.3 + 2.7 * np.abs(rec_weight) / scale),
                linestyles="dashed",
                alpha=0.8,
                zorder=1,
                gid="recurrent-connections",
            ),
            autolim=False,
        )
    # nodes as large as the closest pair in a column allows: (gap in points * 0.8) ** 2
    tallest = int(np.bincount(np.round(pos[:, 0] * 1e6).astype(np.int64)).max(initial=1))
    gap = min(1.0 / max(tallest - 1, 1), _MAX_GAP)
    box = ax.get_position()
    height_points = box.height * fig.get_size_inches()[1] * 72.0
    size = float(np.clip((0.8 * gap * height_points / np.ptp(_Y_LIMITS)) ** 2, 6.0, 100.0))
    ax.scatter(
        pos[:, 0],
        pos[:, 1],
        s=size,
        c=[_NODE_FACE[int(k)] for k in graph.node_kind],
        edgecolors="0.15",
        linewidths=0.6,
        zorder=2,
        gid="nodes",
    )
    shift = 0.5 * np.sqrt(size) + 2.0  # points from a node's centre to its label
    beside = {
        side: offset_copy(
            ax.transData, fig=fig, x=-shift if side == "left" else shift, units="points"
        )
        for side in ("left", "right")
    }
    for i, text, side in _node_labels(graph):
        ax.text(
            pos[i, 0],
            pos[i, 1],
            text,
            ha="right" if side == "left" else "left",
            va="center",
            fontsize=6,
            color="0.3",
            transform=beside[side],
        )
    ax.set_xlim(-0.2, 1.2)
    ax.set_ylim(*_Y_LIMITS)
    ax.set_axis_off()
    if title is not None:
        ax.set_title(title, fontsize=9, y=1.0)  # (a fixed y skips the title's placement search)
    return fig
