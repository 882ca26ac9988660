"""Studies: tasks x optimizers x seeds under one budget, run in parallel into a store.

``Study(...)`` (or a TOML / Python study file, :func:`load_study`) says what to compare;
:func:`run_study` runs it into a directory's SQLite store, resumably; :func:`load` reads
the results back as DataFrames.
"""

from .loading import load_study
from .results import StudyResults, load
from .runner import BACKENDS, StudyOutcome, run_study
from .runspec import RunSpec
from .seeds import init_rng, name_hash, run_rng, seed_sequence, split_rng
from .spec import OptimizerEntry, Study, StudyError, TaskEntry
from .store import SCHEMA_VERSION, STORE_FILE, StoreError
from .summary import summary_frame, summary_table
from .tasks import Splits, Task, available_tasks, get_task, register_task, task_catalog

__all__ = [
    "load_study",
    "StudyResults",
    "load",
    "BACKENDS",
    "StudyOutcome",
    "run_study",
    "RunSpec",
    "init_rng",
    "name_hash",
    "run_rng",
    "seed_sequence",
    "split_rng",
    "OptimizerEntry",
    "Study",
    "StudyError",
    "TaskEntry",
    "SCHEMA_VERSION",
    "STORE_FILE",
    "StoreError",
    "summary_frame",
    "summary_table",
    "Splits",
    "Task",
    "available_tasks",
    "get_task",
    "register_task",
    "task_catalog",
]
