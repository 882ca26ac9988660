"""The study runner and store: identical results whatever the workers, backend or order;
resume after kill -9; only new runs run; failures isolated and recorded; the pairing."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import stored_runs

import studies
from studies import StoreError, Study, load, load_study, run_study

PROBES = Path(__file__).parent / "study_files" / "probes.py"
# what legitimately differs between two runs of the same study: time and place
VOLATILE = ["seconds", "wall_seconds", "finished_at", "host"]


def table(results) -> tuple[pd.DataFrame, pd.DataFrame]:
    runs = results.runs.drop(columns=VOLATILE).sort_values("run_id").reset_index(drop=True)
    curves = results.curves.drop(columns=["seconds"]).sort_values(["run_id", "point"])
    return runs, curves.reset_index(drop=True)


def assert_same_results(a, b) -> None:
    (runs_a, curves_a), (runs_b, curves_b) = table(a), table(b)
    assert len(runs_a) and len(curves_a)
    pd.testing.assert_frame_equal(runs_a, runs_b)
    pd.testing.assert_frame_equal(curves_a, curves_b)
    for run_id in runs_a["run_id"]:
        if runs_a.set_index("run_id").loc[run_id, "status"] == "done":
            assert a.graph(run_id) == b.graph(run_id)


def probes(monkeypatch, **env) -> Study:
    for k, v in env.items():
        monkeypatch.setenv(k, str(v))
    return load_study(PROBES)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The probe study run in this process, one run after another."""
    out = tmp_path_factory.mktemp("reference")
    os.environ.pop("PROBE_SLEEP", None)
    os.environ.pop("PROBE_SEEDS", None)
    outcome = run_study(load_study(PROBES), out, backend="sequential")
    assert outcome.ran == outcome.total == 12 and outcome.failed == 0
    return load(out)


def test_every_run_is_stored_once_with_its_curve(reference):
    runs = reference.runs
    assert len(runs) == 12
    assert len(runs.groupby(["task", "optimizer", "repetition"])) == 12
    assert set(runs["status"]) == {"done"}
    assert set(runs["task"]) == {"xor", "parity(bits=3)"}
    assert set(runs["optimizer"]) == {"search", "search-b", "rs"}
    assert (runs["evaluations"] <= 200).all()
    assert runs[["train_metric", "val_metric", "test_metric"]].notna().all().all()
    counts = reference.curves.groupby("run_id").size()
    assert (counts > 0).all() and set(counts.index) == set(runs["run_id"])
    last = reference.curves.sort_values("point").groupby("run_id").last()
    # the curve's last point is the final best network, measured by the same ruler
    final = runs.set_index("run_id")
    np.testing.assert_allclose(last["train_loss"], final.loc[last.index, "train_loss"])


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_loky_workers_give_the_sequential_results(reference, tmp_path, n_jobs):
    run_study(load_study(PROBES), tmp_path, n_jobs=n_jobs)
    assert_same_results(reference, load(tmp_path))


def test_a_dask_local_cluster_gives_the_sequential_results(reference, tmp_path):
    pytest.importorskip("distributed")
    run_study(load_study(PROBES), tmp_path, n_jobs=2, backend="dask")
    assert_same_results(reference, load(tmp_path))


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_real_dask_scheduler_and_worker_give_the_sequential_results(reference, tmp_path):
    distributed = pytest.importorskip("distributed")
    address = f"tcp://127.0.0.1:{_free_port()}"
    host, port = address.removeprefix("tcp://").split(":")
    logs = open(tmp_path / "dask.log", "w")
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", host,
         "--port", port, "--no-dashboard"],
        stdout=logs, stderr=logs, start_new_session=True,
    )  # fmt: skip
    worker = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "2",
         "--nworkers", "1", "--no-dashboard"],
        stdout=logs, stderr=logs, start_new_session=True,
    )  # fmt: skip
    try:
        with distributed.Client(address, timeout=30) as client:
            client.wait_for_workers(1, timeout=60)
        run_study(load_study(PROBES), tmp_path / "out", backend="dask", scheduler=address)
        # two threads in one worker process: results still identical
        assert_same_results(reference, load(tmp_path / "out"))
    finally:
        for p in (worker, scheduler):
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        logs.close()


