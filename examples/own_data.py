"""Compare backprop and neuroevolution on your own data.

Put your arrays where ``make_classification`` is: ``X`` (n_samples, n_inputs) numbers and
``y`` class labels (n_samples,), or regression targets with ``task_type="regression"``.
Then either

    python examples/own_data.py                  # runs it and prints the summary
    neuroarena run examples/own_data.py --jobs 2 # the same study through the command

Results go to ``results/own-data``; running again reuses every finished run.
``NEUROARENA_EXAMPLE_QUICK=1`` shrinks the budget (the test suite runs it that way).
"""

import os

from sklearn.datasets import make_classification

from optimizers import Architecture, Budget
from studies import Study, Task

QUICK = os.environ.get("NEUROARENA_EXAMPLE_QUICK") == "1"

# your data here: 400 rows, 8 inputs, 3 classes
X, y = make_classification(
    n_samples=400, n_features=8, n_informative=5, n_classes=3, random_state=0
)

my_data = Task.from_arrays(
    "my-data",
    X,
    y,
    task_type="classification",  # or "regression"
    target=0.8,  # a run reaching 80% test accuracy counts as solved (optional)
    network=Architecture(hidden=(16,), activation="tanh"),
    budget=Budget(evaluations=600 if QUICK else 5_000),  # the same compute for every method
)

study = Study(
    name="own-data",
    tasks=[my_data, "iris"],  # your data beside a built-in task, for scale
    optimizers={
        "backprop": ("backprop", {"rule": "adam", "lr": 0.01}),
        "cmaes": "cmaes",
        "ga": ("ga", {"population": 50}),
        "neat": "neat",
    },
    budget={"evaluations": 600 if QUICK else 5_000},
    seeds=1 if QUICK else 5,
)

if __name__ == "__main__":
    from reports import build_report
    from studies import load, run_study, summary_table

    outcome = run_study(study, n_jobs=2)
    print(summary_table(load(outcome.out).runs, [t.key for t in study.tasks]))
    print(f"\nstore: {outcome.store}")
    print(f"report: {build_report(outcome.out)}")  # open it in any browser
