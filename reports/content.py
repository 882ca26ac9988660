"""What a report says, computed from a study's results: numbers and frames, no drawing.

Every figure and table of the report is made from a :class:`ReportContent`, and it from
``studies.load`` and the statistics in :mod:`studies.stats` alone, so the same store gives
the same report, and a notebook can get the same numbers the same way.
"""

from __future__ import annotations

import math
import re
import shlex
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from studies import stats
from studies.results import StudyResults
from studies.spec_toml import study_toml
from studies.summary import expected_runs

__all__ = ["ReportContent", "TaskContent", "report_content", "UNITS"]

UNITS = ("evaluations", "macs", "seconds")


@dataclass
class TaskContent:
    """One task's part of the report. ``headline``: one row per optimizer, best median
    first (see :func:`report_content`); ``grids``: unit -> the optimizers' learning curves
    on a common grid (``stats.curve_grid``); ``ecdfs``: unit -> cost-to-target ECDFs;
    ``best_runs``: label -> the run id of its best network; ``species``: label -> the curves
    of an optimizer that reports species (NEAT); ``described``: ``stats.describe``'s rows
    of the task (every final figure's median, IQR and interval)."""

    key: str
    slug: str
    metric: str
    maximize: bool
    target: float
    target_split: str
    curve_metric: str
    runs: pd.DataFrame
    headline: pd.DataFrame
    sentence: str
    grids: dict[str, pd.DataFrame] = field(default_factory=dict)
    ecdfs: dict[str, pd.DataFrame] = field(default_factory=dict)
    best_runs: dict[str, str] = field(default_factory=dict)
    species: dict[str, pd.DataFrame] = field(default_factory=dict)
    described: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def has_target(self) -> bool:
        return math.isfinite(self.target)


@dataclass
class ReportContent:
    """The whole report's numbers (see the module docstring)."""

    name: str
    directory: str
    spec: dict
    provenance: dict
    tasks: list[TaskContent]
    labels: list[str]
    pairs: pd.DataFrame
    friedman: dict
    failed: pd.DataFrame
    toml: str
    rerun: str
    paired: bool
    pairs_sentence: str
    n_runs: int
    n_expected: int
    statuses: dict[str, int]


def slug(text: str, index: int) -> str:
    """A file-name-safe name for the ``index``-th task (task keys hold ``(``, ``=``, ``,``)."""
    clean = re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")[:40] or "task"
    return f"{index:02d}-{clean}"


def report_content(results: StudyResults, *, paired: bool = False, seed: int = 0) -> ReportContent:
    """The numbers of ``results``' report. ``paired``: compare optimizers with the
    Wilcoxon signed-rank test over repetitions (which share a split and initial weights)
    instead of Mann-Whitney U; ``seed``: the bootstraps' seed."""
    runs = results.runs
    spec = results.spec
    order = [t["key"] for t in spec.get("tasks", [])]
    tasks = [t for t in order if t in set(runs["task"])]
    tasks += sorted(set(runs["task"]) - set(tasks))
    labels = [o for o in spec.get("optimizers", {}) if o in set(runs["optimizer"])]
    labels += sorted(set(runs["optimizer"]) - set(labels))
    done = runs[runs["status"] == "done"]
    curves = results.curves if len(runs) else pd.DataFrame()
    budgets = stats.budgets_from_spec(spec)

    have_values = len(done) > 0
    described = stats.describe(done, seed=seed) if have_values else None
    best = stats.versus_best(done, paired=paired) if have_values else None
    pairs = stats.pairwise(done, paired=paired) if have_values else pd.DataFrame()
    hits = stats.hitting_times(runs, curves) if len(curves) else None
    ert = stats.ert(hits) if hits is not None else None
    anytime = (
        stats.anytime(curves, runs, unit=_budget_unit(budgets), budgets=budgets)
        if len(curves)
        else None
    )

    sections = []
    for i, task in enumerate(tasks):
        g = runs[runs["task"] == task]
        first = g.iloc[0]
        tc = curves[curves["task"] == task] if len(curves) else curves
        metric_col = _curve_metric(tc, str(first["target_split"]))
        target = float(first["target"]) if pd.notna(first["target"]) else math.nan
        headline = _headline(
            g, task, labels, described, best, ert, anytime, bool(first["metric_maximize"])
        )
        vb = best[best["task"] == task] if best is not None else pd.DataFrame()
        sections.append(
            TaskContent(
                key=task,
                slug=slug(task, i),
                metric=str(first["metric"]),
                maximize=bool(first["metric_maximize"]),
                target=target,
                target_split=str(first["target_split"]),
                curve_metric=metric_col,
                runs=g,
                headline=headline,
                sentence=stats.task_sentence(vb, task) if len(vb) else _no_values(task, g),
                grids=_grids(tc, metric_col, seed) if len(tc) else {},
                ecdfs=_ecdfs(hits, task) if hits is not None and math.isfinite(target) else {},
                best_runs=_best_runs(g),
                species=_species(tc),
                described=(
                    described[described["task"] == task].reset_index(drop=True)
                    if described is not None
                    else pd.DataFrame()
                ),
            )
        )
    failed = runs[runs["status"] != "done"][
        ["task", "optimizer", "repetition", "status", "error", "run_id"]
    ].reset_index(drop=True)
    source = str(results.provenance.get("source") or "")
    return ReportContent(
        name=str(spec.get("name", results.directory.name)),
        directory=str(results.directory),
        spec=spec,
        provenance=results.provenance,
        tasks=sections,
        labels=labels,
        pairs=pairs,
        friedman=stats.friedman(done) if have_values else {},
        failed=failed,
        toml=study_toml(spec) if spec else "",
        rerun=_rerun(source, spec, results.directory),
        paired=paired,
        pairs_sentence=_pairs_sentence(pairs),
        n_runs=len(runs),
        n_expected=expected_runs(spec),
        statuses={str(k): int(v) for k, v in runs["status"].value_counts().items()},
    )