def test_an_unreachable_scheduler_is_one_clear_error(tmp_path):
    with pytest.raises(ValueError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        run_study(load_study(PROBES), tmp_path, backend="dask", scheduler="tcp://127.0.0.1:9")


@pytest.mark.parametrize("whole_group", [True, False])
def test_a_study_killed_with_sigkill_resumes_with_nothing_lost_or_duplicated(
    tmp_path, monkeypatch, whole_group
):
    env = {"PROBE_SLEEP": "0.01", "PROBE_SEEDS": "2"}
    study = probes(monkeypatch, **env)
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    code = (
        "import sys; from studies import load_study, run_study; "
        f"run_study(load_study({str(PROBES)!r}), {str(killed)!r}, n_jobs=2)"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        start_new_session=True,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while stored_runs(killed / "study.sqlite") < 3:
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, "the study stored nothing in 120 s"
        time.sleep(0.05)
    if whole_group:  # the process running the study and its workers
        os.killpg(proc.pid, signal.SIGKILL)
    else:  # the process running the study only: its workers are orphaned
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    try:
        _resume_and_compare(study, killed, whole)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # whatever orphans are left


def _resume_and_compare(study, killed, whole):
    before = stored_runs(killed / "study.sqlite")
    assert 3 <= before < 12, "kill earlier: the study had finished"

    outcome = run_study(study, killed, n_jobs=2)
    assert outcome.reused == before and outcome.ran == 12 - before
    run_study(study, whole, n_jobs=2)
    assert_same_results(load(whole), load(killed))


def test_adding_seeds_or_an_optimizer_runs_only_the_new_runs(reference, tmp_path, monkeypatch):
    one = probes(monkeypatch, PROBE_SEEDS=1)
    first = run_study(one, tmp_path, backend="sequential")
    assert (first.total, first.ran) == (6, 6)
    stored = load(tmp_path).runs.set_index("run_id")

    two = probes(monkeypatch, PROBE_SEEDS=2)
    second = run_study(two, tmp_path, backend="sequential")
    assert (second.total, second.reused, second.ran) == (12, 6, 6)
    after = load(tmp_path).runs.set_index("run_id")
    pd.testing.assert_frame_equal(stored, after.loc[stored.index])  # untouched
    assert_same_results(reference, load(tmp_path))

    extra = two.replace(optimizers={**two.arguments["optimizers"], "extra": "random-search"})
    third = run_study(extra, tmp_path, backend="sequential")
    assert (third.total, third.reused, third.ran) == (16, 12, 4)  # 2 tasks x 2 seeds
    assert run_study(extra, tmp_path, backend="sequential").ran == 0


def test_a_changed_parameter_makes_new_runs_and_load_shows_the_current_spec(tmp_path, monkeypatch):
    base = probes(monkeypatch, PROBE_SEEDS=1)
    run_study(base, tmp_path, backend="sequential")
    changed = base.replace(
        optimizers={**base.arguments["optimizers"], "rs": ("random-search", {"population": 4})}
    )
    outcome = run_study(changed, tmp_path, backend="sequential")
    assert outcome.ran == 2 and outcome.reused == 4  # rs on both tasks ran again
    current = load(tmp_path)
    assert len(current.runs) == 6
    assert len(load(tmp_path, all_runs=True).runs) == 8
    assert current.spec["optimizers"]["rs"]["params"] == {"population": 4}


@pytest.mark.parametrize("backend", ["loky", "dask"])
def test_failures_are_recorded_and_the_study_goes_on(tmp_path, monkeypatch, backend):
    if backend == "dask":
        pytest.importorskip("distributed")
    probes(monkeypatch)  # registers test-probe
    study = Study(
        name="failures",
        tasks=["xor"],
        optimizers={
            "ok": ("test-probe", {"mode": "search"}),
            "raises": ("test-probe", {"mode": "raise"}),
            "nan": ("test-probe", {"mode": "nan"}),
            "exits": ("test-probe", {"mode": "exit"}),
        },
        seeds=1,
        budget={"evaluations": 100},
    )
    outcome = run_study(study, tmp_path, n_jobs=2, backend=backend)
    assert (outcome.ran, outcome.failed) == (4, 3)
    runs = load(tmp_path).runs.set_index(["optimizer", "repetition"]).sort_index()
    assert set(runs.loc["ok", "status"]) == {"done"}
    assert set(runs.loc["raises", "status"]) == {"failed"}
    assert runs.loc["raises", "error"].str.contains("RuntimeError: probe raised on purpose").all()
    assert set(runs.loc["nan", "status"]) == {"diverged"}
    assert set(runs.loc["exits", "status"]) == {"failed"}
    assert runs.loc["exits", "error"].str.contains("worker process died").all()
    # a failure is a result: running again reuses it, unless asked to retry
    assert run_study(study, tmp_path, n_jobs=2, backend=backend).ran == 0
    again = run_study(study, tmp_path, n_jobs=2, backend=backend, rerun_failed=True)
    assert (again.ran, again.reused, again.failed) == (2, 2, 2)  # raises and exits, again


def test_every_optimizer_in_a_repetition_starts_from_the_same_split_and_weights(
    tmp_path, monkeypatch
):
    probes(monkeypatch)
    study = Study(
        name="pairing",
        tasks=["iris"],
        optimizers={"a": ("test-probe", {}), "b": ("test-probe", {"population": 2})},
        seeds=3,
        budget={"evaluations": 10},
    )
    run_study(study, tmp_path, backend="sequential")
    results = load(tmp_path)
    runs = results.runs.set_index(["repetition", "optimizer"]).sort_index()
    for rep in range(3):
        a, b = runs.loc[(rep, "a")], runs.loc[(rep, "b")]
        assert results.graph(a.run_id) == results.graph(b.run_id)  # the initial Graph
        for col in ("train_loss", "val_loss", "test_loss"):
            assert a[col] == b[col]  # the same split
    graphs = [results.graph(runs.loc[(rep, "a")].run_id) for rep in range(3)]
    assert graphs[0] != graphs[1] and graphs[1] != graphs[2]
    assert len(set(runs["test_loss"])) == 3


def test_ctrl_c_keeps_the_finished_runs_and_says_how_to_resume(tmp_path, monkeypatch, caplog):
    study = probes(monkeypatch, PROBE_SEEDS=1)
    seen = []

    def progress(event):
        if event["event"] == "run":
            seen.append(event["record"]["run_id"])
            if len(seen) == 2:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_study(study, tmp_path, backend="sequential", progress=progress)
    assert "run the same study again to resume" in caplog.text
    assert set(load(tmp_path).runs["run_id"]) == set(seen)
    assert run_study(study, tmp_path, backend="sequential").ran == 4


def test_a_directory_holds_one_study_and_a_bad_store_is_refused_untouched(tmp_path, monkeypatch):
    study = probes(monkeypatch, PROBE_SEEDS=1)
    run_study(study, tmp_path / "a", backend="sequential")
    other = study.replace(name="other")
    with pytest.raises(StoreError, match=r"holds study 'probes', not 'other'"):
        run_study(other, tmp_path / "a", backend="sequential")

    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "study.sqlite").write_bytes(b"not a database at all" * 100)
    before = (corrupt / "study.sqlite").read_bytes()
    with pytest.raises(StoreError, match="is not a neuroarena study store"):
        run_study(study, corrupt, backend="sequential")
    with pytest.raises(StoreError, match="is not a neuroarena study store"):
        load(corrupt)
    assert (corrupt / "study.sqlite").read_bytes() == before

    newer = tmp_path / "newer"
    run_study(study, newer, backend="sequential")
    con = sqlite3.connect(newer / "study.sqlite")
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="newer neuroarena"):
        run_study(study, newer, backend="sequential")

    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="is a file"):
        run_study(study, tmp_path / "file", backend="sequential")


