"""``neuroarena verify DIR``: run stored runs again and check that their results are identical.

The reproducibility contract: a run's numbers depend only on its content (task, optimizer
and parameters, network, budget, repetition, study seed), never on the worker, the
backend, the order or a resume. :func:`verify` loads the study again from the source it
ran from (its file, or the built-in catalog), picks ``k`` completed runs at random, runs
each in a fresh worker and compares every stored column of its row and of each curve
point, except time and place (seconds, wall seconds, finish time, host, versions).
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .execute import execute
from .results import StudyResults, load
from .spec import Study, StudyError
from .store import CURVE_COLUMNS, REPORTED, RUN_COLUMNS, connect_readonly, record_rows

__all__ = ["verify", "Difference", "VOLATILE_RUN_COLUMNS", "VOLATILE_CURVE_COLUMNS"]

VOLATILE_RUN_COLUMNS = ("seconds", "wall_seconds", "finished_at", "host", "versions")
VOLATILE_CURVE_COLUMNS = ("seconds",)


@dataclass(frozen=True)
class Difference:
    """A stored run whose re-run differs: the first column that differs, both values."""

    run_id: str
    task: str
    optimizer: str
    repetition: int
    column: str
    stored: object
    now: object

    def __str__(self) -> str:
        return (
            f"{self.task} x {self.optimizer} repetition {self.repetition} (run {self.run_id}): "
            f"{self.column} stored {self.stored!r}, now {self.now!r}"
        )


def study_from_source(results: StudyResults) -> Study:
    """The study ``results`` came from, loaded again from its source, with its seeds."""
    from . import catalog
    from .loading import load_study

    source = results.provenance.get("source")
    if not source:
        raise StudyError(
            f"{results.directory}: the store does not say which file the study came from (it "
            "was run from a Study built in Python); verify needs a study file or a built-in study"
        )
    if source.startswith(catalog.SOURCE_PREFIX):
        study = catalog.load(source[len(catalog.SOURCE_PREFIX) :])
    else:
        if not Path(source).exists():
            raise StudyError(
                f"{results.directory}: its study file {source} no longer exists; verify needs it"
            )
        study = load_study(source)
    seeds = int(results.spec.get("seeds", study.seeds))
    return study if seeds == study.seeds else study.replace(seeds=seeds)


def verify(
    directory, *, runs: int = 5, seed: int = 0, n_jobs: int = 1
) -> tuple[list[str], list[Difference]]:
    """Run ``runs`` stored ``done`` runs of ``directory`` again (chosen with ``seed``, on
    ``n_jobs`` worker processes); returns the run ids checked and the differences found."""
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
        raise ValueError(f"--runs must be an integer >= 1, got {runs!r}")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs < 1:
        raise ValueError(f"--jobs must be an integer >= 1, got {n_jobs!r}")
    results = load(directory)
    study = study_from_source(results)
    specs = {r.run_id: r for r in study.runs()}
    table = results.runs
    done = sorted(table.loc[table["status"] == "done", "run_id"])
    if not done:
        raise StudyError(f"{results.directory}: no completed run to verify yet")
    candidates = [r for r in done if r in specs]
    if not candidates:
        raise StudyError(
            f"{results.directory}: its study file {results.provenance.get('source')} no longer "
            "defines the stored runs (it was changed since they ran); verify needs it as it ran"
        )
    rng = np.random.default_rng(seed)
    picked = sorted(
        str(r) for r in rng.choice(candidates, min(runs, len(candidates)), replace=False)
    )
    records = _execute([specs[r] for r in picked], n_jobs)
    differences = []
    con = connect_readonly(results.path)
    try:
        for record in records:
            found = _compare(con, record)
            if found is not None:
                differences.append(found)
    finally:
        con.close()
    return list(picked), differences


def _execute(runs: list, n_jobs: int) -> list[dict]:
    if n_jobs == 1 or len(runs) == 1:
        return [execute(r) for r in runs]
    from joblib import Parallel, delayed

    return Parallel(n_jobs=min(n_jobs, len(runs)), backend="loky")(
        delayed(execute)(r) for r in runs
    )


def _same(a, b) -> bool:
    """Equal as stored: NULL and NaN alike; numbers by value (SQLite keeps float64 exactly)."""
    a_none = a is None or (isinstance(a, float) and math.isnan(a))
    b_none = b is None or (isinstance(b, float) and math.isnan(b))
    if a_none or b_none:
        return a_none and b_none
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    return a == b


def _compare(con: sqlite3.Connection, record: dict) -> Difference | None:
    run_id = record["run_id"]
    row, reported, curve = record_rows(record)
    stored = con.execute(
        f"SELECT {', '.join(RUN_COLUMNS)} FROM runs WHERE run_id = ?", (run_id,)
    ).fetchone()

    def diff(column: str, was, now) -> Difference:
        return Difference(
            run_id, record["task"], record["optimizer"], record["repetition"], column, was, now
        )

    for column, was, now in zip(RUN_COLUMNS, stored, row):
        if column not in VOLATILE_RUN_COLUMNS and not _same(was, now):
            return diff(column, was, now)
    cursor = con.execute("SELECT * FROM curves WHERE run_id = ? ORDER BY point", (run_id,))
    names = [d[0] for d in cursor.description]
    points = [dict(zip(names, p)) for p in cursor.fetchall()]
    if len(points) != len(curve):
        return diff("curve points", len(points), len(curve))
    columns = [*CURVE_COLUMNS, *(REPORTED + k for k in reported)]
    for was, values in zip(points, curve):
        now = dict(zip(columns, values))
        for column in dict.fromkeys([*names, *columns]):
            if column in VOLATILE_CURVE_COLUMNS:
                continue
            if not _same(was.get(column), now.get(column)):
                point = was["point"]
                return diff(f"curve point {point}: {column}", was.get(column), now.get(column))
    return None
