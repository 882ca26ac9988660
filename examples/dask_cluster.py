"""Run a study on a Dask cluster: the same study, the same results, more machines.

On the cluster (any machines that can reach each other; each needs neuroarena installed):

    dask scheduler                             # prints its address, e.g. tcp://10.0.0.5:8786
    dask worker tcp://10.0.0.5:8786 --nthreads 1 --nworkers 4    # on every worker machine

then, from any machine that reaches the scheduler:

    python examples/dask_cluster.py tcp://10.0.0.5:8786
    NEUROARENA_SCHEDULER=tcp://10.0.0.5:8786 python examples/dask_cluster.py
    neuroarena run examples/dask_cluster.py --scheduler tcp://10.0.0.5:8786

With no address, it starts a local Dask cluster of two worker processes. Only this process
writes the store (``results/dask-cluster``); the workers send their runs back, and each
run's numbers are identical to what ``--backend loky`` or a single process gives.
``NEUROARENA_EXAMPLE_QUICK=1`` shrinks the budget (the test suite runs it that way).
"""

import os
import sys

from studies import Study

QUICK = os.environ.get("NEUROARENA_EXAMPLE_QUICK") == "1"

study = Study(
    name="dask-cluster",
    tasks=["xor", "iris", "moons"],
    optimizers={
        "backprop": ("backprop", {"rule": "adam", "lr": 0.01}),
        "cmaes": "cmaes",
        "ga": "ga",
        "neat": "neat",
    },
    budget={"evaluations": 600 if QUICK else 5_000},
    seeds=1 if QUICK else 10,
)

if __name__ == "__main__":
    from studies import load, run_study, summary_table

    scheduler = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("NEUROARENA_SCHEDULER") or None
    print(f"running on {scheduler or 'a local Dask cluster (2 workers)'}", file=sys.stderr)
    outcome = run_study(study, backend="dask", scheduler=scheduler, n_jobs=2)
    print(summary_table(load(outcome.out).runs, [t.key for t in study.tasks]))
    print(f"\nstore: {outcome.store}")
