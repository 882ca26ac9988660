"""Per (task, optimizer, quantity): the median, the interquartile range and a bootstrap
confidence interval of the median over the runs that completed.

The interval is scipy's bias-corrected and accelerated (BCa) bootstrap (Efron & Tibshirani,
*An Introduction to the Bootstrap*, 1993, ch. 14; ``scipy.stats.bootstrap``). BCa needs a
jackknife estimate of the acceleration; when every jackknife median is the same (all values
equal, or so many ties that leaving one out never moves the median) it is undefined and
scipy returns NaN. Then the percentile interval is reported instead, and ``ci_method`` says
so. Each interval draws from its own Generator, seeded by ``(seed, task, optimizer,
quantity)`` through :func:`studies.seeds.seed_sequence`, so adding an optimizer or a
quantity never changes another interval.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ._frames import check_alpha, check_frame, check_positive_int, check_quantity, finite, rng_for

__all__ = ["QUANTITIES", "describe", "median_ci"]

QUANTITIES = (
    "test_metric",
    "val_metric",
    "train_metric",
    "test_loss",
    "evaluations",
    "macs",
    "seconds",
    "connections",
    "hidden_nodes",
)

COLUMNS = ["task", "optimizer", "quantity", "n", "median", "q1", "q3"]
COLUMNS += ["ci_low", "ci_high", "ci_method"]


def _bootstrap(x: np.ndarray, method: str, confidence: float, n_resamples: int, rng):
    with warnings.catch_warnings():
        # BCa on degenerate data: scipy warns and returns NaN; we fall back below
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        res = stats.bootstrap(
            (x,),
            np.median,
            confidence_level=confidence,
            n_resamples=n_resamples,
            method=method,
            rng=rng,
        )
    ci = res.confidence_interval
    return float(ci.low), float(ci.high)


def median_ci(
    values,
    *,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    rng_factory=None,
) -> dict:
    """``n``, ``median``, ``q1``, ``q3``, ``ci_low``, ``ci_high``, ``ci_method`` of the
    finite entries of ``values`` (shape ``(n,)``).

    ``ci_method`` is ``"BCa"``, ``"percentile"`` (BCa was undefined, e.g. all values equal)
    or ``"none"`` (fewer than 2 finite values: no interval). ``rng_factory()`` gives a fresh
    Generator for each bootstrap (the percentile fallback draws the same resamples BCa
    would have); by default ``default_rng(0)``.
    """
    confidence = check_alpha(confidence, "confidence")
    n_resamples = check_positive_int(n_resamples, "n_resamples")
    if rng_factory is None:

        def rng_factory():
            return np.random.default_rng(0)

    x = finite(values)
    n = len(x)
    if n == 0:
        nan = math.nan
        return dict(n=0, median=nan, q1=nan, q3=nan, ci_low=nan, ci_high=nan, ci_method="none")
    q1, median, q3 = (float(v) for v in np.quantile(x, [0.25, 0.5, 0.75]))
    out = dict(n=n, median=median, q1=q1, q3=q3)
    if n < 2:
        return {**out, "ci_low": math.nan, "ci_high": math.nan, "ci_method": "none"}
    if np.all(x == x[0]):  # BCa is undefined; every percentile resample's median is x[0]
        return {**out, "ci_low": float(x[0]), "ci_high": float(x[0]), "ci_method": "percentile"}
    low, high = _bootstrap(x, "BCa", confidence, n_resamples, rng_factory())
    if math.isfinite(low) and math.isfinite(high):
        return {**out, "ci_low": low, "ci_high": high, "ci_method": "BCa"}
    low, high = _bootstrap(x, "percentile", confidence, n_resamples, rng_factory())
    return {**out, "ci_low": low, "ci_high": high, "ci_method": "percentile"}


def describe(
    runs: pd.DataFrame,
    quantities: Sequence[str] = QUANTITIES,
    *,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per (task, optimizer, quantity) of ``runs`` (``StudyResults.runs``), over
    its runs with status ``done`` and a finite value: ``n``, ``median``, ``q1``, ``q3``
    (linear-interpolated quartiles), and the ``confidence`` bootstrap interval of the
    median (``ci_low``, ``ci_high``, ``ci_method``: see :func:`median_ci`) from
    ``n_resamples`` resamples. A (task, optimizer) with no done run still gets its rows
    (``n`` = 0). Rows sorted by task, optimizer, then ``quantities`` in the order given.
    """
    if isinstance(quantities, str):
        quantities = (quantities,)
    quantities = tuple(quantities)
    if not quantities:
        raise ValueError("quantities is empty: name at least one column of runs")
    check_frame(runs, "runs", ["task", "optimizer", "status"])
    for q in quantities:
        check_quantity(runs, "runs", q, "quantity")
    confidence = check_alpha(confidence, "confidence")
    n_resamples = check_positive_int(n_resamples, "n_resamples")
    rows = []
    for (task, optimizer), g in runs.groupby(["task", "optimizer"], sort=True):
        ok = g[g["status"] == "done"]
        for q in quantities:

            def factory(task=task, optimizer=optimizer, q=q):
                return rng_for(seed, task, optimizer, q)

            summary = median_ci(
                ok[q].to_numpy(dtype=float),
                confidence=confidence,
                n_resamples=n_resamples,
                rng_factory=factory,
            )
            rows.append({"task": task, "optimizer": optimizer, "quantity": q, **summary})
    return pd.DataFrame(rows, columns=COLUMNS)
