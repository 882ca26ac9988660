"""Cost to reach a task's target: hitting times per run, the expected running time (ERT)
and the empirical cumulative distribution of hitting costs over runs.

The measures of COCO and IOHprofiler: Hansen, N., Auger, A., Ros, R., Mersmann, O.,
Tusar, T. & Brockhoff, D. (2021). COCO: a platform for comparing continuous optimizers in
a black-box setting. *Optimization Methods and Software* 36(1), 114-144; Hansen et al.
(2012) "Real-parameter black-box optimization benchmarking: experimental setup" (the ERT,
section 5); Doerr, Wang, Ye, van Rijn & Baeck (2018), IOHprofiler (arXiv:1810.05281). The
ERT is the total cost all runs spent, failed runs counted with everything they spent,
divided by the number of runs that reached the target: an estimate of the cost of a
restart strategy that reruns until success.

A run reaches the target at the first recorded step whose ``<target_split>_metric`` is at
least the target (at most, for a metric to minimise). Hitting costs are therefore quantised
by how often the loop records a step: an optimizer that records every 500 evaluations can
only hit at multiples of its recording interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._frames import check_frame

__all__ = ["UNITS", "hitting_times", "ert", "ecdf"]

UNITS = ("evaluations", "macs", "seconds")
_RUN_COLUMNS = ["run_id", "task", "optimizer", "repetition", "status", "target", "target_split"]
_RUN_COLUMNS += ["metric_maximize", *UNITS]


def hitting_times(runs: pd.DataFrame, curves: pd.DataFrame) -> pd.DataFrame:
    """One row per run of ``runs`` (every status): ``run_id``, ``task``, ``optimizer``,
    ``repetition``, ``status``, ``target`` (NaN: the task has none), ``reached`` (the
    curve's ``<target_split>_metric`` reached the target at some recorded step), and per
    unit of :data:`UNITS`: ``<unit>`` (cumulative spent at the first recorded step that
    reached it; NaN if never) and ``spent_<unit>`` (the run's total spent; for a run that
    stored none, e.g. a failed one, its last recorded step's, else NaN).
    """
    check_frame(runs, "runs", _RUN_COLUMNS)
    if not isinstance(curves, pd.DataFrame):
        raise ValueError(f"curves must be a pandas DataFrame, got {type(curves).__name__}")
    missing = [c for c in ("run_id", *UNITS) if c not in curves.columns]
    if missing:
        raise ValueError(f"curves has no column {', '.join(map(repr, missing))}")
    has_target = np.isfinite(runs["target"].to_numpy(dtype=float))
    splits = sorted(set(runs.loc[has_target, "target_split"].astype(str)))
    for s in splits:
        if f"{s}_metric" not in curves.columns:
            tasks = sorted(set(runs.loc[has_target & (runs["target_split"] == s), "task"]))
            raise ValueError(
                f"curves have no column '{s}_metric', needed for the {s}-split targets of "
                f"{', '.join(map(str, tasks))}"
            )
    info = runs.loc[has_target, ["run_id", "target", "target_split", "metric_maximize"]]
    c = curves[["run_id", *(["point"] if "point" in curves else []), *UNITS]]
    c = c.assign(**{f"{s}_metric": curves[f"{s}_metric"].to_numpy() for s in splits})
    if "point" in c:
        c = c.sort_values(["run_id", "point"], kind="stable")
    c = c.merge(info, on="run_id", how="inner")
    value = np.full(len(c), np.nan)
    for s in splits:
        here = (c["target_split"] == s).to_numpy()
        value[here] = c.loc[here, f"{s}_metric"].to_numpy(dtype=float)
    target = c["target"].to_numpy(dtype=float)
    maximize = c["metric_maximize"].to_numpy(dtype=bool)
    with np.errstate(invalid="ignore"):
        hit = np.where(maximize, value >= target, value <= target) & np.isfinite(value)
    first = c.loc[hit, ["run_id", *UNITS]].drop_duplicates("run_id", keep="first")
    last = curves.groupby("run_id", sort=False)[list(UNITS)].max()
    out = runs[["run_id", "task", "optimizer", "repetition", "status", "target"]].copy()
    out["target"] = out["target"].astype(float)
    out["reached"] = out["run_id"].isin(first["run_id"]).to_numpy()
    out = out.merge(first, on="run_id", how="left")
    for u in UNITS:
        spent = runs[u].to_numpy(dtype=float)
        fallback = runs["run_id"].map(last[u]).to_numpy(dtype=float)
        out[f"spent_{u}"] = np.where(np.isfinite(spent), spent, fallback)
        out[u] = out[u].astype(float)
    return out.reset_index(drop=True)


def ert(hits: pd.DataFrame) -> pd.DataFrame:
    """Per (task, optimizer) of ``hits`` (:func:`hitting_times`): ``runs``, ``successes``,
    ``success_rate``, and ``ert_<unit>`` for each unit of :data:`UNITS`: the sum over all
    runs of (the cost at the hit if the run reached the target, else everything it spent)
    divided by the number of successes (COCO's ERT). ``inf`` when no run succeeded, NaN when
    the task has no target (a run with no known spend counts as spending 0)."""
    check_frame(hits, "hits", ["task", "optimizer", "reached", *UNITS])
    for u in UNITS:
        if f"spent_{u}" not in hits.columns:
            raise ValueError(f"hits has no column 'spent_{u}'; compute hits with hitting_times")
    reached = hits["reached"].to_numpy(dtype=bool)
    frame = pd.DataFrame({"task": hits["task"], "optimizer": hits["optimizer"], "reached": reached})
    if "target" in hits.columns:
        frame["has_target"] = np.isfinite(hits["target"].to_numpy(dtype=float))
    else:
        frame["has_target"] = True
    for u in UNITS:
        cost = np.where(
            reached, hits[u].to_numpy(dtype=float), hits[f"spent_{u}"].to_numpy(dtype=float)
        )
        frame[u] = np.nan_to_num(cost, nan=0.0)
    g = frame.groupby(["task", "optimizer"], sort=True)
    out = g.agg(
        runs=("reached", "size"), successes=("reached", "sum"), has_target=("has_target", "any")
    )
    out["successes"] = out["successes"].astype(int)
    out["success_rate"] = out["successes"] / out["runs"]
    totals = g[list(UNITS)].sum()
    for u in UNITS:
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.where(out["successes"] > 0, totals[u] / out["successes"], np.inf)
        out[f"ert_{u}"] = np.where(out["has_target"], value, np.nan)
    return out.drop(columns="has_target").reset_index()


def ecdf(hits: pd.DataFrame, unit: str = "evaluations") -> pd.DataFrame:
    """Per (task, optimizer) of ``hits`` (:func:`hitting_times`): ``x`` (each distinct cost
    in ``unit`` at which some run first reached the target, sorted) and ``fraction`` (the
    fraction of all that pair's runs, failures included, that reached it with at most
    ``x``). It plateaus below 1 when some runs never reached the target; a pair with no
    success has no rows."""
    check_frame(hits, "hits", ["task", "optimizer", "reached"])
    if not isinstance(unit, str) or unit not in hits.columns:
        raise ValueError(
            f"unknown unit {unit!r}: hits has no such column (units: {', '.join(UNITS)})"
        )
    rows = []
    for (task, optimizer), g in hits.groupby(["task", "optimizer"], sort=True):
        cost = g.loc[g["reached"].astype(bool), unit].to_numpy(dtype=float)
        cost = cost[np.isfinite(cost)]
        if not len(cost):
            continue
        x, counts = np.unique(cost, return_counts=True)
        rows.append(
            pd.DataFrame(
                {
                    "task": task,
                    "optimizer": optimizer,
                    "x": x,
                    "fraction": np.cumsum(counts) / len(g),
                }
            )
        )
    if not rows:
        return pd.DataFrame({"task": [], "optimizer": [], "x": [], "fraction": []})
    return pd.concat(rows, ignore_index=True)
