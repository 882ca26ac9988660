"""A study's results as tidy pandas DataFrames, read from its store (read-only)."""

from __future__ import annotations

import json
import sqlite3
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from networks import Graph

from .curve_columns import read_columns
from .store import (
    REPORTED,
    RUN_COLUMNS,
    STORE_FILE,
    check_store,
    connect_readonly,
)

__all__ = ["load", "StudyResults"]

_JSON_RUN_COLUMNS = ("best_graph", "config", "network", "budget", "content", "versions")


def load(directory, *, all_runs: bool = False) -> StudyResults:
    """The results in ``directory`` (what :func:`studies.run_study` wrote there).

    Only the runs of the study as it was last run are shown, unless ``all_runs``: runs of
    an earlier version of the spec (a changed parameter) stay in the store but are not
    results of this one. Safe while the study is still running.
    """
    directory = Path(directory)
    path = directory / STORE_FILE
    if directory.exists() and not directory.is_dir():
        raise ValueError(f"{directory} is a file; give the study's results directory")
    if not path.exists():
        raise ValueError(
            f"{directory} holds no study store ({STORE_FILE}); run a study into it first"
        )
    if not check_store(path, None):
        raise ValueError(f"{directory} holds an empty study store; run the study into it first")
    try:
        return StudyResults(path, all_runs=all_runs)
    except sqlite3.Error as exc:
        raise ValueError(f"{path} cannot be read as a study store ({exc})") from None


def _is_json(value) -> bool:
    return isinstance(value, str) and value[:1] in "[{"


