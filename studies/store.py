"""The study store: ``DIR/study.sqlite``, written by the process running the study only.

One transaction per finished run (its row and its curve together: the curve both as the
long ``curves`` table, one row per recorded step, and a column per run for fast loading, see
:mod:`studies.curve_columns`), WAL journal, inserts
idempotent on the run id: a ``kill -9`` at any moment leaves every committed run complete
and nothing half-written, and a run committed just before the kill is never run twice. A
directory holds one study; another study's store, a file that is not a store and a store of
a newer schema are refused with one line, and the file is left untouched.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import math
import sqlite3
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ._json import canonical
from .curve_columns import CREATE as CURVE_COLUMNS_TABLE
from .curve_columns import encode_column

__all__ = [
    "Store",
    "StoreError",
    "SCHEMA_VERSION",
    "STORE_FILE",
    "REPORTED",
    "check_store",
    "record_rows",
    "connect_readonly",
]

SCHEMA_VERSION = 3  # 2: curves measure the test split too; 3: and are kept a column per run too
READABLE_SCHEMAS = (2, 3)  # 2: loaded from the long table; opened for writing, made 3
STORE_FILE = "study.sqlite"

RUN_COLUMNS = (
    "run_id", "task", "task_name", "optimizer", "optimizer_name", "repetition", "study_seed",
    "status", "error", "metric", "metric_maximize", "target", "target_split", "solved",
    "train_loss", "train_metric", "val_loss", "val_metric", "test_loss", "test_metric",
    "samples", "evaluations", "macs", "seconds", "steps", "wall_seconds",
    "connections", "hidden_nodes", "max_run_seconds", "best_graph", "config", "network", "budget", "content",
    "versions", "host", "finished_at",
)  # fmt: skip
CURVE_COLUMNS = (
    "run_id", "point", "samples", "evaluations", "macs", "seconds", "steps",
    "train_loss", "train_metric", "val_loss", "val_metric", "test_loss", "test_metric",
    "best_objective",
)  # fmt: skip
# what an optimizer reports about a step (population_mean, sigma, species) gets a column of
# its own in ``curves``, added the first time a run reports it, under this prefix; a value
# that is not a number (NEAT's species sizes) is stored as JSON text
REPORTED = "opt:"

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS specs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, created TEXT NOT NULL,
    spec TEXT NOT NULL, provenance TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, started TEXT NOT NULL,
    spec_id INTEGER NOT NULL, provenance TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS spec_runs (run_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS runs ({", ".join(c + (" TEXT PRIMARY KEY" if c == "run_id" else "") for c in RUN_COLUMNS)});
CREATE TABLE IF NOT EXISTS curves ({", ".join(CURVE_COLUMNS)}, PRIMARY KEY (run_id, point)) WITHOUT ROWID;
{CURVE_COLUMNS_TABLE};
"""


class StoreError(ValueError):
    """A store that cannot be used: the message says what is wrong and what to do."""


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _dumps(value) -> str:
    return canonical(value)


def _number(value):
    """A float for SQLite (NaN and inf kept as NaN: SQLite stores NaN as NULL)."""
    if value is None:
        return None
    v = float(value)
    return v if math.isfinite(v) else None