def _no_values(task: str, runs: pd.DataFrame) -> str:
    if len(runs) and not (runs["status"] == "done").any():
        return (
            f"On {task}, none of the {len(runs)} stored runs ended well (see the failed runs): "
            "there is nothing to compare."
        )
    return f"On {task}, no run has finished yet: there is nothing to compare."


def _pairs_sentence(pairs: pd.DataFrame) -> str:
    """What the pairwise heatmap can and cannot show, in words."""
    if not len(pairs):
        return ""
    counts = pairs["verdict"].value_counts()
    total = len(pairs) // 2  # both orientations of each pair
    untestable = int(counts.get("untestable", 0)) // 2
    significant = int(counts.get("better", 0))
    if untestable == total:
        note = str(pairs.loc[pairs["verdict"] == "untestable", "note"].iloc[0])
        return (
            f"None of the {total} pairwise comparisons can be significant: {note}. "
            "The heatmap shows no difference because the study cannot show one, not because "
            "there is none."
        )
    words = (
        f"{significant} of {total} pairwise comparisons are significant (Holm-corrected, p < 0.05)"
    )
    if untestable:
        words += f"; {untestable} cannot be, with the runs there are"
    return words + "."


def _budget_unit(budgets: dict) -> str:
    """The unit anytime performance integrates over: evaluations, unless the budgets set
    only MACs."""
    units = {u for b in budgets.values() for u in (b or {})}
    return "macs" if "macs" in units and "evaluations" not in units else "evaluations"


def _curve_metric(curves: pd.DataFrame, target_split: str) -> str:
    """The split the learning curves show: test (the headline's), else the target's."""
    for c in ("test_metric", f"{target_split}_metric", "val_metric", "train_metric"):
        if c in curves and np.isfinite(curves[c].to_numpy(dtype=float)).any():
            return c
    return "test_metric"


