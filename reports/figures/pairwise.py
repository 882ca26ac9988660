"""Every pair of optimizers across tasks: significant wins minus losses, W/T/L in each cell."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ._common import new_figure, note, panels, title

__all__ = ["pairwise_heatmap", "pairwise_counts"]


def pairwise_counts(pairs: pd.DataFrame) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """(labels, wins, ties, losses): (k, k) counts of tasks where row a is significantly
    better than column b ("better"), not told apart ("tie" or "untestable"), worse."""
    labels = list(dict.fromkeys([*pairs["a"], *pairs["b"]]))
    k = len(labels)
    index = {label: i for i, label in enumerate(labels)}
    a = pairs["a"].map(index).to_numpy(int)
    b = pairs["b"].map(index).to_numpy(int)
    verdict = pairs["verdict"].to_numpy()
    counts = []
    for mask in (verdict == "better", ~np.isin(verdict, ["better", "worse"]), verdict == "worse"):
        c = np.zeros((k, k), dtype=np.int64)
        np.add.at(c, (a[mask], b[mask]), 1)
        counts.append(c)
    return labels, *counts


def pairwise_heatmap(pairs: pd.DataFrame) -> Figure:
    """Cell (a, b): tasks where a is significantly better than b minus tasks where it is
    worse, annotated "W/T/L" (T counts ties and untestable pairs).

    pairs: ``studies.stats.pairwise`` over all tasks (columns task, a, b, verdict, ...).
    """
    labels = list(dict.fromkeys([*pairs["a"], *pairs["b"]])) if len(pairs) else []
    k = len(labels)
    longest = max((len(str(label)) for label in labels), default=4)
    cell = 0.75 if k <= 8 else max(0.45, 6.5 / k)
    left, bottom = 0.45 + 0.065 * longest, 0.45 + 0.035 * longest
    width = min(10.0, max(6.8, left + cell * k + 1.4))
    fig = new_figure(width, bottom + cell * max(k, 2) + 0.75)
    # the axes box is the square of cells, the colour bar right of it, the two centred
    left += max((width - (left + cell * k + 1.4)) / 2, 0.0)
    right = max(width - left - cell * k, 1.4)
    ax = panels(fig, left=left, right=right, top=0.75, bottom=bottom)[0, 0]
    if k < 2:
        note(ax, "a pairwise comparison needs at least two optimizers")
        return fig
    labels, wins, ties, losses = pairwise_counts(pairs)
    n_tasks = max(int(pairs["task"].nunique()), 1)
    score = (wins - losses).astype(float)
    np.fill_diagonal(score, np.nan)
    cmap = colormaps["RdBu"].with_extremes(bad="0.88")  # the diagonal: grey
    image = ax.imshow(score, cmap=cmap, vmin=-n_tasks, vmax=n_tasks)
    fontsize = 8 if k <= 8 else 6.5
    for i in range(k):
        for j in range(k):
            if i == j:
                continue
            strong = abs(score[i, j]) > 0.6 * n_tasks
            ax.text(
                j,
                i,
                f"{wins[i, j]}/{ties[i, j]}/{losses[i, j]}",
                ha="center",
                va="center",
                fontsize=fontsize,
                color="white" if strong else "0.1",
            )
    ax.set_xticks(np.arange(k), labels, rotation=30, ha="right", fontsize=8)
    ax.set_yticks(np.arange(k), labels, fontsize=8)
    ax.set_xlabel("against (column)", fontsize=9)
    ax.set_ylabel("optimizer (row)", fontsize=9)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    box = ax.get_position()
    bar = fig.colorbar(
        image, cax=fig.add_axes((box.x1 + 0.2 / width, box.y0, 0.15 / width, box.height))
    )
    bar.locator = MaxNLocator(integer=True)
    bar.update_ticks()
    bar.set_label("tasks better minus tasks worse", fontsize=8)
    bar.ax.tick_params(labelsize=7)
    title(
        fig,
        f"Row against column over {n_tasks} task{'s' if n_tasks != 1 else ''}: tasks where the row\n"
        "is significantly better / not told apart / worse (W/T/L, Holm-corrected)",
        fontsize=10,
    )
    return fig
