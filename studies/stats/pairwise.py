"""Optimizers compared on each task, two at a time: a rank test, Holm's correction over
the task's family of comparisons, the Vargha-Delaney A, wins/ties/losses by repetition,
and an honest verdict that says when the number of seeds cannot support any conclusion.

Unpaired: ``scipy.stats.mannwhitneyu`` (two-sided; scipy's default method: exact for
small samples without ties, else the normal approximation). Paired (repetition k of every
optimizer shares the data split and, for fixed topologies, the initial weights):
``scipy.stats.wilcoxon`` over the repetitions both optimizers have (two-sided, zero
differences dropped, scipy's default). Holm (1979) over the task's comparisons; effect size
A12 (Vargha & Delaney 2000); see :mod:`studies.stats.measures`.

A comparison is ``untestable`` when a side has fewer than 2 values, or when even the most
extreme outcome (:func:`smallest_p`) times the Holm factor of the family (its number of
tests) cannot go below alpha: then "tie" would claim a power the experiment lacks.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from ._compare import compare, untestable_note, values_by_repetition
from ._frames import check_alpha, check_frame, check_quantity, maximize_by_task
from .measures import holm

__all__ = ["pairwise"]

PAIR_COLUMNS = ["task", "a", "b", "test", "n_a", "n_b", "statistic", "p", "p_holm", "a12"]
PAIR_COLUMNS += ["wins", "ties", "losses", "smallest_p", "verdict", "note"]


def pairwise(
    runs: pd.DataFrame, metric: str = "test_metric", *, paired: bool = False, alpha: float = 0.05
) -> pd.DataFrame:
    """Every ordered pair (a, b), a != b, of the optimizers on each task of ``runs``
    (done runs with a finite ``metric``), both orientations with the same p.

    Columns: ``task``, ``a``, ``b``, ``test``, ``n_a``, ``n_b`` (paired: the repetitions
    both have), ``statistic`` (scipy's, for a against b), ``p``, ``p_holm`` (Holm over the
    task's unordered pairs that have a p), ``a12`` (P(a beats b) + P(tie) / 2), ``wins``,
    ``ties``, ``losses`` (a against b by repetition), ``smallest_p``, ``verdict``
    ("better" / "worse": p_holm < alpha, in the direction of the test; "tie"; "untestable":
    see the module docstring) and ``note`` (why, when untestable; else "").
    """
    check_frame(runs, "runs", ["task", "optimizer", "repetition", "status"])
    check_quantity(runs, "runs", metric)
    alpha = check_alpha(alpha)
    maximize = maximize_by_task(runs)
    rows = []
    for task, g in runs.groupby("task", sort=True):
        values = values_by_repetition(g, metric)
        pairs = list(combinations(values, 2))
        found = [
            compare(values[a], values[b], maximize=maximize[task], paired=paired) for a, b in pairs
        ]
        adjusted = holm([c["p"] for c in found]) if found else []
        family = int(sum(np.isfinite(c["p"]) for c in found))
        for (a, b), c, p_holm in zip(pairs, found, adjusted):
            note = untestable_note(c, family, alpha, a, b, paired)
            if note:
                verdict = "untestable"
            elif p_holm < alpha and c["direction"] != 0:
                verdict = "better" if c["direction"] > 0 else "worse"
            else:
                verdict = "tie"
            base = dict(task=task, test=c["test"], p=c["p"], p_holm=float(p_holm), note=note)
            base["smallest_p"] = c["smallest_p"]
            rows.append(
                {
                    **base,
                    "a": a,
                    "b": b,
                    "n_a": c["n_a"],
                    "n_b": c["n_b"],
                    "statistic": c["statistic"],
                    "a12": c["a12"],
                    "wins": c["wins"],
                    "ties": c["ties"],
                    "losses": c["losses"],
                    "verdict": verdict,
                }
            )
            flipped = {"better": "worse", "worse": "better"}.get(verdict, verdict)
            statistic = c["statistic"]
            if not paired:  # U of b = n_a n_b - U of a; Wilcoxon's statistic is symmetric
                statistic = c["n_a"] * c["n_b"] - statistic
            rows.append(
                {
                    **base,
                    "a": b,
                    "b": a,
                    "n_a": c["n_b"],
                    "n_b": c["n_a"],
                    "statistic": statistic,
                    "a12": 1.0 - c["a12"],
                    "wins": c["losses"],
                    "ties": c["ties"],
                    "losses": c["wins"],
                    "verdict": flipped,
                }
            )
    frame = pd.DataFrame(rows, columns=PAIR_COLUMNS)
    return frame.sort_values(["task", "a", "b"], kind="stable").reset_index(drop=True)
