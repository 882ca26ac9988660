"""Activation functions and their derivatives, as a small name -> function table.

Each activation is a pair: ``f(z, out)`` writes ``f(z)`` into ``out`` (which may be ``z``
itself) and ``df(z, y)`` returns ``dy/dz`` from the pre-activation ``z`` and the output ``y``
(an array to multiply by: floats, or a boolean mask where the derivative is 0 or 1).
An activation without a derivative (``step``) may be evolved but not trained by gradients.

Activations are identified inside a :class:`~networks.Graph` by an integer code, their index
in :data:`ACTIVATIONS`; JSON files use the names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "activation_code",
    "activation_names",
    "NEAT_SIGMOID_SLOPE",
]

NEAT_SIGMOID_SLOPE = 4.9
LEAKY_SLOPE = 0.01

Forward = Callable[[np.ndarray, np.ndarray], np.ndarray]
Derivative = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Activation:
    """One activation: its name, forward function and derivative (None: not differentiable)."""

    name: str
    f: Forward
    df: Derivative | None
    uses_z: bool = False  # whether df needs the pre-activation z (else it reads only y)

    @property
    def differentiable(self) -> bool:
        return self.df is not None


def _identity(z, out):
    if out is not z:
        out[...] = z
    return out


_FAST_SIZE = 2048  # below this one call to scipy's expit is quicker; above, numpy's SIMD exp


def _logistic(z, out, slope: float):
    """1 / (1 + exp(-slope z)) into out. Large arrays go through numpy's vectorised exp,
    2-3x faster than scipy's expit and as accurate (exp overflowing to inf gives exactly 0,
    as expit does)."""
    if out.size < _FAST_SIZE:
        if slope != 1.0:
            z = np.multiply(z, slope, out=out)
        return expit(z, out=out)
    np.multiply(z, -slope, out=out)
    with np.errstate(over="ignore"):
        np.exp(out, out=out)
    out += 1.0
    return np.reciprocal(out, out=out)


def _sigmoid(z, out):
    return _logistic(z, out, 1.0)


def _neat_sigmoid(z, out):
    return _logistic(z, out, NEAT_SIGMOID_SLOPE)


def _tanh(z, out):
    return np.tanh(z, out=out)


def _relu(z, out):
    return np.maximum(z, 0, out=out)


def _leaky_relu(z, out):
    neg = z < 0
    if out is not z:
        out[...] = z
    out[neg] *= LEAKY_SLOPE
    return out


def _gauss(z, out):
    np.square(z, out=out)
    # not np.negative(out, out=out): numpy 2.4's in-place negative misreads some strided
    # views (e.g. a population buffer strided by 8 float64 or 4 float32 per individual,
    # one sample); multiplying by -1 is the same exact sign flip and reads them right
    np.multiply(out, -1.0, out=out)
    return np.exp(out, out=out)


def _sin(z, out):
    return np.sin(z, out=out)


def _abs(z, out):
    return np.abs(z, out=out)


def _step(z, out):
    return np.greater(z, 0, out=out, casting="unsafe")


ACTIVATIONS: tuple[Activation, ...] = (
    Activation("identity", _identity, lambda z, y: np.ones_like(y)),
    Activation("sigmoid", _sigmoid, lambda z, y: y * (1 - y)),
    Activation("neat_sigmoid", _neat_sigmoid, lambda z, y: NEAT_SIGMOID_SLOPE * y * (1 - y)),
    Activation("tanh", _tanh, lambda z, y: 1 - y * y),
    Activation("relu", _relu, lambda z, y: y > 0),  # a mask: multiplying by it is enough
    Activation(
        "leaky_relu", _leaky_relu, lambda z, y: np.where(y > 0, 1.0, LEAKY_SLOPE).astype(y.dtype)
    ),
    Activation("gauss", _gauss, lambda z, y: -2 * z * y, uses_z=True),
    Activation("sin", _sin, lambda z, y: np.cos(z), uses_z=True),
    Activation("abs", _abs, lambda z, y: np.sign(z), uses_z=True),
    Activation("step", _step, None),
)

_CODES = {a.name: i for i, a in enumerate(ACTIVATIONS)}


def activation_names() -> list[str]:
    """Names of every known activation, in code order."""
    return [a.name for a in ACTIVATIONS]


def activation_code(name: str) -> int:
    """The integer code of activation ``name``; ``ValueError`` naming the choices if unknown."""
    try:
        return _CODES[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown activation {name!r}; choose one of {', '.join(activation_names())}"
        ) from None
