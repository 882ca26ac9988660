"""The Optimizer interface, the metered problem, the shared loop, and the built-in optimizers."""

from .base import AskTell, Config, Optimizer, check, make_config
from .loop import RunResult, fit, seed_stdlib_random
from .meter import UNITS, Budget, Meter
from .problem import TASK_TYPES, Problem, SupervisedProblem
from .registry import ENTRY_POINT_GROUP, available, get, register, unregister
from .updates import SGD, Adam, Momentum, make_rule

__all__ = [
    "AskTell",
    "Config",
    "Optimizer",
    "check",
    "make_config",
    "RunResult",
    "fit",
    "seed_stdlib_random",
    "UNITS",
    "Budget",
    "Meter",
    "TASK_TYPES",
    "Problem",
    "SupervisedProblem",
    "ENTRY_POINT_GROUP",
    "available",
    "get",
    "register",
    "unregister",
    "SGD",
    "Adam",
    "Momentum",
    "make_rule",
]
