"""The store keeps each curve twice: the long table (one row per step, for SQL) and a BLOB
per column per run (for loading). Loading the columns gives exactly what loading the long
table gives (a schema-2 store has only the long table, so it is the reference); a schema-2
store opened to run its study again is upgraded in place and resumes."""

from __future__ import annotations

import shutil
import sqlite3

import numpy as np
import pandas as pd
import pytest

import studies
from studies import Study, load, run_study
from studies.store import SCHEMA_VERSION, Store


def as_schema_2(directory, into):
    """A copy of a store as the previous release wrote it: no column copy of the curves."""
    into.mkdir()
    shutil.copy(directory / "study.sqlite", into / "study.sqlite")
    con = sqlite3.connect(into / "study.sqlite")
    con.execute("DROP TABLE curve_columns")
    con.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    return into


def schema_of(directory) -> int:
    con = sqlite3.connect(directory / "study.sqlite")
    try:
        return int(con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0])
    finally:
        con.close()


def study(seeds: int = 2) -> Study:
    # neat reports lists (species sizes), ga and cmaes their own numbers, backprop its epoch
    # loss: the optimizers' columns differ from run to run
    return Study(
        name="columns",
        tasks=["xor", "iris"],
        optimizers={
            "neat": ("neat", {"population": 20}),
            "ga": ("ga", {"population": 10}),
            "cmaes": "cmaes",
            "adam": "backprop",
        },
        seeds=seeds,
        budget={"evaluations": 60},
    )


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    out = tmp_path_factory.mktemp("columns")
    run_study(study(), out, backend="sequential")
    return out


def test_curves_from_the_columns_equal_curves_from_the_long_table(stored, tmp_path):
    new, old = load(stored), load(as_schema_2(stored, tmp_path / "v2"))
    assert schema_of(stored) == SCHEMA_VERSION == 3 and schema_of(tmp_path / "v2") == 2
    assert len(new.curves) > 16 and new.curves["species_sizes"].map(type).eq(list).any()
    assert new.curves["sigma"].notna().any() and new.curves["sigma"].isna().any()
    pd.testing.assert_frame_equal(new.curves, old.curves)
    pd.testing.assert_frame_equal(new.runs, old.runs)


def test_a_schema_2_store_is_upgraded_when_its_study_runs_again(stored, tmp_path):
    old = as_schema_2(stored, tmp_path / "v2")
    expected = load(old).curves
    outcome = run_study(study(seeds=3), old, backend="sequential")  # one more seed
    assert schema_of(old) == 3
    assert outcome.ran == 8 and outcome.total == 24
    upgraded = load(old).curves
    before = upgraded[upgraded["repetition"] < 2].reset_index(drop=True)
    pd.testing.assert_frame_equal(before, expected.reset_index(drop=True))
    # and the upgraded store loads from its columns what its long table holds
    again = load(as_schema_2(old, tmp_path / "again")).curves
    pd.testing.assert_frame_equal(upgraded, again)


def test_mixed_and_missing_reports_load_as_the_long_table_gives_them(tmp_path):
    """A key that is a number in one run and a list or text in another, a key only some
    runs report, NaN among numbers, and two keys SQLite takes for the same column."""
    spec = Study(name="x", tasks=["xor"], optimizers={"rs": "random-search"}, seeds=3,
                 budget={"evaluations": 64})  # fmt: skip
    records = [studies.execute.execute(r) for r in spec.runs()]
    for k, record in enumerate(records):
        for i, point in enumerate(record["result"]["curve"]):
            point["mixed"] = [[i, 1], "text", np.nan if i == 0 else float(i)][k]
            point["holey"] = np.nan if i % 2 else 1.5
            if k == 1:
                point["only_one"] = i
            point["Sigma"], point["sigma"] = 1.0, 2.0
            point["never"] = np.nan  # NULL throughout: SQLite gives the column no type
    extra = studies.execute.execute(Study(**{**spec.arguments, "seeds": 4}).runs()[3])
    for point in extra["result"]["curve"]:
        point["elsewhere"] = [1, 2]  # reported only by a run outside the spec
    with Store.open(tmp_path / "s", "x") as store:
        store.set_spec(spec.to_json(), {}, [r["run_id"] for r in records])
        for record in [*records, extra]:
            assert store.write(record)
    new, old = load(tmp_path / "s"), load(as_schema_2(tmp_path / "s", tmp_path / "v2"))
    pd.testing.assert_frame_equal(new.curves, old.curves)
    Store.open(tmp_path / "v2", "x").close()  # upgraded to schema 3: the same frame
    assert schema_of(tmp_path / "v2") == 3
    pd.testing.assert_frame_equal(load(tmp_path / "v2").curves, old.curves)
    assert new.curves["never"].isna().all() and new.curves["elsewhere"].isna().all()
    curves = new.curves.set_index(["repetition", "point"])
    assert curves.loc[(0, 1), "mixed"] == [1, 1] and curves.loc[(1, 0), "mixed"] == "text"
    assert curves.loc[(2, 1), "mixed"] == 1.0 and curves.loc[(2, 0), "mixed"] is None  # NULL
    assert np.isnan(curves.loc[(0, 1), "holey"]) and curves.loc[(0, 0), "holey"] == 1.5
    assert curves.loc[(1, 0), "only_one"] == 0 and np.isnan(curves.loc[(0, 0), "only_one"])
    assert (curves["Sigma"] == 1.0).all() and "sigma" not in curves  # the first one written


def test_a_run_forgotten_leaves_neither_copy_of_its_curve(stored, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(stored, out)
    run_id = load(out).runs["run_id"].iloc[0]
    with Store.open(out, "columns") as store:
        store.forget([run_id])
    con = sqlite3.connect(out / "study.sqlite")
    for table in ("runs", "curves", "curve_columns"):
        n = con.execute(f"SELECT count(*) FROM {table} WHERE run_id = ?", (run_id,)).fetchone()
        assert n == (0,), table
    con.close()
