"""NEAT's own story: how the population splits into species, and how its networks grow."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from ._common import new_figure, note, panels, style_axes, title

__all__ = ["neat_figure", "species_matrix"]

_COMPLEXITY = {  # column -> (words, colour, line style): colour the quantity, style whose
    "mean_connections": ("connections, population mean", "#0173b2", "-"),
    "best_connections": ("connections, best network", "#0173b2", "--"),
    "mean_hidden": ("hidden nodes, population mean", "#de8f05", "-"),
    "best_hidden": ("hidden nodes, best network", "#de8f05", "--"),
}


def _sizes(value) -> list:
    """One record's species sizes as a list (a list, an array, JSON text, or missing)."""
    if isinstance(value, str):
        value = json.loads(value)
    if value is None or (np.ndim(value) == 0 and pd.isna(value)):
        return []
    return list(value)


def species_matrix(species_sizes) -> np.ndarray:
    """(n_records, n_species) sizes, species = list position, padded with zeros where a
    record's list is shorter (species born later, or the list cut after extinctions)."""
    lists = [_sizes(v) for v in species_sizes]
    lengths = np.array([len(v) for v in lists], dtype=np.int64)
    out = np.zeros((len(lists), int(lengths.max(initial=0))))
    if lengths.sum():
        rows = np.repeat(np.arange(len(lists)), lengths)
        starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
        out[rows, np.arange(lengths.sum()) - starts] = np.concatenate(
            [np.asarray(v, dtype=float) for v in lists if len(v)]
        )
    return out


def _stacked_areas(x: np.ndarray, sizes: np.ndarray) -> PolyCollection:
    """One polygon per species between the running totals below and with it (a stacked
    area plot as one collection: stackplot's fill per species costs more).

    x: (n_records,); sizes: (n_records, n_species)."""
    top = np.cumsum(sizes, axis=1).T  # (n_species, n_records)
    bottom = top - sizes.T
    ys = np.concatenate([top, bottom[:, ::-1]], axis=1)
    xs = np.broadcast_to(np.r_[x, x[::-1]], ys.shape)
    cmap = colormaps["tab20"]
    return PolyCollection(
        np.stack([xs, ys], axis=-1),
        facecolors=[cmap(i % 20) for i in range(sizes.shape[1])],
        edgecolors="white",
        linewidths=0.3,
    )


def neat_figure(curves: pd.DataFrame, label: str) -> Figure:
    """Species sizes over generations as a stacked area (the first repetition's run), and
    network size over generations (the median over runs of whichever of mean_connections,
    best_connections, mean_hidden, best_hidden are recorded).

    curves: the ``StudyResults.curves`` rows of one task and one NEAT optimizer. The x axis
    is the loop's steps (one NEAT step is one generation), or the record number without them.
    """
    xcol = "steps" if "steps" in curves.columns else "point"
    xlabel = "generations" if xcol == "steps" else "recorded step"
    fig = new_figure(10.0, 3.6)
    left, right = (style_axes(ax) for ax in panels(fig, 1, 2, top=0.7, bottom=0.5, wspace=0.8)[0])
    task = str(curves["task"].iloc[0]) if "task" in curves.columns and len(curves) else ""
    title(fig, f"{label}{' on ' + task if task else ''}: species and network size", fontsize=10)
    if not len(curves):
        note(left, "no records")
        note(right, "no records")
        return fig
    # species of one run
    rep = curves["repetition"].min() if "repetition" in curves.columns else None
    one = curves if rep is None else curves[curves["repetition"] == rep]
    one = one.sort_values(xcol, kind="stable")
    sizes = species_matrix(one["species_sizes"]) if "species_sizes" in one.columns else None
    if sizes is None or not sizes.size:
        note(left, "no species sizes recorded")
    else:
        x = one[xcol].to_numpy(float)
        if len(x) == 1:  # one record: a band one generation wide, so it shows
            x, sizes = np.r_[x - 0.5, x + 0.5], np.repeat(sizes, 2, axis=0)
        left.add_collection(_stacked_areas(x, sizes), autolim=False)
        left.set_xlim(x.min(), x.max() if x.max() > x.min() else x.min() + 1)
        left.set_ylim(0.0, max(float(sizes.sum(axis=1).max()), 1.0) * 1.04)
        left.set_ylabel("genomes per species", fontsize=9)
        left.set_title(
            f"species sizes, repetition {rep} (at most {sizes.shape[1]} at once)", fontsize=9, y=1.0
        )
    left.set_xlabel(xlabel, fontsize=9)
    # complexity, median over runs
    present = [
        c
        for c in _COMPLEXITY
        if c in curves.columns and np.isfinite(curves[c].to_numpy(float)).any()
    ]
    if not present:
        note(right, "no network sizes recorded")
    else:
        median = curves.groupby(xcol, sort=True)[present].median()
        runs = curves["run_id"].nunique() if "run_id" in curves.columns else 1
        x = median.index.to_numpy(float)
        for column in present:
            words, colour, style = _COMPLEXITY[column]
            right.plot(
                x,
                median[column].to_numpy(float),
                linestyle=style,
                color=colour,
                lw=1.6,
                marker="o" if len(x) <= 20 else None,
                markersize=3,
                label=words,
            )
        right.set_ylabel("count", fontsize=9)
        right.set_title(
            f"network size, median over {runs} run{'s' if runs != 1 else ''}", fontsize=9, y=1.0
        )
        right.legend(fontsize=7, frameon=False, loc="upper left", handlelength=3.0)
    right.set_xlabel(xlabel, fontsize=9)
    return fig