def _headline(g, task, labels, describe, best, ert, anytime, maximize) -> pd.DataFrame:
    """One row per optimizer of ``task``: what the headline table shows (best first)."""
    mine_d = _rows_of(describe, task, ["optimizer", "quantity"])
    mine_b = _rows_of(best, task, ["optimizer"])
    mine_e = _rows_of(ert, task, ["optimizer"])
    auc = (
        anytime[anytime["task"] == task].groupby("optimizer")["auc"].median()
        if anytime is not None
        else pd.Series(dtype=float)
    )
    rows = []
    for label, mine in g.groupby("optimizer", sort=False):
        ok = mine[mine["status"] == "done"]
        row = {
            "optimizer": label,
            "optimizer_name": str(mine["optimizer_name"].iloc[0]),
            "runs": len(mine),
            "done": len(ok),
            "solved": int(ok["solved"].sum()),
            "anytime": float(auc.get(label, math.nan)),
        }
        for q in ("test_metric", "evaluations", "seconds", "connections", "hidden_nodes"):
            if (label, q) in mine_d:
                row[q] = float(mine_d[label, q]["median"])
        if (label, "test_metric") in mine_d:
            d = mine_d[label, "test_metric"]
            row.update(ci_low=float(d["ci_low"]), ci_high=float(d["ci_high"]),
                       ci_method=str(d["ci_method"]))  # fmt: skip
        if (label,) in mine_b:
            b = mine_b[(label,)]
            row.update(
                verdict=str(b["verdict"]), p_holm=float(b["p_holm"]), a12=float(b["a12"]),
                test=str(b["test"]), note=str(b["note"] or ""), n=b["n"],
            )  # fmt: skip
        if (label,) in mine_e:
            e = mine_e[(label,)]
            row.update(
                successes=int(e["successes"]), success_rate=float(e["success_rate"]),
                ert_evaluations=float(e["ert_evaluations"]), ert_seconds=float(e["ert_seconds"]),
            )  # fmt: skip
        rows.append(row)
    order = {label: i for i, label in enumerate(labels)}
    frame = pd.DataFrame(rows)
    if "test_metric" not in frame:
        frame["test_metric"] = math.nan
    key = frame["test_metric"] if maximize else -frame["test_metric"]
    frame = frame.assign(_key=key.fillna(-np.inf), _order=frame["optimizer"].map(order))
    frame = frame.sort_values(["_key", "_order"], ascending=[False, True])
    return frame.drop(columns=["_key", "_order"]).reset_index(drop=True)


def _rows_of(frame, task: str, keys: list[str]) -> dict[tuple, dict]:
    """``frame``'s rows of ``task`` as ``{(key values...): row}``."""
    if frame is None or not len(frame):
        return {}
    mine = frame[frame["task"] == task]
    return {tuple(r[k] for k in keys): r for r in mine.to_dict("records")}


def _grids(curves: pd.DataFrame, metric: str, seed: int) -> dict[str, pd.DataFrame]:
    grids = {}
    for unit in UNITS:
        x = curves[unit].to_numpy(dtype=float)
        x = x[np.isfinite(x) & (x > 0)]
        if not len(x):
            continue
        log = bool(x.max() / x.min() > 100)
        grids[unit] = stats.curve_grid(curves, x=unit, y=metric, log=log, seed=seed)
    return grids


def _ecdfs(hits: pd.DataFrame, task: str) -> dict[str, pd.DataFrame]:
    mine = hits[hits["task"] == task]
    return {unit: stats.ecdf(mine, unit=unit) for unit in ("evaluations", "seconds")}


def _best_runs(g: pd.DataFrame) -> dict[str, str]:
    """Each optimizer's best network: its done run with the best test metric (the first
    repetition among equals)."""
    ok = g[(g["status"] == "done") & g["test_metric"].notna()]
    out = {}
    maximize = bool(g["metric_maximize"].iloc[0])
    for label, mine in ok.groupby("optimizer", sort=False):
        key = mine["test_metric"] if maximize else -mine["test_metric"]
        out[label] = str(mine.assign(_k=key).sort_values(["_k", "repetition"],
                                                          ascending=[False, True])["run_id"].iloc[0])  # fmt: skip
    return out


def _species(curves: pd.DataFrame) -> dict[str, pd.DataFrame]:
    if "species_sizes" not in curves:
        return {}
    out = {}
    for label, mine in curves.groupby("optimizer", sort=False):
        if mine["species_sizes"].map(lambda v: isinstance(v, list)).any():
            out[label] = mine
    return out


def _rerun(source: str, spec: dict, directory) -> str:
    """The command that runs this study again into the same directory (which reuses every
    stored run and runs only what is missing)."""
    seeds = f" --seeds {spec['seeds']}" if spec.get("seeds") else ""
    if source.startswith("catalog:"):
        study = source.split(":", 1)[1]
    elif source:
        study = source
    else:
        study = f"{directory}/report/study.toml"
    return f"neuroarena run {shlex.quote(study)} --out {shlex.quote(str(directory))}{seeds}"
