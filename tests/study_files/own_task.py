"""A study script with its own data: a registered task whose loader lives in the script,
and a Task made from arrays."""

import numpy as np

from optimizers import Budget
from studies import Study, Task, register_task


def load_rings(n: int = 60):
    rng = np.random.default_rng(11)
    radius = np.where(np.arange(n) % 2 == 0, 1.0, 2.0)
    angle = rng.uniform(0, 2 * np.pi, n)
    X = np.c_[radius * np.cos(angle), radius * np.sin(angle)] + rng.normal(0, 0.1, (n, 2))
    return X, (radius > 1.5).astype(int)


register_task("test-rings", load_rings, task_type="classification", params={"n": 60})

rng = np.random.default_rng(3)
X = rng.normal(size=(50, 3))
blobs = Task.from_arrays("test-blobs", X, X @ [1.0, -1.0, 0.5] > 0, task_type="classification")

study = Study(
    name="own-task",
    tasks=[{"name": "test-rings", "n": 40}, blobs],
    optimizers={"rs": "random-search", "ga": ("ga", {"population": 10})},
    seeds=2,
    budget=Budget(evaluations=100),
)
