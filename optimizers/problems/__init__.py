"""Problems: what optimizers evaluate networks on, metered through a run's view.

:mod:`.base`: the :class:`Problem` base (sizes, gradient or not, the objective's and the
metric's directions) and :class:`MeteredProblem`, the one place compute is charged.
:mod:`.supervised`: a dataset as a problem. Episodic problems (control) join beside them.
"""

from .base import MeteredProblem, Problem
from .supervised import TASK_TYPES, SupervisedProblem

__all__ = ["Problem", "MeteredProblem", "SupervisedProblem", "TASK_TYPES"]
