"""The task catalog: named datasets with their splits, loss, headline metric, target,
default network and default budget.

    task = get_task("xor")                            # a name, or
    task = get_task({"name": "parity", "bits": 4})    # a name with parameters
    splits = task.splits(rng)                         # rows of one run
    problem = task.problem(splits)                    # an optimizers.SupervisedProblem

Built in (see ``task_catalog()``): xor, parity, two-spirals, circles, moons, iris, wine,
breast-cancer, digits, sine, friedman1, csv (a user's CSV file), and the control task
cartpole (a :class:`ControlTask`: episodes, not rows). A script's own data:
:meth:`Task.from_arrays`; a user's own named task: :func:`register_task`.
"""

from . import builtin as _builtin  # noqa: F401  (registers the built-in tasks)
from . import csv as _csv  # noqa: F401  (registers the csv task)
from .base import DATA_VERSION, Splits, Task
from .control import ControlSplits, ControlTask  # (registers cartpole)
from .registry import (
    REQUIRED,
    Param,
    available_tasks,
    get_task,
    register_task,
    task_catalog,
    unregister_task,
)

__all__ = [
    "DATA_VERSION",
    "Splits",
    "Task",
    "ControlTask",
    "ControlSplits",
    "REQUIRED",
    "Param",
    "available_tasks",
    "get_task",
    "register_task",
    "task_catalog",
    "unregister_task",
]