def connect_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection (safe beside a running study)."""
    return sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True, timeout=30)


def check_store(path: Path, study_name: str | None) -> bool:
    """Refuse, without writing to it, a file that is not this study's store. False for a
    store whose creation was killed before it held anything (it is then made afresh)."""
    try:
        con = connect_readonly(path)
        try:
            tables = {
                r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            if not tables:
                return False
            rows = dict(con.execute("SELECT key, value FROM meta").fetchall())
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            f"{path} is not a neuroarena study store ({exc}); move it away or choose another output directory"
        ) from None
    try:
        version = int(rows.get("schema_version", "0") or 0)
    except ValueError:
        version = 0
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path} was written by a newer neuroarena (store schema {version}, this one reads up to {SCHEMA_VERSION}); upgrade neuroarena"
        )
    if 1 <= version < min(READABLE_SCHEMAS):
        raise StoreError(
            f"{path} was written by an earlier neuroarena (store schema {version}; this one "
            f"writes {SCHEMA_VERSION}, whose curves measure the test split too); run the study "
            "into a new directory (--out) or move this one away"
        )
    if version < 1 or "study" not in rows or not {"runs", "curves", "specs"} <= tables:
        raise StoreError(
            f"{path} is not a neuroarena study store (no schema version or tables missing); choose another output directory"
        )
    if study_name is not None and rows["study"] != study_name:
        raise StoreError(
            f"{path.parent} holds study {rows['study']!r}, not {study_name!r}; choose another output directory"
        )
    return True


class Store:
    """A study's store, open for writing (see the module docstring)."""

    def __init__(self, con: sqlite3.Connection, path: Path) -> None:
        self.con, self.path = con, path

    @classmethod
    def open(cls, directory, study_name: str) -> Store:
        directory = Path(directory)
        if directory.exists() and not directory.is_dir():
            raise StoreError(
                f"{directory} is a file, not a directory; give a directory for the study's results"
            )
        path = directory / STORE_FILE
        if path.exists():
            check_store(path, study_name)
        else:
            try:
                directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create {directory}: {exc.strerror or exc}") from None
        try:
            con = sqlite3.connect(path, timeout=30, isolation_level=None)
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            con.execute("BEGIN IMMEDIATE")  # the tables and their meta rows, all or nothing
            for statement in filter(str.strip, _SCHEMA.split(";")):
                con.execute(statement)
            con.execute(
                "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?), ('study', ?), ('created', ?)",
                (str(SCHEMA_VERSION), study_name, _now()),
            )
            version = con.execute("SELECT value FROM meta WHERE key = 'schema_version'")
            if int(version.fetchone()[0]) == 2:
                _upgrade_2_to_3(con)
            con.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write the store {path}: {exc}") from None
        return cls(con, path)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def _transaction(self):
        con = self.con
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    # -- the study --------------------------------------------------------------------
    def set_spec(self, spec_json: str, provenance: dict, run_ids: list[str]) -> None:
        """Record the study as it is run now: its spec (a new version when it changed),
        where and with what it runs (every time: a resume may be on another machine), and
        its runs' ids (what :func:`studies.load` shows)."""
        with self._transaction() as con:
            last = con.execute("SELECT id, spec FROM specs ORDER BY id DESC LIMIT 1").fetchone()
            if last is None or last[1] != spec_json:
                cur = con.execute(
                    "INSERT INTO specs (created, spec, provenance) VALUES (?, ?, ?)",
                    (_now(), spec_json, _dumps(provenance)),
                )
                spec_id = cur.lastrowid
            else:
                spec_id = last[0]
            con.execute(
                "INSERT INTO sessions (started, spec_id, provenance) VALUES (?, ?, ?)",
                (_now(), spec_id, _dumps(provenance)),
            )
            con.execute("DELETE FROM spec_runs")
            con.executemany("INSERT OR IGNORE INTO spec_runs VALUES (?)", ((r,) for r in run_ids))

    def timed_out_below(self, seconds: float | None) -> set[str]:
        """Runs stopped by a time limit lower than ``seconds`` (None: no limit now)."""
        rows = self.con.execute(
            "SELECT run_id, max_run_seconds FROM runs WHERE status = 'timeout'"
        ).fetchall()
        return {r for r, limit in rows if seconds is None or limit is None or limit < seconds}

    def recorded(self, statuses: tuple[str, ...] | None = None) -> set[str]:
        """Ids of the runs already stored (with one of ``statuses``, if given)."""
        if statuses is None:
            rows = self.con.execute("SELECT run_id FROM runs")
        else:
            marks = ",".join("?" * len(statuses))
            rows = self.con.execute(f"SELECT run_id FROM runs WHERE status IN ({marks})", statuses)
        return {r[0] for r in rows}

    def forget(self, run_ids) -> None:
        """Delete runs (to run them again), with their curves, in one transaction."""
        ids = [(r,) for r in run_ids]
        with self._transaction() as con:
            con.executemany("DELETE FROM curves WHERE run_id = ?", ids)
            con.executemany("DELETE FROM curve_columns WHERE run_id = ?", ids)
            con.executemany("DELETE FROM runs WHERE run_id = ?", ids)

    # -- runs -------------------------------------------------------------------------
    def write(self, record: dict) -> bool:
        """Store one finished run and its curve in one transaction; False if it was
        already there (nothing is written twice)."""
        row, reported, columns = _record_columns(record)
        with self._transaction() as con:
            cur = con.execute(
                f"INSERT OR IGNORE INTO runs ({', '.join(RUN_COLUMNS)}) VALUES ({', '.join('?' * len(RUN_COLUMNS))})",
                row,
            )
            new = cur.rowcount == 1
            if new and columns[0][0]:
                # SQLite's column names ignore case: a reported key goes into the column
                # that already holds it whatever its case, in both tables
                have = {r[1].lower(): r[1] for r in con.execute("PRAGMA table_info(curves)")}
                for key in reported:
                    if (REPORTED + key).lower() not in have:
                        con.execute(f"ALTER TABLE curves ADD COLUMN {_quote(REPORTED + key)}")
                        have[(REPORTED + key).lower()] = REPORTED + key
                names = [*CURVE_COLUMNS, *(have[(REPORTED + k).lower()] for k in reported)]
                con.executemany(
                    f"INSERT OR IGNORE INTO curves ({', '.join(map(_quote, names))}) "
                    f"VALUES ({', '.join('?' * len(names))})",
                    zip(*(cells for cells, _ in columns)),
                )
                con.executemany(
                    "INSERT OR IGNORE INTO curve_columns VALUES (?, ?, ?, ?)",
                    (
                        (record["run_id"], name, *encode_column(cells, floats))
                        for name, (cells, floats) in zip(names[1:], columns[1:])
                    ),
                )
        return new


