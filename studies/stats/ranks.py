"""Optimizers ranked across tasks: the Friedman test and the Nemenyi critical difference.

Demsar, J. (2006). Statistical comparisons of classifiers over multiple data sets.
*Journal of Machine Learning Research* 7, 1-30. Each task ranks the optimizers by their
median (1 = best, ties averaged); the Friedman test asks whether the average ranks differ
more than chance would make them (section 3.2.2); the Nemenyi post-hoc test calls two
optimizers different when their average ranks differ by at least the critical difference
CD = q_alpha sqrt(k (k + 1) / (6 N)), q_alpha the studentized range quantile for k groups
and infinite degrees of freedom divided by sqrt(2) (Demsar's table 5a: 1.960 for k = 2 up
to 3.164 for k = 10). Demsar advises the post-hoc test only after the Friedman test rejects.
"""

from __future__ import annotations

import math
import warnings
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import stats

from ._frames import (
    check_alpha,
    check_frame,
    check_positive_int,
    check_quantity,
    done_runs,
    maximize_by_task,
    p_text,
)

__all__ = ["rank_table", "friedman", "nemenyi_cd", "nemenyi_q"]


def rank_table(runs: pd.DataFrame, metric: str = "test_metric") -> pd.DataFrame:
    """The median of ``metric`` over each (task, optimizer)'s done runs: index ``task``,
    columns ``optimizer`` (sorted), only the tasks where every optimizer has a value."""
    check_frame(runs, "runs", ["task", "optimizer", "status"])
    check_quantity(runs, "runs", metric)
    table = done_runs(runs).pivot_table(
        index="task", columns="optimizer", values=metric, aggfunc="median", dropna=False
    )
    table = table.reindex(columns=sorted(runs["optimizer"].unique()))
    table = table.reindex(index=sorted(runs["task"].unique()))
    table = table.dropna(axis=0, how="any")
    table.index.name, table.columns.name = "task", "optimizer"
    return table.astype(float)


@lru_cache(maxsize=64)
def _q(k: int, alpha: float) -> float:
    return float(stats.studentized_range.ppf(1.0 - alpha, k, np.inf) / math.sqrt(2.0))


def nemenyi_q(k: int, alpha: float = 0.05) -> float:
    """Demsar's q_alpha: the studentized range ``ppf(1 - alpha, k, inf) / sqrt(2)`` (k = 6,
    alpha = 0.05: 2.850)."""
    k = check_positive_int(k, "k (number of optimizers)", 2)
    return _q(k, check_alpha(alpha))


def nemenyi_cd(k: int, n_tasks: int, alpha: float = 0.05) -> float:
    """The Nemenyi critical difference of average ranks for ``k`` optimizers over
    ``n_tasks`` tasks (Demsar 2006): q_alpha sqrt(k (k + 1) / (6 N)); k = 6, N = 5: 3.37."""
    k = check_positive_int(k, "k (number of optimizers)", 2)
    n_tasks = check_positive_int(n_tasks, "n_tasks", 1)
    return nemenyi_q(k, alpha) * math.sqrt(k * (k + 1) / (6.0 * n_tasks))


def _sentence(k: int, n: int, statistic: float, p: float, cd: float, alpha: float) -> str:
    if k < 2:
        return f"Ranking needs at least 2 optimizers with results on the same tasks; found {k}."
    if n == 0:
        return "No task has results from every optimizer, so the optimizers cannot be ranked."
    if k < 3 or n < 2:
        head = f"The Friedman test needs at least 3 optimizers and 2 tasks (here {k} and {n})."
    elif math.isnan(p):
        head = "The Friedman test is undefined: every task ranks all optimizers equal."
    else:
        found = (
            "the average ranks differ" if p < alpha else "no evidence that the average ranks differ"
        )
        head = (
            f"Friedman test over {n} tasks and {k} optimizers: chi2 = {statistic:.2f}, "
            f"{p_text(p)} ({found} at p < {alpha:g})."
        )
    tail = (
        f" With {k} optimizers over {n} tasks, average ranks must differ by {cd:.2f} to count "
        f"as different at p < {alpha:g} (Nemenyi)"
    )
    if cd >= k - 1:
        tail += f"; that is at least {k - 1}, the largest possible difference, so no pair can be told apart: add tasks"
    return head + tail + "."


def friedman(runs: pd.DataFrame, metric: str = "test_metric", *, alpha: float = 0.05) -> dict:
    """The Friedman test of ``metric`` across tasks (Demsar 2006) over :func:`rank_table`.

    Returns ``k`` (optimizers), ``n_tasks`` (tasks where all have a value), ``ranks``
    (Series optimizer -> average rank, 1 = best, respecting each task's
    ``metric_maximize``, ties averaged; sorted), ``statistic`` and ``p``
    (``scipy.stats.friedmanchisquare`` on the ranks; NaN when k < 3 or n_tasks < 2),
    ``q_alpha`` and ``cd`` (:func:`nemenyi_cd`; NaN when k < 2 or no task), ``alpha``, and
    ``sentence`` (the test, its result and its power in words).
    """
    alpha = check_alpha(alpha)
    table = rank_table(runs, metric)
    maximize = maximize_by_task(runs)
    k, n = int(table.shape[1]), int(table.shape[0])
    if n:
        sign = np.array([1.0 if maximize[t] else -1.0 for t in table.index])
        rank_matrix = table.mul(sign, axis=0).rank(axis=1, ascending=False, method="average")
        ranks = rank_matrix.mean(axis=0).sort_values(kind="stable")
    else:
        rank_matrix = table
        ranks = pd.Series(dtype=float, index=pd.Index([], name="optimizer"))
    ranks.name = "average rank"
    statistic = p = math.nan
    if k >= 3 and n >= 2:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all ties: 0 / 0
            res = stats.friedmanchisquare(*rank_matrix.to_numpy().T)
        statistic, p = float(res.statistic), float(res.pvalue)
    q_alpha = nemenyi_q(k, alpha) if k >= 2 and n >= 1 else math.nan
    cd = nemenyi_cd(k, n, alpha) if k >= 2 and n >= 1 else math.nan
    return dict(
        k=k,
        n_tasks=n,
        ranks=ranks,
        statistic=statistic,
        p=p,
        q_alpha=q_alpha,
        cd=cd,
        alpha=alpha,
        sentence=_sentence(k, n, statistic, p, cd, alpha),
    )
