"""Control environments as pure, vectorised functions of a state array.

An :class:`Environment` holds no episode state: ``initial(shape, rng)`` gives start
states for any batch shape (population x episodes), ``observe(state)`` what a network
sees, ``step(state, outputs)`` the next states with which episodes failed, so one
simulation step advances every episode of every individual at once.

- :class:`CartPole`: the classic single pole, Gymnasium CartPole-v1's conventions.
- :class:`DoublePole`: Wieland's two poles on a cart, exactly as NEAT's code simulates it.
- :class:`GymEnvironment`: any Gymnasium environment by id (stateful, through Gymnasium's
  vector API; needs the ``gym`` extra).
"""

from .base import Environment
from .cartpole import CartPole
from .double_pole import DoublePole
from .gym import GymEnvironment

__all__ = ["Environment", "CartPole", "DoublePole", "GymEnvironment"]
