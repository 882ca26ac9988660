"""The critical-difference diagram of Demsar (2006), section 3.2.2, figure 1.

A rank axis (1 = best, on the left); each optimizer hangs from its average rank to its name
(the better half on the left, the rest on the right); a bar of the Nemenyi critical
difference above the axis; optimizers whose ranks differ by less than it (no pair in the
group significantly different) joined by thick lines under the axis.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ._common import colours_for, new_figure, note, panels, title

__all__ = ["cd_diagram", "cd_groups"]


def cd_groups(ranks: np.ndarray, cd: float) -> list[tuple[int, int]]:
    """Maximal runs (i, j), i < j, of the sorted ``ranks`` whose spread is below ``cd``: the
    groups whose members no test can tell apart. Empty when cd is not finite and positive."""
    r = np.sort(np.asarray(ranks, dtype=float))
    if not (np.isfinite(cd) and cd > 0) or len(r) < 2:
        return []
    # the last member of the group each optimizer starts: every rank within cd of its own
    last = np.searchsorted(r, r + cd, side="left") - 1
    groups, reach = [], -1
    for i, j in enumerate(last):
        if j > i and j > reach:  # a group not inside the one before
            groups.append((i, int(j)))
            reach = j
    return groups


def cd_diagram(
    ranks: pd.Series,
    cd: float,
    *,
    colors: Mapping[str, object] | None = None,
) -> Figure:
    """Demsar-style diagram of average ranks (``friedman(...)["ranks"]``: optimizer -> rank,
    1 = best) with the critical difference ``cd`` drawn and labelled "CD = 3.37"."""
    r = pd.Series(ranks, dtype=float).dropna().sort_values(kind="stable")
    k = len(r)
    labels = [str(label) for label in r.index]
    colours = colours_for(labels, colors)
    cd_ok = bool(np.isfinite(cd) and cd > 0)
    groups = cd_groups(r.to_numpy(), cd) if cd_ok else []
    half = math.ceil(k / 2)
    fig = new_figure(8.0, 1.65 + 0.28 * max(half, 1) + 0.12 * len(groups))
    ax = panels(fig, left=0.1, right=0.1, top=0.55, bottom=0.05)[0, 0]
    if k == 0:
        note(ax, "no average ranks (no task where every optimizer has a value)")
        return fig
    lo, hi = 1.0, float(max(k, 2))
    right = max(hi, lo + cd) if cd_ok else hi
    span = right - lo
    margin = 0.55 * span + 0.5  # room for the names at both sides
    ax.set_xlim(lo - margin, right + margin)
    # the rank axis
    ax.plot([lo, hi], [0, 0], color="0.1", lw=1.0)
    for t in range(1, int(hi) + 1):
        ax.plot([t, t], [0, 0.08], color="0.1", lw=1.0)
        ax.text(t, 0.13, str(t), ha="center", va="bottom", fontsize=8)
    ax.text(lo - 0.1, 0.13, "rank", ha="right", va="bottom", fontsize=8, color="0.35")
    top = 0.55
    if cd_ok:
        ax.plot([lo, lo + cd], [top, top], color="0.1", lw=1.5)
        ax.plot([lo, lo], [top - 0.06, top + 0.06], color="0.1", lw=1.5)
        ax.plot([lo + cd, lo + cd], [top - 0.06, top + 0.06], color="0.1", lw=1.5)
        ax.text(lo + cd / 2, top + 0.08, f"CD = {cd:.2f}", ha="center", va="bottom", fontsize=9)
    # groups not significantly different, under the axis
    for g, (i, j) in enumerate(groups):
        y = -0.18 - 0.12 * g
        ax.plot(
            [r.iloc[i] - 0.04, r.iloc[j] + 0.04],
            [y, y],
            color="0.1",
            lw=3.5,
            solid_capstyle="round",
        )
    first = -0.28 - 0.12 * len(groups)
    for n, (label, rank) in enumerate(r.items()):
        left = n < half
        row = n if left else k - 1 - n
        y = first - 0.28 * row
        end = lo - 0.35 if left else hi + 0.35
        ax.plot([rank, rank, end], [0, y, y], color="0.35", lw=0.9, zorder=1)
        ax.scatter(
            [rank], [0], s=22, color=colours[str(label)], zorder=3, edgecolors="0.1", linewidths=0.5
        )
        ax.text(
            end + (-0.06 if left else 0.06),
            y,
            f"{label} ({rank:.2f})",
            ha="right" if left else "left",
            va="center",
            fontsize=9,
        )
    bottom = first - 0.28 * (max(half, 1) - 1) - 0.2
    ax.set_ylim(bottom, top + 0.35)
    ax.set_axis_off()
    if not cd_ok:
        says = "the critical difference is not available (it needs at least two tasks)"
    elif k > 1 and cd >= k - 1:
        says = (
            f"CD = {cd:.2f}, no smaller than the widest possible rank gap ({k - 1} with {k} "
            "optimizers): no pair can be told apart"
        )
    else:
        says = "joined: not significantly different (Nemenyi)"
    title(fig, f"Average rank over tasks (1 = best)\n{says}")
    return fig