def test_load_gives_tidy_frames_graphs_and_csv(reference, tmp_path):
    runs, curves = reference.runs, reference.curves
    for col in ("task", "optimizer", "repetition", "status", "test_metric", "evaluations", "macs"):
        assert col in runs
    for col in ("run_id", "task", "optimizer", "evaluations", "train_metric", "val_metric"):
        assert col in curves
    assert "population_mean" in curves  # what the optimizers reported, as columns
    run_id = runs["run_id"].iloc[0]
    g = reference.graph(run_id)
    assert g.n_inputs == (2 if runs["task"].iloc[0] == "xor" else 3)
    details = reference.run_details(run_id)
    assert details["content"]["repetition"] == runs["repetition"].iloc[0]
    paths = reference.to_csv(tmp_path)
    assert len(pd.read_csv(paths[0])) == len(runs)
    assert len(pd.read_csv(paths[1])) == len(curves)
    assert reference.provenance["versions"]["numpy"] == np.__version__
    assert reference.spec["name"] == "probes"


def test_bad_arguments_are_refused(tmp_path, monkeypatch):
    study = probes(monkeypatch)
    with pytest.raises(ValueError, match="n_jobs must be an integer >= 1"):
        run_study(study, tmp_path, n_jobs=0)
    with pytest.raises(ValueError, match="backend must be one of loky, dask, sequential"):
        run_study(study, tmp_path, backend="spark")
    with pytest.raises(ValueError, match="needs backend='dask'"):
        run_study(study, tmp_path, scheduler="tcp://x:1")
    with pytest.raises(ValueError, match="needs a studies.Study"):
        run_study({"name": "x"}, tmp_path)
    assert studies.BACKENDS == ("loky", "dask", "sequential")


def test_what_an_optimizer_reports_comes_back_as_columns_lists_included(tmp_path):
    study = Study(
        name="neat-report",
        tasks=["xor"],
        optimizers={"neat": ("neat", {"population": 30})},
        seeds=1,
        budget={"evaluations": 150},
    )
    run_study(study, tmp_path, backend="sequential")
    curves = load(tmp_path).curves
    assert len(curves) == 5  # five generations of 30
    for sizes, n in zip(curves["species_sizes"], curves["species"]):
        assert isinstance(sizes, list) and len(sizes) == n and sum(sizes) == 30
    assert curves["threshold"].dtype == float


