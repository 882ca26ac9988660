"""Each task's best optimizer (by median) against every other, and the sentence a report
writes about it.

The same tests as :func:`studies.stats.pairwise` (Mann-Whitney U or Wilcoxon signed-rank,
Holm 1979 over the k - 1 comparisons with the best, Vargha & Delaney's A12), but only the
k - 1 comparisons a reader asks first: is the winner really better than each of the others?
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ._compare import MANN_WHITNEY, WILCOXON, compare, untestable_note, values_by_repetition
from ._frames import check_alpha, check_frame, check_quantity, maximize_by_task, p_text
from .measures import holm

__all__ = ["versus_best", "task_sentence"]

COLUMNS = ["task", "optimizer", "median", "best", "p", "p_holm", "a12", "test", "n"]
COLUMNS += ["verdict", "note"]


def _row(task: str, optimizer: str, **values) -> dict:
    nan = math.nan
    row = dict(task=task, optimizer=optimizer, median=nan, best=False, p=nan, p_holm=nan)
    row.update(a12=nan, test="", n=0, verdict="untestable", note="")
    return {**row, **values}


def _rows_of_task(task, values, maximize: bool, paired: bool, alpha: float) -> list[dict]:
    labels = list(values)  # sorted labels
    medians = {o: float(np.median(v)) if len(v) else math.nan for o, v in values.items()}
    sign = 1.0 if maximize else -1.0
    scored = [(o, sign * m) for o, m in medians.items() if math.isfinite(m)]
    test = WILCOXON if paired else MANN_WHITNEY
    if not scored:
        return [_row(task, o, test=test, note="no done run has a value") for o in labels]
    top = max(s for _, s in scored)
    best = next(o for o, s in scored if s == top)  # ties: the first label
    others = [o for o in labels if o != best]
    found = [compare(values[best], values[o], maximize=maximize, paired=paired) for o in others]
    adjusted = holm([c["p"] for c in found]) if found else []
    family = int(sum(np.isfinite(c["p"]) for c in found))
    rows = [
        _row(task, best, median=medians[best], best=True, test=test, n=len(values[best]),
             verdict="best")
    ]  # fmt: skip
    for o, c, p_holm in zip(others, found, adjusted):
        note = untestable_note(c, family, alpha, best, o, paired)
        if note:
            verdict = "untestable"
        elif p_holm < alpha and c["direction"] > 0:
            verdict = "worse"
        else:
            verdict = "tie"
            if p_holm < alpha and c["direction"] < 0:
                note = (
                    f"{best} has the better median, but the test favours {o} (A12 = {c['a12']:.2f})"
                )
        n = c["n_a"] if paired else c["n_b"]
        rows.append(
            _row(task, o, median=medians[o], p=c["p"], p_holm=float(p_holm), a12=c["a12"],
                 test=c["test"], n=n, verdict=verdict, note=note)
        )  # fmt: skip
    key = {o: -s for o, s in scored}
    rows[1:] = sorted(rows[1:], key=lambda r: (key.get(r["optimizer"], math.inf), r["optimizer"]))
    return rows


def versus_best(
    runs: pd.DataFrame, metric: str = "test_metric", *, paired: bool = False, alpha: float = 0.05
) -> pd.DataFrame:
    """Per task of ``runs``, one row per optimizer: ``task``, ``optimizer``, ``median`` (of
    ``metric`` over its done runs), ``best`` (True for the best median, respecting
    ``metric_maximize``; ties go to the first label in sorted order), ``p`` and ``p_holm``
    (the test of the best against this optimizer; Holm over the k - 1 comparisons),
    ``a12`` (the best against this optimizer: P(best beats it) + P(tie) / 2), ``test``,
    ``n`` (this optimizer's values; paired: the repetitions it shares with the best),
    ``verdict`` ("best", "worse": p_holm < alpha, "tie", or "untestable" when the
    experiment cannot reach significance, see :func:`pairwise`) and ``note`` (why).
    Rows: tasks sorted, the best first, then by median, best to worst (no value last).
    """
    check_frame(runs, "runs", ["task", "optimizer", "repetition", "status"])
    check_quantity(runs, "runs", metric)
    alpha = check_alpha(alpha)
    maximize = maximize_by_task(runs)
    rows = []
    for task, g in runs.groupby("task", sort=True):
        rows += _rows_of_task(task, values_by_repetition(g, metric), maximize[task], paired, alpha)
    return pd.DataFrame(rows, columns=COLUMNS)


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def task_sentence(rows: pd.DataFrame, task: str) -> str:
    """One sentence on ``task`` from its :func:`versus_best` rows (``rows`` may hold other
    tasks too), e.g. "On iris, cmaes (best median) and backprop tie; neat is worse
    (Holm p = 0.002, A12 = 0.90)." When the data cannot support a verdict it says that the
    numbers cannot tell the optimizers apart, and why (the untestable note)."""
    check_frame(rows, "rows", ["optimizer", "best", "verdict", "note", "p_holm", "a12"])
    if "task" in rows.columns:
        rows = rows[rows["task"] == task]
        if rows.empty:
            raise ValueError(f"rows hold no task {task!r}")
    best = rows.loc[rows["best"].astype(bool), "optimizer"].tolist()
    if not best:
        return (
            f"On {task}, no optimizer has a finished run with a value, so nothing can be compared."
        )
    best = best[0]
    by = {v: rows[rows["verdict"] == v] for v in ("tie", "worse", "untestable")}
    if len(rows) == 1:
        return f"On {task}, only {best} has results; there is nothing to compare it with."
    parts = []
    ties = by["tie"]["optimizer"].tolist()
    if ties:
        parts.append(f"{_join([f'{best} (best median)', *ties])} tie")
    else:
        parts.append(f"{best} is best")
    worse = by["worse"]
    if len(worse):
        cells = [
            (o, f"({p_text(p, 'Holm p')}, A12 = {a:.2f})")
            for o, p, a in zip(worse["optimizer"], worse["p_holm"], worse["a12"])
        ]
        if len(cells) == 1:
            parts.append(f"{cells[0][0]} is worse {cells[0][1]}")
        else:
            parts.append(f"{_join([f'{o} {why}' for o, why in cells])} are worse")
    untestable = by["untestable"]
    if len(untestable):
        notes = list(dict.fromkeys(untestable["note"]))
        names = untestable["optimizer"].tolist()
        if not ties and not len(worse):
            return (
                f"On {task}, {best} has the best median, but the numbers cannot tell it apart "
                f"from {_join(names)}: {'; '.join(notes)}."
            )
        parts.append(f"{_join(names)} cannot be told apart from {best} ({'; '.join(notes)})")
    return f"On {task}, " + "; ".join(parts) + "."
