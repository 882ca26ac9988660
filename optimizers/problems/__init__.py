"""Problems: what optimizers evaluate networks on, metered through a run's view.

:mod:`.base`: the :class:`Problem` base (sizes, gradient or not, the objective's and the
metric's directions) and :class:`MeteredProblem`, the one place compute is charged.
:mod:`.supervised`: a dataset as a problem; :mod:`.episodic`: a control environment's
episodes as a problem.
"""

from .base import MeteredProblem, Problem
from .episodic import EpisodicProblem, Rollout, Trajectory
from .supervised import TASK_TYPES, SupervisedProblem

__all__ = [
    "Problem",
    "MeteredProblem",
    "SupervisedProblem",
    "TASK_TYPES",
    "EpisodicProblem",
    "Rollout",
    "Trajectory",
]
