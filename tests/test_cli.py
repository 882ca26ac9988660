"""The ``neuroarena`` command, through the real command in subprocesses: the quickstart,
every bad input (exit 2, one line, no traceback, the store untouched), kill -9 and resume,
``verify``, ``show`` while a study runs, ``list``."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from helpers import stored_runs

import studies

CLI = [sys.executable, "-m", "studies.cli"]
PROBES = Path(__file__).parent / "study_files" / "probes.py"
VOLATILE = ["seconds", "wall_seconds", "finished_at", "host"]

TINY = """
name = "tiny"
seeds = 2
budget = { evaluations = 200 }
tasks = ["xor", { name = "iris", budget = { evaluations = 300 } }]

[optimizers.backprop]
optimizer = "backprop"
rule = "adam"
lr = 0.01

[optimizers.rs]
optimizer = "random-search"

[optimizers.ga]
optimizer = "ga"
population = 20
"""


def cli(*args, cwd, env=None, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, *map(str, args)],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def ok(done: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done


def snapshot(directory: Path) -> dict:
    """The store's bytes (its WAL checkpointed first, so equal data give equal bytes)."""
    con = sqlite3.connect(directory / "study.sqlite")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.iterdir())
        if p.name != "study.sqlite-shm" and p.is_file()
    }


