"""The default starting network of a run: a layered MLP drawn from the run's rng."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

import networks
from networks import Graph, activation_code

__all__ = ["Architecture"]


@dataclass(frozen=True, kw_only=True)
class Architecture:
    """A layered MLP's shape: ``hidden`` layer sizes and activations, and whether each
    hidden layer is ``recurrent`` (fully connected to itself one time step late: a network
    with memory, for control tasks). :meth:`build` draws its weights from an rng, so a run
    without an explicit starting Graph starts from weights of its own seed."""

    hidden: tuple[int, ...] = (8,)
    activation: str = "tanh"
    output_activation: str = "identity"
    recurrent: bool = False

    def __post_init__(self) -> None:
        hidden = (self.hidden,) if isinstance(self.hidden, (int, np.integer)) else self.hidden
        try:
            hidden = tuple(hidden)
        except TypeError:
            raise ValueError(f"hidden must be a list of layer sizes, got {self.hidden!r}") from None
        for h in hidden:
            if isinstance(h, bool) or not isinstance(h, (int, np.integer)) or h < 1:
                raise ValueError(f"hidden layer sizes must be integers >= 1, got {self.hidden!r}")
        object.__setattr__(self, "hidden", tuple(int(h) for h in hidden))
        if not isinstance(self.recurrent, bool):
            raise ValueError(f"recurrent must be true or false, got {self.recurrent!r}")
        if self.recurrent and not hidden:
            raise ValueError("recurrent needs a hidden layer to carry the memory")
        for field in ("activation", "output_activation"):
            try:
                activation_code(getattr(self, field))
            except ValueError as exc:
                raise ValueError(f"{field}: {exc}") from None

    def build(self, n_inputs: int, n_outputs: int, *, rng: np.random.Generator) -> Graph:
        """The MLP n_inputs -> hidden -> n_outputs, weights drawn from ``rng``."""
        return networks.mlp(
            n_inputs,
            list(self.hidden),
            n_outputs,
            activation=self.activation,
            output_activation=self.output_activation,
            recurrent=self.recurrent,
            rng=rng,
        )

    def to_dict(self) -> dict:
        d = asdict(self)
        d["hidden"] = list(self.hidden)
        if not self.recurrent:  # (so a feed-forward network's spec, and run ids, stay as before)
            del d["recurrent"]
        return d
