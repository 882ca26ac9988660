"""What every figure shares: saving, the optimizer palette, axis words and plain styling.

No function here (or in any figure module) touches matplotlib's global state: figures are
``matplotlib.figure.Figure`` objects (never pyplot's), styled axis by axis, and saved with
the Agg renderer, so building a report leaves ``matplotlib.rcParams`` as it found it.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter, LogLocator, NullLocator

__all__ = [
    "MAX_WIDTH",
    "DPI",
    "UNIT_WORDS",
    "save",
    "palette",
    "colours_for",
    "new_figure",
    "panels",
    "title",
    "legend_below",
    "legend_rows",
    "style_axes",
    "note",
    "quantity_label",
    "direction_words",
    "spans_decades",
    "log_axis",
    "frame_of_task",
]

MAX_WIDTH = 10.0  # inches: a laptop screen at dpi 100
DPI = 100
UNIT_WORDS = {
    "evaluations": "evaluations",
    "macs": "MACs",
    "seconds": "seconds",
    "samples": "samples",
    "steps": "steps",
}
_METRIC_WORDS = {"accuracy": "accuracy", "mse": "mean squared error"}
_SPLITS = ("train", "val", "test")
_SPLIT_WORDS = {"train": "training", "val": "validation", "test": "test"}
_QUANTITY_WORDS = {"connections": "connections", "hidden_nodes": "hidden nodes"}


def save(fig: Figure, path: str | Path) -> Path:
    """Write ``fig`` as a PNG at dpi 100 and close it; the same figure gives the same bytes
    (no software version or date is written). Makes the parent folder. Returns the path."""
    from matplotlib import pyplot as plt  # only to release a figure pyplot may hold

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=DPI, metadata={"Software": None})
    plt.close(fig)  # (a no-op for the Figures built here, which pyplot never holds)
    return path


def palette(labels: Iterable[str]) -> dict[str, tuple[float, float, float]]:
    """One colour per label from seaborn's colorblind palette, in the given order (it has 10
    colours; an 11th label gets the first again). Duplicate labels keep their first colour."""
    import seaborn as sns  # (here: importing seaborn takes longer than drawing a figure)

    labels = list(dict.fromkeys(labels))
    colours = sns.color_palette("colorblind", n_colors=len(labels))
    return {label: tuple(float(v) for v in colour) for label, colour in zip(labels, colours)}


def colours_for(labels: Iterable[str], colours: Mapping[str, object] | None) -> dict[str, object]:
    """The colours of ``labels``: those ``colours`` gives (the report passes one palette
    for the whole study, so a label keeps its colour in every figure), the palette's next
    ones for labels it lacks."""
    labels = list(dict.fromkeys(labels))
    if colours is None:
        return palette(labels)
    missing = [label for label in labels if label not in colours]
    extended = palette([*colours, *missing])
    return {label: colours.get(label, extended[label]) for label in labels}


def new_figure(width: float, height: float) -> Figure:
    """A Figure (not pyplot's) at most MAX_WIDTH inches wide. Its axes are placed with fixed
    margins (:func:`panels`): constrained layout would double the drawing time."""
    return Figure(figsize=(min(float(width), MAX_WIDTH), float(height)))


def panels(
    fig: Figure,
    rows: int = 1,
    columns: int = 1,
    *,
    left: float = 0.75,
    right: float = 0.2,
    top: float = 0.6,
    bottom: float = 0.6,
    wspace: float = 0.12,
    hspace: float = 0.3,
    sharex: bool = False,
    sharey: bool = False,
) -> np.ndarray:
    """A (rows, columns) array of axes inside margins given in inches, with ``wspace`` and
    ``hspace`` (also in inches) between them."""
    w, h = fig.get_size_inches()
    inner_w = max(w - left - right, 0.5)
    inner_h = max(h - top - bottom, 0.5)
    axis_w = max((inner_w - wspace * (columns - 1)) / columns, 0.1)
    axis_h = max((inner_h - hspace * (rows - 1)) / rows, 0.1)
    return fig.subplots(
        rows,
        columns,
        squeeze=False,
        sharex=sharex,
        sharey=sharey,
        gridspec_kw={
            "left": left / w,
            "right": min(left + inner_w, w - 0.01) / w,
            "bottom": bottom / h,
            "top": min(bottom + inner_h, h - 0.01) / h,
            "wspace": wspace / axis_w,
            "hspace": hspace / axis_h,
        },
    )


def title(fig: Figure, text: str, *, fontsize: float = 10) -> None:
    """The figure's title, its top 0.1 inch below the top edge, each line wrapped to the
    figure's width (a long task name must not run off the edge)."""
    width = fig.get_size_inches()[0]
    chars = max(int(width * 72.0 / (0.55 * fontsize)), 20)  # DejaVu Sans: ~0.55 em a character
    lines = [
        wrapped
        for line in text.split("\n")
        for wrapped in (textwrap.wrap(line, chars, break_long_words=False) or [""])
    ]
    fig.suptitle(
        "\n".join(lines), fontsize=fontsize, y=1 - 0.1 / fig.get_size_inches()[1], va="top"
    )


def legend_below(fig: Figure, handles, labels, *, columns: int = 6) -> None:
    """A figure legend along the bottom edge (keep ``legend_rows(n) * 0.22`` inches free)."""
    fig.legend(
        handles,
        labels,
        loc="lower center",
        bbox_to_anchor=(0.5, 0.0),
        ncols=max(min(len(labels), columns), 1),
        fontsize=8,
        frameon=False,
        handlelength=1.8,
        columnspacing=1.2,
    )


def legend_rows(n: int, columns: int = 6) -> int:
    return -(-n // columns) if n else 0


def style_axes(ax: Axes, *, grid: str = "both") -> Axes:
    """Light grid behind the data, no top or right frame, small tick labels."""
    ax.grid(True, axis=grid, color="0.9", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    ax.tick_params(labelsize=8)
    return ax


def note(ax: Axes, text: str, *, frame: bool = True) -> Axes:
    """Write ``text`` in the middle of an axes that has nothing to show (without its frame
    when ``frame`` is False)."""
    ax.text(
        0.5,
        0.5,
        text,
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=9,
        color="0.35",
        wrap=True,
    )
    ax.set_xticks([])
    ax.set_yticks([])
    if not frame:
        ax.set_axis_off()
    return ax


def quantity_label(column: str, metric: str | None = None) -> str:
    """Axis words for a column: ``test_metric`` with metric ``accuracy`` -> "test accuracy",
    ``val_loss`` -> "validation loss", ``macs`` -> "MACs", ``hidden_nodes`` -> "hidden nodes";
    a bare metric name (``mse``) -> "mean squared error"."""
    metric_words = _METRIC_WORDS.get(metric, metric) if metric else "metric"
    split, _, what = column.partition("_")
    if split in _SPLITS and what in ("metric", "loss"):
        return f"{_SPLIT_WORDS[split]} {metric_words if what == 'metric' else 'loss'}"
    if column in UNIT_WORDS:
        return UNIT_WORDS[column]
    if column in _QUANTITY_WORDS:
        return _QUANTITY_WORDS[column]
    if column in _METRIC_WORDS:
        return _METRIC_WORDS[column]
    return column.replace("_", " ")


def direction_words(maximize: bool | None) -> str:
    """ "higher is better" / "lower is better" / "" (unknown)."""
    if maximize is None:
        return ""
    return "higher is better" if maximize else "lower is better"


_SUPERSCRIPT = str.maketrans(
    "-0123456789", "\u207b\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079"
)


def power_label(value: float, plain: bool = False) -> str:
    """A log tick's words in plain text (mathtext labels cost more to lay out than the rest
    of a figure): 10 with a superscript power (10\u00b3, 2\u00d710\u2076), or when
    ``plain`` the number itself (0.01, 100, 2000) while it is short."""
    if not (np.isfinite(value) and value > 0):
        return ""
    power = int(np.floor(np.log10(value) + 1e-9))
    mantissa = value / 10.0**power
    if plain and 0.01 <= value < 1e5:
        return f"{value:g}"
    head = "" if np.isclose(mantissa, 1.0) else f"{mantissa:g}\u00d7"
    return f"{head}10{str(power).translate(_SUPERSCRIPT)}"


class DecadeFormatter(Formatter):
    """Log ticks in one style per axis: plain numbers when every tick shown lies in
    [0.01, 100] or some tick is not a power of ten (an axis of less than two decades, ticked
    at 1, 2 and 5 times each), else powers of ten."""

    plain = False

    def set_locs(self, locs) -> None:
        super().set_locs(locs)
        lo, hi = sorted(self.axis.get_view_interval()) if self.axis else (0.0, np.inf)
        shown = np.array([v for v in locs if v > 0 and lo * (1 - 1e-9) <= v <= hi * (1 + 1e-9)])
        decades = np.isclose(shown, 10.0 ** np.round(np.log10(shown))) if len(shown) else shown
        self.plain = bool(len(shown)) and (
            bool(np.all((shown >= 0.01) & (shown <= 100))) or not bool(np.all(decades))
        )

    def __call__(self, x, pos=None) -> str:
        return power_label(x, plain=self.plain)


def log_axis(ax: Axes, which: str = "x", values=None) -> Axes:
    """A logarithmic x (or y) axis, labelled by DecadeFormatter, without minor ticks (they
    cost more to draw than they help reading): ticks at the powers of ten, or at 1, 2 and 5
    times them when ``values`` (the data shown) span less than two decades."""
    axis = ax.xaxis if which == "x" else ax.yaxis
    (ax.set_xscale if which == "x" else ax.set_yscale)("log")
    if values is not None and not spans_decades(values, 2.0):
        axis.set_major_locator(LogLocator(base=10.0, subs=(1.0, 2.0, 5.0)))
    axis.set_minor_locator(NullLocator())
    axis.set_major_formatter(DecadeFormatter())
    return ax


def spans_decades(values, decades: float = 2.0) -> bool:
    """Whether the finite positive ``values`` span more than ``decades`` powers of ten (and
    none is zero or negative, which a log axis could not show)."""
    v = np.asarray(values, dtype=float).ravel()
    v = v[np.isfinite(v)]
    if v.size == 0 or (v <= 0).any():
        return False
    return bool(np.log10(v.max()) - np.log10(v.min()) > decades)


def frame_of_task(frame, task: str | None):
    """The rows of ``task`` when the frame has a task column: all of them when it holds one
    task only (``task`` may then be a display name), else those whose task is ``task``."""
    if task is None or "task" not in frame.columns or frame["task"].nunique() <= 1:
        return frame
    return frame[frame["task"] == task]
