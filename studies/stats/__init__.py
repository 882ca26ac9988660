"""Statistics over a study's results: pure functions of ``StudyResults.runs`` and
``.curves`` that a report renders.

- :mod:`.describe`: median, IQR and a BCa bootstrap interval per (task, optimizer, quantity);
- :mod:`.measures`: Holm's adjusted p, the Vargha-Delaney A12, the smallest p a test can give;
- :mod:`.pairwise` and :mod:`.versus`: rank tests between optimizers per task, with verdicts
  that say when the seeds are too few for any, and a sentence per task;
- :mod:`.ranks`: ranks across tasks, the Friedman test and the Nemenyi critical difference;
- :mod:`.targets`: hitting times, ERT and ECDFs of the cost to reach a target;
- :mod:`.curves`: learning curves on a common grid with a band, and the area under them.

Only runs with status "done" count unless a function says otherwise; "better" follows each
task's ``metric_maximize``; every bootstrap draws from a Generator seeded by
``studies.seeds.seed_sequence(seed, task, optimizer, quantity)``, so adding an optimizer
changes no other number.
"""

from __future__ import annotations

from .curves import anytime, budgets_from_spec, curve_grid
from .describe import QUANTITIES, describe, median_ci
from .measures import a12, holm, smallest_p
from .pairwise import pairwise
from .ranks import friedman, nemenyi_cd, nemenyi_q, rank_table
from .targets import UNITS, ecdf, ert, hitting_times
from .versus import task_sentence, versus_best

__all__ = [
    "QUANTITIES",
    "describe",
    "median_ci",
    "holm",
    "a12",
    "smallest_p",
    "pairwise",
    "versus_best",
    "task_sentence",
    "rank_table",
    "friedman",
    "nemenyi_cd",
    "nemenyi_q",
    "UNITS",
    "hitting_times",
    "ert",
    "ecdf",
    "curve_grid",
    "anytime",
    "budgets_from_spec",
]