def test_curves_measure_the_test_split_and_end_at_the_runs_figures(tmp_path):
    study = Study(
        name="test-curves",
        tasks=["iris", "xor"],
        optimizers={"adam": "backprop", "cmaes": "cmaes"},
        seeds=1,
        budget={"evaluations": 300},
    )
    run_study(study, tmp_path, backend="sequential")
    results = load(tmp_path)
    last = results.curves.groupby("run_id").tail(1).set_index("run_id")
    runs = results.runs.set_index("run_id").loc[last.index]
    for c in ("train_metric", "val_metric", "test_loss", "test_metric"):
        assert np.isfinite(last.loc[runs["task"] == "iris", c]).all(), c
        np.testing.assert_array_equal(last[c], runs[c], err_msg=c)
    # the test figures are measured at every point, not only the last
    assert results.curves.groupby("run_id")["test_metric"].nunique().max() > 1


def test_a_store_of_an_earlier_schema_is_refused_and_left_as_it_is(tmp_path, monkeypatch):
    study = probes(monkeypatch)
    run_study(study, tmp_path, backend="sequential")
    con = sqlite3.connect(tmp_path / "study.sqlite")
    con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    before = (tmp_path / "study.sqlite").read_bytes()
    for call in (lambda: run_study(study, tmp_path, backend="sequential"), lambda: load(tmp_path)):
        with pytest.raises(StoreError, match="earlier neuroarena .store schema 1.*new directory"):
            call()
    assert (tmp_path / "study.sqlite").read_bytes() == before


@pytest.mark.parametrize("backend, n_jobs", [("loky", 2), ("dask", 2)])
def test_a_scripts_own_tasks_run_in_workers_that_never_saw_the_script(tmp_path, backend, n_jobs):
    if backend == "dask":
        pytest.importorskip("distributed")
    study = load_study(Path(__file__).parent / "study_files" / "own_task.py")
    try:
        run_study(study, tmp_path / "here", backend="sequential")
        run_study(study, tmp_path / "there", backend=backend, n_jobs=n_jobs)
    finally:
        studies.tasks.unregister_task("test-rings")
    here, there = load(tmp_path / "here"), load(tmp_path / "there")
    assert set(here.runs["status"]) == {"done"} and len(here.runs) == 8
    assert set(here.runs["task"]) == {"test-rings(n=40)", "test-blobs"}
    assert_same_results(here, there)


def test_list_reports_of_constant_length_are_stored_as_lists(tmp_path):
    from studies.store import Store

    study = Study(name="x", tasks=["xor"], optimizers={"rs": "random-search"}, seeds=1,
                  budget={"evaluations": 64})  # fmt: skip
    record = studies.execute.execute(study.runs()[0])
    for point in record["result"]["curve"]:
        point["sizes"] = [30]  # the same length every step
        point["Sigma"], point["sigma"] = 1.0, 2.0  # names SQLite takes for the same column
    with Store.open(tmp_path, "x") as store:
        store.set_spec(study.to_json(), {}, [record["run_id"]])
        assert store.write(record) and not store.write(record)
    curves = load(tmp_path).curves
    assert len(curves) == len(record["result"]["curve"]) > 0
    assert all(v == [30] for v in curves["sizes"])


def test_a_store_in_a_directory_with_uri_characters(tmp_path, monkeypatch):
    study = probes(monkeypatch, PROBE_SEEDS=1)
    out = tmp_path / "run#1 what?"
    run_study(study, out, backend="sequential")
    assert len(load(out).runs) == 6
    assert run_study(study, out, backend="sequential").ran == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run#1 what?"]


def test_a_store_whose_creation_was_killed_is_made_afresh(tmp_path, monkeypatch):
    (tmp_path / "study.sqlite").write_bytes(b"")  # created, then killed before any table
    study = probes(monkeypatch, PROBE_SEEDS=1)
    assert run_study(study, tmp_path, backend="sequential").ran == 6


def test_timed_out_runs_run_again_under_a_higher_limit(tmp_path, monkeypatch):
    probes(monkeypatch)
    slow = Study(name="t", tasks=["xor"], optimizers={"p": ("test-probe", {"mode": "search", "sleep": 0.05})},
                 seeds=1, budget={"evaluations": 400}, max_run_seconds=0.1)  # fmt: skip
    run_study(slow, tmp_path, backend="sequential")
    assert list(load(tmp_path).runs["status"]) == ["timeout"]
    assert run_study(slow, tmp_path, backend="sequential").ran == 0
    assert run_study(slow.replace(max_run_seconds=0.2), tmp_path, backend="sequential").ran == 1