def tables(directory: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A store's runs and curves without what legitimately differs (time and place)."""
    results = studies.load(directory)
    runs = results.runs.drop(columns=VOLATILE).sort_values("run_id").reset_index(drop=True)
    curves = results.curves.drop(columns=["seconds"]).sort_values(["run_id", "point"])
    return runs, curves.reset_index(drop=True)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    """A tiny study run once through the command: its directory (holding tiny.toml and
    results/tiny)."""
    root = tmp_path_factory.mktemp("tiny")
    (root / "tiny.toml").write_text(TINY)
    done = ok(cli("run", "tiny.toml", "--jobs", 2, cwd=root))
    out = done.stdout
    assert "tiny: 12 of 12 runs stored (12 done)" in out
    for line in ("xor: test accuracy, higher is better", "iris: test accuracy"):
        assert line in out
    for opt in ("backprop", "rs", "ga"):
        assert f"\n  {opt} " in out
    assert "store: results/tiny/study.sqlite" in out
    assert len(studies.load(root / "results" / "tiny").runs) == 12
    return root


def test_run_again_reuses_every_run_and_show_prints_the_summary(tiny):
    again = ok(cli("run", "tiny.toml", "--jobs", 2, cwd=tiny))
    assert "12 runs: 12 reused, 0 ran now" in again.stdout
    shown = ok(cli("show", "results/tiny", cwd=tiny))
    assert "tiny: 12 of 12 runs stored" in shown.stdout
    assert shown.stdout.split("\n\n")[1] == again.stdout.split("\n\n")[1]  # the xor block


def test_the_quickstart_quick_variant(quickstart, tmp_path):
    """The quickstart with three seeds: every task and optimizer, the default output
    directory, the report, reuse, and verify against the built-in study it came from."""
    origin, done = quickstart
    ok(done)
    shutil.copytree(origin / "results", tmp_path / "results")
    assert "quickstart: 45 of 45 runs stored (45 done)" in done.stdout
    for task in ("xor", "iris", "two-spirals"):
        assert f"\n{task}: test accuracy, higher is better" in done.stdout
    for opt in ("backprop", "ga", "cmaes", "neat", "random-search"):
        assert done.stdout.count(f"\n  {opt} ") == 3
    assert "store: results/quickstart/study.sqlite" in done.stdout
    assert done.stdout.rstrip().endswith("report: results/quickstart/report/index.html")
    assert (tmp_path / "results" / "quickstart" / "report" / "index.html").is_file()
    results = studies.load(tmp_path / "results" / "quickstart")
    assert results.provenance["source"] == "catalog:quickstart"
    checked = ok(cli("verify", "results/quickstart", "--runs", 2, cwd=tmp_path))
    assert "2 of 2 re-run runs identical" in checked.stdout


@pytest.mark.slow
def test_the_full_quickstart_on_two_workers_in_under_two_minutes(tmp_path):
    t0 = time.perf_counter()
    done = ok(cli("run", "quickstart", "--jobs", 2, cwd=tmp_path))
    seconds = time.perf_counter() - t0
    print(done.stdout, f"\n{seconds:.1f} s")
    assert seconds < 120
    runs = studies.load(tmp_path / "results" / "quickstart").runs
    assert len(runs) == 75 and set(runs["status"]) == {"done"}
    medians = runs[runs["task"] == "two-spirals"].groupby("optimizer")["test_metric"].median()
    assert medians.idxmax() == "backprop"  # the task that separates the methods
    assert ok(cli("run", "quickstart", "--jobs", 2, cwd=tmp_path)).stdout.count("75 reused")


BAD_TOML = {
    "malformed.toml": "name = \n",
    "unknown-task.toml": TINY.replace('"xor"', '"xorr"'),
    "unknown-optimizer.toml": TINY.replace('"random-search"', '"random-serch"'),
    "bad-value.toml": TINY.replace("lr = 0.01", "lr = -1.0"),
    "other.toml": TINY.replace('name = "tiny"', 'name = "other"'),
    "raises.py": "from studies import Study\nstudy = Study(name=x)\n",
    "nostudy.py": "x = 1\n",
    "binary.toml": None,
}


@pytest.fixture
def bad_inputs(tiny, tmp_path):
    """A folder of bad study files, a file, a corrupt store; and the tiny study's store."""
    for name, text in BAD_TOML.items():
        if text is None:
            (tmp_path / name).write_bytes(b"\xff\xfe\x00 not text")
        else:
            (tmp_path / name).write_text(text)
    shutil.copy(tiny / "tiny.toml", tmp_path / "tiny.toml")
    (tmp_path / "a-file").write_text("not a directory")
    (tmp_path / "corrupt").mkdir()
    (tmp_path / "corrupt" / "study.sqlite").write_bytes(b"not a database at all" * 100)
    return tmp_path, tiny / "results" / "tiny"


def check_refused(cases: dict, outcomes: dict) -> None:
    problems = []
    for case, (code, err) in outcomes.items():
        expected = cases[case][1]
        if code != 2 or len(err.splitlines()) != 1 or expected not in err or "Traceback" in err:
            problems.append(f"{case}: exit {code}, stderr {err!r}")
    assert not problems, "\n".join(problems)


def test_every_bad_input_is_one_line_exit_2_and_the_store_is_untouched(bad_inputs):
    """Through the real command, in subprocesses run side by side."""
    folder, store = bad_inputs
    corrupt = (folder / "corrupt" / "study.sqlite").read_bytes()
    before = snapshot(store)
    cases = {
        "missing file": (["run", "missing.toml"], "missing.toml: no such file"),
        "unknown study": (["run", "quikstart"], "built-in studies: quickstart"),
        "bad --jobs": (["run", "tiny.toml", "--jobs", "0", "--out", store], "--jobs: must be an integer >= 1"),
        "unreachable scheduler": (["run", "tiny.toml", "--scheduler", "tcp://127.0.0.1:9", "--out", store], "cannot reach the Dask scheduler at tcp://127.0.0.1:9"),
        "DIR is a file": (["run", "tiny.toml", "--out", "a-file"], "a-file is a file"),
        "corrupt store": (["run", "tiny.toml", "--out", "corrupt"], "is not a neuroarena study store"),
    }  # fmt: skip
    procs = {
        case: subprocess.Popen(
            [*CLI, *map(str, args)],
            cwd=folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for case, (args, _) in cases.items()
    }
    outcomes = {}
    for case, proc in procs.items():
        _, err = proc.communicate(timeout=120)
        outcomes[case] = (proc.returncode, err)
    check_refused(cases, outcomes)
    assert snapshot(store) == before
    assert (folder / "corrupt" / "study.sqlite").read_bytes() == corrupt
    assert not (folder / "results").exists()  # nothing was created for a refused study


def test_more_bad_inputs_in_process(bad_inputs, capsys, monkeypatch):
    """The same entry point, called in this process (cheaper than a process per case)."""
    from studies.cli import main

    folder, store = bad_inputs
    monkeypatch.chdir(folder)
    before = snapshot(store)
    cases = {
        "malformed file": (["run", "malformed.toml"], "not valid TOML"),
        "unknown task": (["run", "unknown-task.toml"], "tasks[0]: unknown task 'xorr'"),
        "unknown optimizer": (["run", "unknown-optimizer.toml"], "unknown optimizer 'random-serch'"),
        "bad value": (["run", "bad-value.toml", "--out", str(store)], "optimizers.backprop.lr: must be > 0"),
        "bad --backend": (["run", "tiny.toml", "--backend", "spark", "--out", str(store)], "invalid choice: 'spark'"),
        "another study's store": (["run", "other.toml", "--out", str(store)], "holds study 'tiny', not 'other'"),
        "not a text file": (["run", "binary.toml"], "not a text file"),
        "not a study file": (["run", "a-file"], "a-file: a study file is a .toml or a .py file"),
        "script raises": (["run", "raises.py"], "raises.py:2: NameError: name 'x' is not defined"),
        "script without study": (["run", "nostudy.py"], "defines no `study = Study(...)`"),
        "--jobs not a number": (["run", "tiny.toml", "--jobs", "two"], "--jobs: must be an integer"),
        "bad --seeds": (["run", "tiny.toml", "--seeds", "0", "--out", str(store)], "--seeds: must be an integer >= 1"),
        "scheduler without dask": (["run", "tiny.toml", "--backend", "loky", "--scheduler", "tcp://x:1"], "--scheduler needs --backend dask"),
        "show a file": (["show", "a-file"], "a-file is a file"),
        "show nothing": (["show", "nowhere"], "holds no study store"),
        "show a corrupt store": (["show", "corrupt"], "is not a neuroarena study store"),
        "verify a corrupt store": (["verify", "corrupt"], "is not a neuroarena study store"),
        "verify --runs 0": (["verify", str(store), "--runs", "0"], "--runs: must be an integer >= 1"),
        "unknown command": (["runn", "quickstart"], "invalid choice: 'runn'"),
        "unknown list": (["list", "studys"], "invalid choice: 'studys'"),
        "no command": ([], "the following arguments are required"),
        "report nothing": (["report", "nowhere"], "holds no study store"),
        "report a corrupt store": (["report", "corrupt"], "is not a neuroarena study store"),
        "report a file": (["report", "a-file"], "a-file is a file"),
    }  # fmt: skip
    outcomes = {}
    for case, (args, _) in cases.items():
        code = main(args)
        outcomes[case] = (code, capsys.readouterr().err)
    check_refused(cases, outcomes)
    assert snapshot(store) == before
    assert not (folder / "results").exists()


def test_verify_passes_on_a_fresh_store_and_fails_on_an_altered_one(tiny, tmp_path):
    shutil.copytree(tiny / "results" / "tiny", tmp_path / "fresh")
    shutil.copytree(tiny / "results" / "tiny", tmp_path / "altered")
    con = sqlite3.connect(tmp_path / "altered" / "study.sqlite")
    con.execute("UPDATE runs SET test_metric = test_metric * 0.5 WHERE task = 'iris'")
    con.commit()
    con.close()
    fresh = subprocess.Popen([*CLI, "verify", "fresh", "--runs", "3", "--jobs", "2"], cwd=tmp_path, stdout=subprocess.PIPE, text=True)  # fmt: skip
    altered = cli("verify", "altered", "--runs", 12, cwd=tmp_path)
    out, _ = fresh.communicate(timeout=120)
    assert fresh.returncode == 0 and "3 of 3 re-run runs identical" in out
    assert altered.returncode == 1, altered.stderr
    lines = [x for x in altered.stdout.splitlines() if x.startswith("differs: ")]
    assert len(lines) == 6  # the iris runs: 3 optimizers x 2 repetitions
    for line in lines:
        assert line.startswith("differs: iris x ") and ": test_metric stored " in line
    assert "6 of 12 re-run runs differ" in altered.stdout


def test_kill_9_of_the_command_and_its_workers_then_the_same_command_resumes(tmp_path):
    """The probe study (a script with its own optimizer, 12 runs of ~1 s of sleep) killed
    with its whole process group at a random moment; ``show`` while it runs."""
    env = {**os.environ, "PROBE_SLEEP": "0.02", "PROBE_SEEDS": "2"}
    command = [*CLI, "run", str(PROBES), "--jobs", "2", "--out"]
    whole = subprocess.Popen([*command, "whole"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)  # fmt: skip
    killed = subprocess.Popen([*command, "killed"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)  # fmt: skip
    moment = random.Random().randint(2, 8)  # kill once this many runs are stored
    print(f"killing after {moment} stored runs")
    deadline = time.monotonic() + 120
    shown = False
    while stored_runs(tmp_path / "killed" / "study.sqlite") < moment:
        assert killed.poll() is None, killed.stderr.read()
        assert time.monotonic() < deadline, "the study stored nothing in 120 s"
        if not shown and stored_runs(tmp_path / "killed" / "study.sqlite") >= 1:
            show = ok(cli("show", "killed", cwd=tmp_path, env=env))  # while it runs
            head = show.stdout.splitlines()[0]
            assert head.startswith("probes: ") and head.split()[3:6] == ["12", "runs", "stored"]
            assert int(head.split()[1]) < 12, head
            shown = True
            report = subprocess.Popen([*CLI, "report", "whole"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
        time.sleep(0.02)
    time.sleep(random.Random().uniform(0, 0.5))
    os.killpg(killed.pid, signal.SIGKILL)  # the command and its worker processes
    killed.wait()
    before = stored_runs(tmp_path / "killed" / "study.sqlite")
    assert before < 12, "kill earlier: the study had finished"

    resumed = ok(cli("run", PROBES, "--jobs", 2, "--out", "killed", cwd=tmp_path, env=env))
    assert f"12 runs: {before} reused, {12 - before} ran now" in resumed.stdout
    assert whole.wait(timeout=120) == 0, whole.stderr.read()
    out, err = report.communicate(timeout=120)  # built while the study ran, then its own
    assert report.returncode == 0 and out.strip() == "report: whole/report/index.html", err
    assert (tmp_path / "whole" / "report" / "index.html").is_file()
    assert not list((tmp_path / "whole").glob(".report-*"))
    runs_a, curves_a = tables(tmp_path / "whole")
    runs_b, curves_b = tables(tmp_path / "killed")
    assert len(runs_b) == 12 and runs_b["run_id"].is_unique
    pd.testing.assert_frame_equal(runs_a, runs_b)
    pd.testing.assert_frame_equal(curves_a, curves_b)


def test_list_shows_tasks_optimizers_and_studies_with_their_parameters(tmp_path):
    console = Path(sys.executable).parent / "neuroarena"  # the installed console script
    command = [str(console)] if console.exists() else CLI
    everything = subprocess.Popen([*command, "list"], cwd=tmp_path, stdout=subprocess.PIPE, text=True)  # fmt: skip
    tasks = ok(cli("list", "tasks", cwd=tmp_path)).stdout
    out, _ = everything.communicate(timeout=120)
    assert everything.returncode == 0
    for name in studies.available_tasks():
        assert f"\n  {name} (" in tasks
    assert "parameters: bits = 3" in tasks and "default budget: evaluations = 100,000" in tasks
    assert tasks in out
    for name in ("backprop", "ga", "es", "cmaes", "neat", "random-search"):
        assert f"\n  {name}" in out
    assert 'rule = "adam", lr = 0.001' in out
    assert "quickstart: 3 tasks x 5 optimizers x 5 seeds = 75 runs" in out
    assert "classification: 9 tasks x 6 optimizers x 10 seeds = 540 runs" in out
    assert "regression: 2 tasks x 6 optimizers x 10 seeds = 120 runs" in out
    assert "control: 3 tasks x 5 optimizers x 10 seeds = 150 runs" in out
    assert "\n  cartpole (control)" in tasks
