"""The Optimizer interface, problems and their meter, the shared loop, and the built-in
optimizers."""

from .architecture import Architecture
from .base import AskTell, Config, Optimizer, check, check_population, make_config
from .candidates import Candidates
from .environments import CartPole, DoublePole, Environment, GymEnvironment
from .loop import RunResult, Status, fit
from .meter import COUNTED, UNITS, Budget, Meter
from .problems import TASK_TYPES, EpisodicProblem, MeteredProblem, Problem, SupervisedProblem
from .registry import ENTRY_POINT_GROUP, OptimizerSpec, available, get, register, unregister
from .updates import SGD, Adam, Momentum, make_rule

__all__ = [
    "AskTell",
    "Config",
    "Optimizer",
    "check",
    "check_population",
    "make_config",
    "Architecture",
    "Candidates",
    "RunResult",
    "Status",
    "fit",
    "UNITS",
    "COUNTED",
    "Budget",
    "Meter",
    "TASK_TYPES",
    "Problem",
    "MeteredProblem",
    "SupervisedProblem",
    "EpisodicProblem",
    "Environment",
    "CartPole",
    "DoublePole",
    "GymEnvironment",
    "ENTRY_POINT_GROUP",
    "OptimizerSpec",
    "available",
    "get",
    "register",
    "unregister",
    "SGD",
    "Adam",
    "Momentum",
    "make_rule",
]
