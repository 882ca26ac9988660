"""Final values per run: a box (quartiles) and every run as a point, one per optimizer."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from ._common import (
    UNIT_WORDS,
    colours_for,
    direction_words,
    frame_of_task,
    log_axis,
    new_figure,
    note,
    panels,
    quantity_label,
    spans_decades,
    style_axes,
    title,
)

__all__ = ["final_distributions"]

_GOLDEN = 0.6180339887498949


def _offsets(values: np.ndarray, width: float = 0.36) -> np.ndarray:
    """Horizontal offsets that spread a box's points (equal values included) without
    randomness: the golden-ratio sequence, handed out in the order of the values."""
    n = len(values)
    spread = (np.arange(n) * _GOLDEN) % 1.0 - 0.5 if n > 1 else np.zeros(n)
    out = np.empty(n)
    out[np.argsort(values, kind="stable")] = spread * width
    return out


def _runs(n: int) -> str:
    return f"{n} run" if n == 1 else f"{n} runs"


def final_distributions(
    runs_of_task: pd.DataFrame,
    metric: str = "test_metric",
    task: str | None = None,
    *,
    colors: Mapping[str, object] | None = None,
) -> Figure:
    """Box plus points of ``metric`` (a runs column) per optimizer, over the done runs.

    runs_of_task: ``StudyResults.runs`` rows (of one task, or of several with ``task`` given).
    The tick label of each optimizer gives its number of done runs and of the others; an
    optimizer with no finite value shows none. y is logarithmic for a cost column (units,
    sizes) spanning more than two decades.
    """
    if task is None and "task" in runs_of_task.columns and len(runs_of_task):
        task = str(runs_of_task["task"].iloc[0])
    rows = frame_of_task(runs_of_task, task)
    labels = list(pd.unique(rows["optimizer"])) if "optimizer" in rows.columns else []
    colours = colours_for(labels, colors)
    metric_name = str(rows["metric"].iloc[0]) if "metric" in rows.columns and len(rows) else None
    maximize = (
        bool(rows["metric_maximize"].iloc[0])
        if "metric_maximize" in rows.columns and len(rows) and metric.endswith("_metric")
        else (False if metric.endswith("_loss") else None)
    )
    fig = new_figure(max(6.0, 2.0 + 1.1 * len(labels)), 4.0)
    ax = style_axes(panels(fig, bottom=0.62)[0, 0], grid="y")
    ylabel = quantity_label(metric, metric_name)
    if not labels or metric not in rows.columns:
        note(ax, f"no runs with a {ylabel}")
        return fig
    done = rows["status"] == "done" if "status" in rows.columns else pd.Series(True, rows.index)
    values, ticks = [], []
    for label in labels:
        mine = rows["optimizer"] == label
        v = rows.loc[mine & done, metric].to_numpy(float)
        values.append(v[np.isfinite(v)])
        others = int((mine & ~done).sum())
        ticks.append(
            f"{label}\n{_runs(int((mine & done).sum()))}"
            + (f", {others} not done" if others else "")
        )
    positions = np.arange(len(labels), dtype=float)
    filled = [i for i, v in enumerate(values) if len(v)]
    if filled:
        boxes = ax.boxplot(
            [values[i] for i in filled],
            positions=positions[filled],
            widths=0.55,
            showfliers=False,
            patch_artist=True,
            medianprops={"color": "0.1", "linewidth": 1.5},
            whiskerprops={"color": "0.4"},
            capprops={"color": "0.4"},
        )
        for patch, i in zip(boxes["boxes"], filled):
            patch.set_facecolor(to_rgba(colours[labels[i]], 0.3))
            patch.set_edgecolor("0.4")
        xs = np.concatenate([positions[i] + _offsets(values[i]) for i in filled])
        ys = np.concatenate([values[i] for i in filled])
        point_colours = np.concatenate(
            [np.tile(to_rgba(colours[labels[i]]), (len(values[i]), 1)) for i in filled]
        )
        ax.scatter(xs, ys, s=16, c=point_colours, edgecolors="white", linewidths=0.4, zorder=3)
        if metric in UNIT_WORDS or metric in ("connections", "hidden_nodes"):
            if spans_decades(ys):
                log_axis(ax, "y")
    for i, v in enumerate(values):
        if not len(v):
            ax.text(
                i,
                0.5,
                "no value",
                transform=ax.get_xaxis_transform(),
                ha="center",
                fontsize=8,
                color="0.4",
            )
    ax.set_xticks(positions, ticks, fontsize=8)
    ax.set_xlim(-0.6, len(labels) - 0.4)
    ax.set_ylabel(ylabel, fontsize=9)
    better = direction_words(maximize)
    title(
        fig,
        f"{task}: final {ylabel} of each run"
        + (f" ({better})" if better else "")
        + "; box: quartiles",
        fontsize=10,
    )
    return fig
