"""The comparison of two optimizers on one task that :func:`studies.stats.pairwise` and
:func:`studies.stats.versus_best` share (private): their values by repetition, the rank
test (``scipy.stats.mannwhitneyu`` or ``scipy.stats.wilcoxon``, two-sided, scipy's default
methods), A12 (Vargha & Delaney 2000), wins/ties/losses, and why a comparison is
untestable (:func:`studies.stats.smallest_p` times the Holm factor of the family).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from scipy import stats

from ._frames import done_runs
from .measures import a12, smallest_p

MANN_WHITNEY = "Mann-Whitney U"
WILCOXON = "Wilcoxon signed-rank"


def values_by_repetition(runs_of_task: pd.DataFrame, metric: str) -> dict[str, pd.Series]:
    """optimizer -> its done runs' finite ``metric`` values indexed by repetition (every
    optimizer of ``runs_of_task`` present, possibly with an empty Series)."""
    out = {}
    done = done_runs(runs_of_task)
    for optimizer in sorted(runs_of_task["optimizer"].unique()):
        g = done[done["optimizer"] == optimizer]
        if g["repetition"].duplicated().any():
            rep = g.loc[g["repetition"].duplicated(), "repetition"].iloc[0]
            raise ValueError(
                f"runs holds two done runs of {optimizer} on {g['task'].iloc[0]} in repetition "
                f"{rep}; give one run per repetition (load the study without all_runs)"
            )
        s = pd.Series(g[metric].to_numpy(dtype=float), index=g["repetition"].to_numpy())
        out[str(optimizer)] = s[np.isfinite(s.to_numpy())].sort_index()
    return out


def compare(xa: pd.Series, xb: pd.Series, *, maximize: bool, paired: bool) -> dict:
    """The test of ``xa`` against ``xb`` (values indexed by repetition): ``test``,
    ``n_a``, ``n_b``, ``statistic`` (U of a, or scipy's Wilcoxon statistic), ``p``,
    ``a12`` (a better than b), ``wins``, ``ties``, ``losses`` (repetition by repetition
    over the repetitions both have), ``smallest_p`` and ``direction`` (+1: a better)."""
    common = xa.index.intersection(xb.index)
    da, db = xa.loc[common].to_numpy(), xb.loc[common].to_numpy()
    diff = (da - db) if maximize else (db - da)  # > 0: a better
    out = dict(wins=int(np.sum(diff > 0)), ties=int(np.sum(diff == 0)))
    out["losses"] = int(np.sum(diff < 0))
    if paired:
        x, y = da, db
        n_a = n_b = len(common)
        test, low = WILCOXON, smallest_p(len(common), paired=True)
    else:
        x, y = xa.to_numpy(), xb.to_numpy()
        n_a, n_b = len(x), len(y)
        test, low = MANN_WHITNEY, smallest_p(n_a, n_b)
    statistic = p = math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all differences zero, etc.
        if paired and n_a >= 1:
            res = stats.wilcoxon(x, y, alternative="two-sided")
            statistic, p = float(res.statistic), float(res.pvalue)
        elif not paired and n_a >= 1 and n_b >= 1:
            res = stats.mannwhitneyu(x, y, alternative="two-sided")
            statistic, p = float(res.statistic), float(res.pvalue)
    effect = a12(x, y, maximize)
    if paired:
        nonzero = diff[diff != 0]
        ranks = stats.rankdata(np.abs(nonzero))
        direction = np.sign(np.sum(ranks * np.sign(nonzero))) if len(nonzero) else 0.0
    else:
        direction = 0.0 if math.isnan(effect) else np.sign(effect - 0.5)
    out.update(test=test, n_a=n_a, n_b=n_b, statistic=statistic, p=p, smallest_p=low)
    out.update(a12=effect, direction=int(direction))
    return out


def untestable_note(c: dict, family: int, alpha: float, a: str, b: str, paired: bool) -> str:
    """Why the comparison ``c`` (a :func:`compare` result) cannot reach significance, or
    "" when it can. ``family``: the number of tests Holm corrects over."""
    n_a, n_b, low = c["n_a"], c["n_b"], c["smallest_p"]
    if paired and n_a < 2:
        return f"{a} and {b} share {n_a} repetition(s) with values; a paired test needs 2"
    if not paired and min(n_a, n_b) < 2:
        return f"{a} has {n_a} and {b} {n_b} done run(s) with values; a test needs 2 each"
    if math.isnan(c["p"]):
        return "the test gave no p value"
    if low * max(family, 1) < alpha:
        return ""
    sizes = f"{n_a} paired repetitions" if paired else f"{n_a} and {n_b} runs"
    if family <= 1:
        return (
            f"with {sizes} no test can reach p < {alpha:g} "
            f"(smallest possible p = {low:.3g}); run more seeds"
        )
    return (
        f"with {sizes} and {family} comparisons on this task, no test can reach "
        f"p < {alpha:g} after Holm's correction (smallest possible p = {low:.3g}, "
        f"x {family} = {low * family:.3g}); run more seeds"
    )
