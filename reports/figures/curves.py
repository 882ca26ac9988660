"""Learning curves: the median run's metric against spent compute, one panel per unit."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ._common import (
    UNIT_WORDS,
    colours_for,
    direction_words,
    frame_of_task,
    legend_below,
    legend_rows,
    log_axis,
    new_figure,
    note,
    panels,
    quantity_label,
    spans_decades,
    style_axes,
    title,
)

__all__ = ["learning_curves"]

_NEEDED = {"optimizer", "x", "median"}


def _metric_words(metric: str, split: str) -> str:
    if " " in metric:
        return metric  # words already
    if "_" in metric:
        return quantity_label(metric)
    return quantity_label(f"{split}_metric", metric)


def learning_curves(
    grids: Mapping[str, pd.DataFrame],
    task: str,
    metric: str,
    maximize: bool | None,
    *,
    colors: Mapping[str, object] | None = None,
    split: str = "test",
) -> Figure:
    """Median curve and bootstrap band of each optimizer, one panel per unit of compute.

    grids: unit ("evaluations", "macs", "seconds") -> a ``studies.stats.curve_grid`` frame
    (columns task, optimizer, x, median, low, high, n; rows of other tasks are left out).
    metric: the y axis in words ("test accuracy"), the curve column ("test_metric"), or the
    task's metric name ("accuracy", "mse"), then measured on ``split``.
    maximize: whether higher is better (None: unknown; the title then says neither).
    colors: optimizer -> colour (pass one :func:`palette` of the study to every figure).
    x is logarithmic in a panel whose x values span more than two decades.
    """
    units = list(grids)
    frames = {unit: frame_of_task(grids[unit], task) for unit in units}
    frames = {u: f if _NEEDED <= set(f.columns) else f.iloc[:0] for u, f in frames.items()}
    labels = list(dict.fromkeys(lab for f in frames.values() for lab in f["optimizer"]))
    colours = colours_for(labels, colors)
    rows = legend_rows(len(labels))
    fig = new_figure(10.0, 3.4 + 0.22 * rows)
    axes = panels(fig, 1, max(len(units), 1), bottom=0.5 + 0.22 * rows, wspace=0.25, sharey=True)[0]
    ylabel = _metric_words(metric, split)
    if not units:
        note(axes[0], "no curves recorded")
    handles: dict[str, object] = {}
    for ax, unit in zip(axes, units):
        style_axes(ax)
        frame = frames[unit]
        for label, rows_of in frame.groupby("optimizer", sort=False):
            rows_of = rows_of.sort_values("x", kind="stable")
            x = rows_of["x"].to_numpy(float)
            median = rows_of["median"].to_numpy(float)
            if not np.isfinite(median).any():
                continue
            colour = colours[label]
            (line,) = ax.plot(x, median, drawstyle="steps-post", color=colour, lw=1.6)
            handles.setdefault(label, line)
            if {"low", "high"} <= set(rows_of.columns):
                ax.fill_between(
                    x,
                    rows_of["low"].to_numpy(float),
                    rows_of["high"].to_numpy(float),
                    step="post",
                    color=colour,
                    alpha=0.18,
                    lw=0,
                )
        if not ax.lines:
            note(ax, "no recorded values")
        elif spans_decades(frame["x"]):
            log_axis(ax)
        ax.set_xlabel(UNIT_WORDS.get(unit, unit), fontsize=9)
    axes[0].set_ylabel(ylabel, fontsize=9)
    better = direction_words(maximize)
    title(
        fig,
        f"{task}: median {ylabel} against compute spent"
        + (f" ({better})" if better else "")
        + "; band: bootstrap interval of the median",
    )
    if handles:
        legend_below(fig, list(handles.values()), list(handles))
    return fig
