"""Fixtures shared by test modules."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.fixture(scope="session")
def quickstart(tmp_path_factory):
    """``neuroarena run quickstart --seeds 3 --jobs 2`` run once for the whole session, in a
    fresh directory (the default output directory, report included): ``(cwd, completed
    process)``. Tests read it and never write to it."""
    cwd = tmp_path_factory.mktemp("quickstart")
    done = subprocess.run(
        [sys.executable, "-m", "studies.cli", "run", "quickstart", "--seeds", "3", "--jobs", "2"],
        cwd=cwd,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return cwd, done
