"""Ready-made Graphs: layered MLPs and NEAT's minimal starting networks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .activations import activation_code
from .graph import HIDDEN, INPUT, OUTPUT, Graph

__all__ = ["mlp", "minimal"]

_HE = {"relu", "leaky_relu"}


def _check_size(name: str, value: int, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def mlp(
    n_inputs: int,
    hidden: Sequence[int] | int,
    n_outputs: int,
    *,
    activation: str = "tanh",
    output_activation: str = "identity",
    recurrent: bool = False,
    rng: np.random.Generator,
) -> Graph:
    """A fully connected layered network as a Graph.

    Weights are drawn Glorot-uniform (He-normal for relu-like activations); biases start at 0.
    Node ids: inputs 0..n_inputs-1, outputs next, then hidden nodes layer by layer.
    Connections are numbered (innovation) layer by layer, target-major. With ``recurrent``,
    each hidden layer is also fully connected to itself by recurrent connections (an Elman
    layer: every unit sees every unit's previous value, its own included), their weights
    drawn after the feed-forward ones (Glorot-uniform over h + h) and numbered after them.
    """
    n_inputs = _check_size("n_inputs", n_inputs, 1)
    n_outputs = _check_size("n_outputs", n_outputs, 1)
    hidden = [hidden] if isinstance(hidden, (int, np.integer)) else list(hidden)
    hidden = [_check_size("hidden layer size", h, 1) for h in hidden]
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    act, out_act = activation_code(activation), activation_code(output_activation)

    sizes = [n_inputs, *hidden, n_outputs]
    out_ids = np.arange(n_inputs, n_inputs + n_outputs)
    layers = [np.arange(n_inputs)]
    next_id = n_inputs + n_outputs
    for h in hidden:
        layers.append(np.arange(next_id, next_id + h))
        next_id += h
    layers.append(out_ids)

    src, dst, weight = [], [], []
    for k in range(len(sizes) - 1):
        fan_in, fan_out = sizes[k], sizes[k + 1]
        layer_act = activation if k < len(sizes) - 2 else output_activation
        if layer_act in _HE:
            w = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_out, fan_in))
        else:
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            w = rng.uniform(-limit, limit, size=(fan_out, fan_in))
        src.append(np.tile(layers[k], fan_out))
        dst.append(np.repeat(layers[k + 1], fan_in))
        weight.append(w.ravel())

    rec = []
    if recurrent:
        for layer in layers[1:-1]:
            h = len(layer)
            limit = np.sqrt(6.0 / (2 * h))
            src.append(np.tile(layer, h))
            dst.append(np.repeat(layer, h))
            weight.append(rng.uniform(-limit, limit, size=h * h))
            rec.append(np.ones(h * h, dtype=bool))
    n_hidden = sum(hidden)
    kinds = np.concatenate(
        [np.full(n_inputs, INPUT), np.full(n_outputs, OUTPUT), np.full(n_hidden, HIDDEN)]
    )
    acts = np.concatenate([np.zeros(n_inputs), np.full(n_outputs, out_act), np.full(n_hidden, act)])
    src, dst = np.concatenate(src), np.concatenate(dst)
    return Graph(
        node_id=np.arange(next_id),
        node_kind=kinds,
        node_act=acts,
        node_bias=np.zeros(next_id),
        conn_src=src,
        conn_dst=dst,
        conn_weight=np.concatenate(weight),
        conn_innov=np.arange(len(src)),
        conn_recurrent=np.concatenate([np.zeros(len(src) - sum(map(len, rec)), bool), *rec]),
    )  # validated, which also gives the Graph its levels


def minimal(
    n_inputs: int,
    n_outputs: int,
    *,
    activation: str = "neat_sigmoid",
    weight_std: float = 1.0,
    rng: np.random.Generator,
) -> Graph:
    """NEAT's starting network: every input connected to every output, no hidden node.

    Weights ~ N(0, weight_std); biases 0. Innovation of input i -> output j is j*n_inputs + i.
    """
    g = mlp(n_inputs, [], n_outputs, activation=activation, output_activation=activation, rng=rng)
    return g.replace(conn_weight=rng.normal(0.0, weight_std, size=g.n_connections))