class StudyResults:
    """``spec`` (the study as last run), ``provenance``, ``runs`` (one row per run),
    ``curves`` (one row per recorded step of each run), ``graph(run_id)``, ``to_csv``."""

    def __init__(self, path: Path, *, all_runs: bool = False) -> None:
        self.path = path
        self.directory = path.parent
        con = connect_readonly(path)
        try:
            spec = con.execute("SELECT spec FROM specs ORDER BY id DESC LIMIT 1").fetchone()
            self.spec = json.loads(spec[0]) if spec else {}
            session = con.execute(
                "SELECT provenance FROM sessions ORDER BY id DESC LIMIT 1"
            ).fetchone()
            self.provenance = json.loads(session[0]) if session else {}
            meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
            self._schema = int(meta["schema_version"])
            where = "" if all_runs else " WHERE run_id IN (SELECT run_id FROM spec_runs)"
            self._where = where
            cols = [c for c in RUN_COLUMNS if c not in _JSON_RUN_COLUMNS]
            self._runs = pd.read_sql_query(
                f"SELECT {', '.join(cols)} FROM runs{where} ORDER BY task, optimizer, repetition",
                con,
            )
        finally:
            con.close()

    @cached_property
    def runs(self) -> pd.DataFrame:
        runs = self._runs.copy()
        for c in ("metric_maximize", "solved"):
            runs[c] = runs[c].astype(bool)
        for c in ("train_loss", "train_metric", "val_loss", "val_metric", "test_loss", "test_metric",
                  "samples", "evaluations", "macs", "seconds", "wall_seconds", "target"):  # fmt: skip
            runs[c] = runs[c].astype(float)  # NULL (NaN stored) back to NaN
        return runs

    @cached_property
    def curves(self) -> pd.DataFrame:
        """Long format: one row per (run, recorded step); run columns first, what the
        optimizer reported expanded into columns of its own."""
        keys = self._runs[["run_id", "task", "optimizer", "optimizer_name", "repetition", "metric"]]
        con = connect_readonly(self.path)  # read when first asked for: the runs are quick
        try:
            read = self._from_columns if self._schema >= 3 else self._from_rows
            curves = read(con, keys)
        finally:
            con.close()
        reported = sorted(c for c in curves.columns if c.startswith(REPORTED))
        curves = curves[[c for c in curves.columns if c not in reported] + reported]
        names = {c: c[len(REPORTED) :] for c in reported}
        clash = {c: f"opt_{n}" for c, n in names.items() if n in curves.columns}
        curves = curves.rename(columns={**names, **clash})
        for c in (clash.get(c, n) for c, n in names.items()):
            column = curves[c]
            if not pd.api.types.is_numeric_dtype(column) and column.map(_is_json).any():
                parsed = [json.loads(v) if _is_json(v) else v for v in column]
                curves[c] = pd.Series(parsed, index=curves.index, dtype=object)
        for c in ("samples", "evaluations", "macs", "seconds", "train_loss", "train_metric",
                  "val_loss", "val_metric", "test_loss", "test_metric", "best_objective"):  # fmt: skip
            curves[c] = curves[c].astype(float)
        return curves

    def _from_rows(self, con: sqlite3.Connection, keys: pd.DataFrame) -> pd.DataFrame:
        """The long table read as it is (a schema-2 store's only copy of the curves)."""
        points = pd.read_sql_query(f"SELECT * FROM curves{self._where} ORDER BY run_id, point", con)
        return keys.merge(points, on="run_id", how="inner", validate="one_to_many")

    def _from_columns(self, con: sqlite3.Connection, keys: pd.DataFrame) -> pd.DataFrame:
        """The same table from the runs' column BLOBs (see :mod:`studies.curve_columns`)."""
        rows = con.execute(f"SELECT run_id, name, kind, data FROM curve_columns{self._where}")
        lengths, columns = read_columns(rows, keys["run_id"].tolist())
        curves = keys.iloc[np.repeat(np.arange(len(keys)), lengths)].reset_index(drop=True)
        # every column of the long table, in its order, as reading it would give them: a
        # column none of these runs reports is all NULL there
        names = [r[1] for r in con.execute("PRAGMA table_info(curves)") if r[1] != "run_id"]
        for name in names:
            column = columns.get(name)
            if isinstance(column, np.ndarray) and column.dtype.kind == "f" and len(column):
                if np.isnan(column).all():
                    column = None  # NULL throughout: SQLite gives such a column no type
            if column is None:
                column = [None] * len(curves)
            curves[name] = column if isinstance(column, np.ndarray) else pd.Series(column)
        return curves

    def graph(self, run_id: str) -> Graph:
        """The best network of one run."""
        con = connect_readonly(self.path)
        try:
            row = con.execute("SELECT best_graph FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        finally:
            con.close()
        if row is None:
            raise ValueError(f"no run {run_id!r} in {self.path}")
        if row[0] is None:
            raise ValueError(f"run {run_id!r} produced no network (it failed)")
        return Graph.from_json(row[0])

    def run_details(self, run_id: str) -> dict:
        """One run's JSON columns (config, network, budget, content, versions) as data."""
        con = connect_readonly(self.path)
        try:
            cols = [c for c in _JSON_RUN_COLUMNS if c != "best_graph"]
            row = con.execute(
                f"SELECT {', '.join(cols)} FROM runs WHERE run_id = ?", (run_id,)
            ).fetchone()
        finally:
            con.close()
        if row is None:
            raise ValueError(f"no run {run_id!r} in {self.path}")
        return {c: json.loads(v) for c, v in zip(cols, row)}

    def to_csv(self, directory=None) -> tuple[Path, Path]:
        """Write ``runs.csv`` and ``curves.csv`` (default: beside the store)."""
        directory = Path(directory) if directory is not None else self.directory
        directory.mkdir(parents=True, exist_ok=True)
        paths = directory / "runs.csv", directory / "curves.csv"
        self.runs.to_csv(paths[0], index=False)
        self.curves.to_csv(paths[1], index=False)
        return paths

    def __len__(self) -> int:
        return len(self._runs)

    def __repr__(self) -> str:
        n = len(self._runs)
        done = int(np.sum(self._runs["status"] == "done")) if n else 0
        return f"StudyResults({self.spec.get('name', '?')!r}: {n} runs, {done} done)"
