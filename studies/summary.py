"""The per-task summary table that ``neuroarena run`` ends with and ``neuroarena show`` prints.

One block per task, one row per optimizer (best median first): the median and interquartile
range of the test metric over the runs that completed, how many runs are done and how many
failed (failed, diverged or timed out), how many reached the task's target, and the median
evaluations and seconds the runs spent. A pure function of the results: safe to call while
the study is still running (it shows what is stored so far).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["summary_frame", "summary_table", "expected_runs"]

_COLUMNS = ["optimizer", "median", "q1", "q3", "done", "failed", "solved", "evaluations", "seconds"]


def expected_runs(spec: dict) -> int:
    """How many runs the study ``spec`` (``StudyResults.spec``) has in all."""
    if not spec:
        return 0
    return len(spec.get("tasks", [])) * len(spec.get("optimizers", {})) * int(spec.get("seeds", 0))


def summary_frame(runs: pd.DataFrame) -> pd.DataFrame:
    """Per (task, optimizer): ``median``, ``q1``, ``q3`` of ``test_metric`` over done runs,
    ``done``, ``failed`` (every other status), ``solved`` (runs at the target; NaN when the
    task has none), median ``evaluations`` and ``seconds`` (done runs), plus the task's
    ``metric``, ``maximize`` and ``target``. Rows sorted by task, then best median first."""
    rows = []
    for (task, optimizer), g in runs.groupby(["task", "optimizer"], sort=True):
        ok = g[g["status"] == "done"]
        metric = ok["test_metric"].dropna()
        target = float(g["target"].iloc[0]) if g["target"].notna().any() else math.nan
        rows.append(
            {
                "task": task,
                "optimizer": optimizer,
                "metric": g["metric"].iloc[0],
                "maximize": bool(g["metric_maximize"].iloc[0]),
                "target": target,
                "target_split": g["target_split"].iloc[0] if "target_split" in g else "test",
                "median": metric.median() if len(metric) else math.nan,
                "q1": metric.quantile(0.25) if len(metric) else math.nan,
                "q3": metric.quantile(0.75) if len(metric) else math.nan,
                "done": len(ok),
                "failed": len(g) - len(ok),
                "solved": int(g["solved"].sum()) if math.isfinite(target) else math.nan,
                "evaluations": ok["evaluations"].median() if len(ok) else math.nan,
                "seconds": ok["seconds"].median() if len(ok) else math.nan,
            }
        )
    frame = pd.DataFrame(
        rows, columns=["task", "metric", "maximize", "target", "target_split", *_COLUMNS]
    )
    if frame.empty:
        return frame
    # best first: for a metric to minimise, sort its negation; runs with no value go last
    key = frame["median"].where(frame["maximize"], -frame["median"])
    frame = frame.assign(_key=key.fillna(-np.inf))
    frame = frame.sort_values(["task", "_key", "optimizer"], ascending=[True, False, True])
    return frame.drop(columns="_key").reset_index(drop=True)


def _number(value: float, metric: str) -> str:
    if not math.isfinite(value):
        return "-"
    return f"{value:.3f}" if metric == "accuracy" else f"{value:.4g}"


def _count(value: float) -> str:
    return "-" if not math.isfinite(value) else f"{value:,.0f}"


def summary_table(runs: pd.DataFrame, task_order: list[str] | None = None) -> str:
    """The summary (see :func:`summary_frame`) as text for a terminal; tasks in
    ``task_order`` (e.g. the study's order) first, any others after them by name."""
    frame = summary_frame(runs)
    if frame.empty:
        return "no runs stored yet"
    order = list(task_order or [])
    tasks = [t for t in order if t in set(frame["task"])]
    tasks += sorted(set(frame["task"]) - set(tasks))
    blocks = []
    for task in tasks:
        g = frame[frame["task"] == task]
        first = g.iloc[0]
        metric, total = first["metric"], g["done"] + g["failed"]
        direction = "higher is better" if first["maximize"] else "lower is better"
        target = first["target"]
        head = f"{task}: test {metric}, {direction}"
        if math.isfinite(target):
            sign = ">=" if first["maximize"] else "<="
            head += f"; solved: {first['target_split']} {metric} {sign} {target:g}"
        else:
            head += "; no target"
        cells = pd.DataFrame(
            {
                "optimizer": g["optimizer"],
                f"test {metric} median [IQR]": [
                    f"{_number(m, metric)} [{_number(a, metric)}, {_number(b, metric)}]"
                    if math.isfinite(m)
                    else "-"
                    for m, a, b in zip(g["median"], g["q1"], g["q3"])
                ],
                "done": g["done"].astype(str),
                "failed": g["failed"].astype(str),
                "solved": [
                    "-" if not math.isfinite(s) else f"{s:.0f}/{n}"
                    for s, n in zip(g["solved"], total)
                ],
                "evaluations": [_count(v) for v in g["evaluations"]],
                "seconds": ["-" if not math.isfinite(v) else f"{v:.2f}" for v in g["seconds"]],
            }
        )
        blocks.append(head + "\n" + _format(cells))
    return "\n\n".join(blocks)


def _format(cells: pd.DataFrame) -> str:
    """A plain text table: the first column left-aligned, the others right-aligned."""
    columns = list(cells.columns)
    widths = [max(len(c), *(len(v) for v in cells[c])) for c in columns]

    def line(values) -> str:
        parts = [
            v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(values, widths))
        ]
        return "  " + "  ".join(parts).rstrip()

    return "\n".join([line(columns), *(line(row) for row in cells.itertuples(index=False))])
