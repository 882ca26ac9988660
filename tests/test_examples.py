"""The study scripts in ``examples/`` run as ``python examples/NAME.py`` and as ``neuroarena
run examples/NAME.py``, with the tiny budget ``NEUROARENA_EXAMPLE_QUICK=1`` gives them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import studies

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
QUICK = {"NEUROARENA_EXAMPLE_QUICK": "1"}


def run(args, cwd: Path) -> subprocess.CompletedProcess:
    cwd.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "NEUROARENA_SCHEDULER"}
    done = subprocess.run(
        [sys.executable, *map(str, args)],
        cwd=cwd,
        env={**env, **QUICK},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_own_data_runs_as_a_script(tmp_path):
    done = run([EXAMPLES / "own_data.py"], tmp_path)
    assert (
        "\nmy-data: test accuracy, higher is better; solved: test accuracy >= 0.8"
        in "\n" + done.stdout
    )
    runs = studies.load(tmp_path / "results" / "own-data").runs
    assert set(runs["task"]) == {"my-data", "iris"}
    assert set(runs["status"]) == {"done"}
    assert done.stdout.rstrip().endswith("report: results/own-data/report/index.html")
    assert (tmp_path / "results" / "own-data" / "report" / "index.html").is_file()


def test_own_optimizer_runs_as_a_script_and_through_the_command_on_two_workers(tmp_path):
    done = run([EXAMPLES / "own_optimizer.py"], tmp_path / "script")
    assert "\n  hill-climber " in done.stdout
    command = run(
        ["-m", "studies.cli", "run", EXAMPLES / "own_optimizer.py", "--jobs", 2, "--out", "cli"],
        tmp_path,
    )
    assert "own-optimizer: 10 of 10 runs stored (10 done)" in command.stdout
    by_script = studies.load(tmp_path / "script" / "results" / "own-optimizer").runs
    by_command = studies.load(tmp_path / "cli").runs
    columns = ["run_id", "status", "test_metric", "evaluations"]
    assert by_script[columns].equals(by_command[columns])  # the same runs, the same numbers
    curves = studies.load(tmp_path / "cli").curves
    assert curves.loc[curves["optimizer"] == "hill-climber", "sigma"].notna().all()


def test_dask_cluster_runs_on_a_local_cluster(tmp_path):
    pytest.importorskip("distributed")
    done = run([EXAMPLES / "dask_cluster.py"], tmp_path)
    assert "a local Dask cluster" in done.stderr
    runs = studies.load(tmp_path / "results" / "dask-cluster").runs
    assert len(runs) == 3 * 4 and set(runs["status"]) == {"done"}
