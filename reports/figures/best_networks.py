"""The best network of each optimizer on a task, drawn side by side."""

from __future__ import annotations

import math
from collections.abc import Mapping

from matplotlib.figure import Figure

from networks import Graph

from ..graph_drawing import draw_graph
from ._common import new_figure, note, panels, title

__all__ = ["networks_figure"]

_COLUMNS = 3


def networks_figure(graphs: Mapping[str, Graph | None], task: str) -> Figure:
    """One panel per optimizer (in the mapping's order) with :func:`draw_graph`, titled with
    the label and the network's size (enabled connections, hidden nodes); None draws a panel
    that says there is no network."""
    n = len(graphs)
    columns = min(max(n, 1), _COLUMNS)
    rows = max(math.ceil(n / _COLUMNS), 1)
    fig = new_figure(3.3 * columns, 2.7 * rows + 0.45)
    axes = panels(
        fig, rows, columns, left=0.05, right=0.05, top=0.8, bottom=0.05, wspace=0.1, hspace=0.45
    ).ravel()
    for ax in axes[n:]:
        ax.set_axis_off()
    if n == 0:
        note(axes[0], "no networks", frame=False)
    for ax, (label, graph) in zip(axes, graphs.items()):
        if graph is None:
            note(ax, f"{label}: no network", frame=False)
            continue
        hidden = graph.n_hidden
        draw_graph(
            graph,
            ax,
            title=f"{label}\n{graph.n_enabled} connections, {hidden} hidden node{'s' if hidden != 1 else ''}",
        )
    title(
        fig,
        f"{task}: best network of each optimizer\n(inputs left, outputs right; "
        "red: positive weight, blue: negative, width: |weight|)",
        fontsize=10,
    )
    return fig
