"""Cost to reach the target as empirical distributions over runs (COCO / IOHprofiler)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ._common import (
    UNIT_WORDS,
    colours_for,
    frame_of_task,
    log_axis,
    new_figure,
    note,
    panels,
    style_axes,
    title,
)

__all__ = ["cost_ecdfs"]


def cost_ecdfs(
    ecdfs: Mapping[str, pd.DataFrame],
    task: str,
    runs_per_optimizer: Mapping[str, int] | pd.Series,
    *,
    colors: Mapping[str, object] | None = None,
) -> Figure:
    """One panel per unit (the keys of ``ecdfs``, e.g. "evaluations" and "seconds"): the
    fraction of each optimizer's runs that reached the target within x units, as a step
    function held to the panel's right edge; x logarithmic (when every x is positive).

    ecdfs: unit -> ``studies.stats.ecdf(hits, unit)`` (columns task, optimizer, x, fraction).
    runs_per_optimizer: optimizer -> number of runs (the legend says "3/5 reached"); an
    optimizer with no success has no rows and draws no line.
    """
    runs = dict(pd.Series(runs_per_optimizer, dtype=float)) if len(runs_per_optimizer) else {}
    units = list(ecdfs)
    frames = {unit: frame_of_task(ecdfs[unit], task) for unit in units}
    labels = list(
        dict.fromkeys(
            [*runs, *(lab for f in frames.values() if "optimizer" in f for lab in f["optimizer"])]
        )
    )
    colours = colours_for(labels, colors)
    longest = max((len(str(label)) for label in labels), default=0) + 16  # " (10/10 reached)"
    legend_width = 0.3 + 0.062 * longest
    fig = new_figure(10.0, 3.6)
    axes = panels(
        fig, 1, max(len(units), 1), right=legend_width, top=0.6, wspace=0.25, sharey=True
    )[0]
    reached: dict[str, float] = {}  # label -> the final fraction
    for ax, unit in zip(axes, units):
        style_axes(ax)
        frame = frames[unit]
        ok = len(frame) and {"optimizer", "x", "fraction"} <= set(frame.columns)
        frame = frame[np.isfinite(frame["x"].to_numpy(float))] if ok else frame.iloc[:0]
        if not len(frame):
            note(ax, "no run reached the target")
            ax.set_xlabel(UNIT_WORDS.get(unit, unit), fontsize=9)
            continue
        x_all = frame["x"].to_numpy(float)
        log = bool((x_all > 0).all())
        right = x_all.max() * (1.5 if log else 1.05)
        for label in labels:
            rows = frame[frame["optimizer"] == label].sort_values("x", kind="stable")
            if not len(rows):
                continue
            x = rows["x"].to_numpy(float)
            fraction = rows["fraction"].to_numpy(float)
            reached.setdefault(label, float(fraction[-1]))
            ax.step(
                np.r_[x[0], x, right],
                np.r_[0.0, fraction, fraction[-1]],
                where="post",
                color=colours[label],
                lw=1.6,
            )
        if log:
            log_axis(ax, values=np.r_[x_all, right])
        ax.set_xlim(right=right)
        ax.set_ylim(-0.02, 1.04)
        ax.set_xlabel(UNIT_WORDS.get(unit, unit) + (" (log scale)" if log else ""), fontsize=9)
    axes[0].set_ylabel("fraction of runs that reached the target", fontsize=9)
    if not units:
        note(axes[0], "no cost distributions")
    handles, names = [], []
    for label in labels:
        n = runs.get(label)
        handles.append(Line2D([], [], color=colours[label], lw=1.6))
        if n:
            names.append(f"{label} ({round(reached.get(label, 0.0) * n)}/{int(n)} reached)")
        else:
            names.append(label)
    if handles:
        fig.legend(
            handles,
            names,
            loc="upper right",
            bbox_to_anchor=(1.0, 1.0 - 0.6 / fig.get_size_inches()[1]),
            fontsize=8,
            frameon=False,
        )
    title(fig, f"{task}: runs that reached the target within a given cost")
    return fig
