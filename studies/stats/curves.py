"""Anytime performance: runs' learning curves on a common grid with a bootstrap band, and
the area under each run's curve over a budget.

Both read a curve as a step function of spent cost, the way the loop recorded it: at cost
g a run's value is its last recorded value at cost <= g. Anytime curves and their area
rather than only final values, as in COCO and IOHprofiler (Hansen et al. 2021, "COCO: a
platform for comparing continuous optimizers in a black-box setting"; Doerr et al. 2018,
IOHprofiler, arXiv:1810.05281, whose "area under the ECDF" rewards reaching good values
early). The band is a percentile bootstrap of the median over runs (Efron & Tibshirani
1993, ch. 13), drawn with numpy for all grid points at once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._frames import (
    check_alpha,
    check_frame,
    check_positive_int,
    check_quantity,
    maximize_by_task,
    rng_for,
)

__all__ = ["curve_grid", "anytime", "budgets_from_spec"]

GRID_COLUMNS = ["task", "optimizer", "x", "median", "low", "high", "n"]


def _nanmedian(a: np.ndarray) -> np.ndarray:
    """The median of the non-NaN entries of ``a`` along its last axis (NaN where there is
    none): one sort over contiguous rows, no per-slice Python work."""
    s = np.sort(a, axis=-1)  # NaN sorts last
    count = np.sum(~np.isnan(a), axis=-1, keepdims=True)
    lo = np.take_along_axis(s, np.maximum((count - 1) // 2, 0), axis=-1)
    hi = np.take_along_axis(s, np.maximum(count // 2, 0), axis=-1)
    return np.where(count > 0, (lo + hi) / 2.0, np.nan)[..., 0]


def _nanquantiles(a: np.ndarray, qs) -> np.ndarray:
    """Linear-interpolated quantiles ``qs`` (numpy's default method) of the non-NaN entries
    of each row of ``a`` (shape ``(G, m)``); shape ``(len(qs), G)``, NaN for an all-NaN row."""
    s = np.sort(a, axis=-1)
    count = np.sum(~np.isnan(a), axis=-1)
    top = np.maximum(count - 1, 0)
    rows = np.arange(a.shape[0])
    out = []
    for q in qs:
        pos = top * q
        lo = np.floor(pos).astype(int)
        hi = np.minimum(lo + 1, top)
        v = s[rows, lo] + (pos - lo) * (s[rows, hi] - s[rows, lo])
        out.append(np.where(count > 0, v, np.nan))
    return np.array(out)


def _step_matrix(run: np.ndarray, xs: np.ndarray, ys: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Recorded curves read at ``grid`` as step functions, all runs at once: ``run`` (codes
    0..R-1), ``xs`` (costs), ``ys`` (values), shape ``(n_records,)`` each. Returns
    ``(R, n_grid)``: run r's last value recorded at cost <= g (the last of equal costs),
    NaN before its first record.

    One searchsorted over integer keys run * M + rank(cost) (ranks among all costs and grid
    points, so the comparison is exact), instead of a Python loop over runs."""
    order = np.lexsort((xs, run))  # by run, then cost; stable for equal costs
    run, xs, ys = run[order], xs[order], ys[order]
    levels = np.unique(np.concatenate([xs, grid]))
    m = len(levels) + 1
    key = run * m + np.searchsorted(levels, xs)
    runs = np.arange(int(run.max()) + 1)[:, None]
    idx = np.searchsorted(key, runs * m + np.searchsorted(levels, grid)[None, :], side="right") - 1
    safe = np.maximum(idx, 0)
    return np.where((idx >= 0) & (run[safe] == runs), ys[safe], np.nan)


def curve_grid(
    curves: pd.DataFrame,
    *,
    x: str = "evaluations",
    y: str = "test_metric",
    points: int = 60,
    log: bool = False,
    confidence: float = 0.95,
    n_resamples: int = 500,
    seed: int = 0,
) -> pd.DataFrame:
    """Per (task, optimizer) of ``curves`` (``StudyResults.curves``; every run it holds:
    filter by status first if you want only done runs), the runs' ``y`` on a common grid of
    ``points`` values of ``x``, from the task's smallest positive recorded ``x`` to its
    largest (geometric when ``log``), each run read as a step function (NaN before its first
    record, its last value held to the grid's end). Columns: ``task``, ``optimizer``, ``x``,
    ``median`` (over the runs with a value), ``low``, ``high`` (the ``confidence``
    percentile bootstrap band of that median, ``n_resamples`` resamples of the runs, seeded
    by (seed, task, optimizer, y and x); NaN where fewer than 2 runs have a value) and
    ``n`` (runs with a value).
    """
    check_frame(curves, "curves", ["run_id", "task", "optimizer"])
    check_quantity(curves, "curves", x, "x")
    check_quantity(curves, "curves", y, "y")
    points = check_positive_int(points, "points", 2)
    confidence = check_alpha(confidence, "confidence")
    n_resamples = check_positive_int(n_resamples, "n_resamples")
    order = ["run_id", "point"] if "point" in curves.columns else ["run_id"]
    c = curves[[*dict.fromkeys(["task", "optimizer", *order, x, y])]]
    c = c[np.isfinite(c[x].to_numpy(dtype=float))].sort_values(order, kind="stable")
    frames = []
    for task, ct in c.groupby("task", sort=True):
        xs = ct[x].to_numpy(dtype=float)
        positive = xs[xs > 0]
        if not len(positive):
            continue
        lo, hi = float(positive.min()), float(xs.max())
        grid = np.geomspace(lo, hi, points) if log else np.linspace(lo, hi, points)
        grid = np.unique(grid)
        for optimizer, co in ct.groupby("optimizer", sort=True):
            codes, names = pd.factorize(co["run_id"], sort=True)
            xs, ys = co[x].to_numpy(dtype=float), co[y].to_numpy(dtype=float)
            values = _step_matrix(codes, xs, ys, grid)  # (n_runs, n_grid)
            n = np.sum(~np.isnan(values), axis=0)
            rng = rng_for(seed, task, optimizer, f"curve {y} by {x}")
            pick = rng.integers(0, len(names), size=(n_resamples, len(names)))
            by_point = np.ascontiguousarray(values.T)  # (n_grid, n_runs)
            medians = _nanmedian(by_point[:, pick])  # (n_grid, n_resamples)
            tail = (1.0 - confidence) / 2.0
            low, high = _nanquantiles(medians, (tail, 1.0 - tail))
            frames.append(
                pd.DataFrame(
                    {
                        "task": task,
                        "optimizer": optimizer,
                        "x": grid,
                        "median": _nanmedian(by_point),
                        "low": np.where(n >= 2, low, np.nan),
                        "high": np.where(n >= 2, high, np.nan),
                        "n": n,
                    }
                )
            )
    if not frames:
        return pd.DataFrame({c: [] for c in GRID_COLUMNS})
    return pd.concat(frames, ignore_index=True)


def budgets_from_spec(spec: dict) -> dict[str, dict[str, float]]:
    """task key -> {unit: limit} from a study spec (``StudyResults.spec``): each task's own
    budget, else the study's; the form :func:`anytime` takes as ``budgets``."""
    study = dict(spec.get("budget") or {})
    return {str(t["key"]): dict(t.get("budget") or study) for t in spec.get("tasks", [])}


def anytime(
    curves: pd.DataFrame,
    runs: pd.DataFrame,
    unit: str = "evaluations",
    budgets: dict | None = None,
    metric: str = "test_metric",
) -> pd.DataFrame:
    """One row per done run of ``runs``: ``run_id``, ``task``, ``optimizer``,
    ``repetition``, ``budget`` (B) and ``auc``: the mean over spent ``unit`` in [0, B] of
    the run's recorded ``metric`` (the loop's measurement of the optimizer's best() at each
    step, not a running best), read as a step function: each value until the next record,
    the last one to B; records past B are cut off. Before its first record a run has no
    network to show, so it counts at the worst value any run of the task recorded within B (a run
    whose first step costs more pays for it; holding its first value back to 0 would favour
    the optimizers whose steps are largest). B = ``budgets[task][unit]`` when given (e.g. :func:`budgets_from_spec`), else
    the largest ``unit`` any run of the task spent. In the metric's own units; NaN for a
    run with no record or a NaN value on a stretch of positive length.
    """
    check_frame(runs, "runs", ["run_id", "task", "optimizer", "repetition", "status"])
    check_quantity(runs, "runs", unit, "unit")
    check_frame(curves, "curves", ["run_id"])
    check_quantity(curves, "curves", unit, "unit")
    check_quantity(curves, "curves", metric)
    largest = runs.groupby("task")[unit].max()
    budget = {}
    for task in runs["task"].unique():
        given = ((budgets or {}).get(task) or {}).get(unit)
        b = float(given) if given is not None else float(largest.get(task, np.nan))
        if given is not None and not b > 0:
            raise ValueError(f"budgets[{task!r}][{unit!r}] must be > 0, got {given!r}")
        budget[task] = b
    done = runs[runs["status"] == "done"][["run_id", "task", "optimizer", "repetition"]].copy()
    maximize = maximize_by_task(runs)
    done["budget"] = done["task"].map(budget).astype(float)
    order = ["run_id", "point"] if "point" in curves.columns else ["run_id"]
    c = curves.loc[curves["run_id"].isin(done["run_id"]), [*dict.fromkeys([*order, unit, metric])]]
    c = c.sort_values(order, kind="stable")
    b = c["run_id"].map(done.set_index("run_id")["budget"]).to_numpy(dtype=float)
    xs = np.clip(c[unit].to_numpy(dtype=float), 0.0, b)
    ys = c[metric].to_numpy(dtype=float)
    run = c["run_id"].to_numpy()
    last = np.append(run[1:] != run[:-1], True)
    first = np.insert(run[1:] != run[:-1], 0, True)
    nxt = np.where(last, b, np.append(xs[1:], 0.0))
    width = np.maximum(nxt - xs, 0.0)
    tasks = c["run_id"].map(done.set_index("run_id")["task"])
    inside = c[unit].to_numpy(dtype=float) <= b  # the worst value recorded within budget
    by_task = pd.Series(ys[inside], index=tasks.to_numpy()[inside]).groupby(level=0)
    worst = {t: (v.min() if maximize.get(t, True) else v.max()) for t, v in by_task}
    before = np.where(first, xs, 0.0)  # [0, first record): the task's worst recorded value
    worst_ys = tasks.map(worst).to_numpy(dtype=float)
    area = np.where(width > 0, ys * width, 0.0) + np.where(before > 0, worst_ys * before, 0.0)
    parts = pd.DataFrame({"run_id": run, "area": area})
    parts["bad"] = (width > 0) & np.isnan(ys)
    per_run = parts.groupby("run_id", sort=False).agg(area=("area", "sum"), bad=("bad", "any"))
    area = done["run_id"].map(per_run["area"]).to_numpy(dtype=float)
    bad = done["run_id"].map(per_run["bad"]).fillna(False).to_numpy(dtype=bool)
    budget_of = done["budget"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        auc = np.where(bad | ~(budget_of > 0), np.nan, area / budget_of)
    done["auc"] = auc
    return done.reset_index(drop=True)