def _upgrade_2_to_3(con: sqlite3.Connection) -> None:
    """Keep a schema-2 store's curves a column per run too (inside the caller's
    transaction), so that it can be resumed and loads as fast as a new one."""
    cursor = con.execute("SELECT * FROM curves ORDER BY run_id, point")
    names = [d[0] for d in cursor.description]
    for run_id, rows in itertools.groupby(cursor.fetchall(), key=lambda r: r[0]):
        columns = list(zip(*rows))[1:]
        con.executemany(
            "INSERT OR IGNORE INTO curve_columns VALUES (?, ?, ?, ?)",
            (
                (run_id, n, *encode_column(list(c)))
                for n, c in zip(names[1:], columns)
                if any(v is not None for v in c)  # a key the run never reported: no column
            ),
        )
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _cell(value):
    """A reported value as SQLite stores it: numbers as numbers, anything else as JSON."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (bool, int, float, np.integer, np.floating, np.bool_)):
        return _number(value)
    return _dumps(np.asarray(value).tolist() if isinstance(value, np.ndarray) else value)


def _column(values: list) -> tuple[list, np.ndarray | None]:
    """One curve column as SQLite stores it, converted a column at a time, and as float64
    when it is numeric."""
    try:
        column = np.asarray(values, dtype=np.float64)  # None -> NaN -> NULL
    except (TypeError, ValueError):
        column = None
    if column is not None and column.ndim == 1:
        return column.tolist(), column
    return [_cell(v) for v in values], None  # lists (NEAT's species sizes), text


def record_rows(record: dict) -> tuple[tuple, list[str], list[tuple]]:
    """A run record (see :func:`studies.execute.execute`) as a runs row, and the curve's
    reported keys and rows."""
    row, reported, columns = _record_columns(record)
    return row, reported, list(zip(*(cells for cells, _ in columns)))


def _record_columns(record: dict) -> tuple[tuple, list[str], list[tuple[list, np.ndarray | None]]]:
    """The runs row, the reported keys, and the curve's columns (``CURVE_COLUMNS`` then the
    reported ones), each as (what SQLite stores, float64 or None)."""
    metric = record["metric"]
    scores = record.get("scores") or {}
    result = record.get("result") or {}
    meter = result.get("meter") or {}
    best = result.get("best")
    values = {
        **{k: record.get(k) for k in RUN_COLUMNS},
        "metric_maximize": int(bool(record["metric_maximize"])),
        "solved": int(bool(record.get("solved"))),
        "train_loss": _number(scores.get("train_loss")),
        "train_metric": _number(scores.get(f"train_{metric}")),
        "val_loss": _number(scores.get("val_loss")),
        "val_metric": _number(scores.get(f"val_{metric}")),
        "test_loss": _number(scores.get("test_loss")),
        "test_metric": _number(scores.get(f"test_{metric}")),
        **{u: _number(meter.get(u)) for u in ("samples", "evaluations", "macs", "seconds")},
        "steps": meter.get("steps"),
        "wall_seconds": _number(record.get("wall_seconds")),
        "best_graph": None if best is None else _dumps(best),
        "config": _dumps(result.get("config", {})),
        "network": _dumps(record["network"]),
        "budget": _dumps(record["budget"]),
        "content": _dumps(record["content"]),
        "versions": _dumps(record.get("versions", {})),
        "finished_at": _now(),
    }
    row = tuple(values[c] for c in RUN_COLUMNS)
    points = result.get("curve", [])
    fixed = {
        "samples": "samples", "evaluations": "evaluations", "macs": "macs",
        "seconds": "seconds", "steps": "steps", "train_loss": "train_loss",
        f"train_{metric}": "train_metric", "val_loss": "val_loss",
        f"val_{metric}": "val_metric", "test_loss": "test_loss",
        f"test_{metric}": "test_metric", "best_objective": "best_objective",
    }  # fmt: skip
    reported = list(dict.fromkeys(k for p in points for k in p if k not in fixed))
    columns = [([record["run_id"]] * len(points), None), (list(range(len(points))), None)]
    columns += [
        ([p.get(k) for p in points], None) if k == "steps" else _column([p.get(k) for p in points])
        for k in fixed
    ]
    columns += [_column([p.get(k) for p in points]) for k in reported]
    return row, reported, columns
