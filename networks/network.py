"""The phenotype: a Graph compiled into dense numpy work, vectorised over samples.

``compile(graph)`` drops disabled connections and hidden nodes that reach no output, orders
the remaining nodes into topological levels (all outputs in the last level), and turns each
level into one matrix product (``networks._layout``). Activations live in a node-major buffer ``H`` of shape
(n_rows, n_samples), so every level reads and writes contiguous row blocks; a layered MLP
runs as exactly one matmul per layer.

Parameter layout (``Network.params``): for each level in order, the weights of the
connections entering it, target-major (sorted by target row, then source row), then the
biases of the level's nodes in row order. Rows: inputs in the graph's input order, then each
level's hidden nodes grouped by activation, then the outputs in the graph's output order.
For a layered MLP this is [W1 (h1, n_in) row-major, b1, W2, b2, ...].

Evaluation: ``forward`` (one parameter vector, or a population (P, n_params) on shared
inputs (n, n_in) or on inputs of each individual's own (P, n, n_in)), ``losses``;
gradients by reverse mode: ``loss_and_grad`` and ``vjp`` (the gradient of sum(d_out *
outputs) for any output gradient d_out), both over one backward pass. Every one of them
takes ``check=False``, which skips validation and conversion for callers that hand over
arrays already checked (the optimizers, once per batch).

Two passes do the work. Gradient training runs one parameter vector through ``H`` and back
(``_run`` without ``out``, ``_backward``), the loss gradient taken on the node-major outputs.
Forward evaluation runs any number of vectors, one being a population of one, in chunks of
individuals sized to stay in cache, each level one batched matrix product whose biases ride,
where the level's sources allow, against a row of ones (``networks._population_pass``); its
outputs come back as a (P, n, n_out) view of node-major (P, n_out, n) results. The reverse
pass is ``networks._backward``, the loss gradient on node-major outputs
``networks._output_grad``.
"""

from __future__ import annotations

import copy
import weakref

import numpy as np

from ._backward import backward, backward_plan
from ._dense import DenseTrainer, dense_levels
from ._layout import layout, level_weights
from ._output_grad import output_grad
from ._population_pass import population_plan, run_population
from .activations import ACTIVATIONS
from .checks import check_batches, check_dtype, check_inputs
from .graph import INPUT, Graph
from .losses import check_loss, check_targets, loss_value

__all__ = ["Network", "compile"]

_POP_CHUNK_ELEMENTS = 1 << 18  # bound on a population chunk: P * rows * samples (cache-sized)
# the attribute under which a Graph made by Network.to_graph keeps a weak reference to it
_COMPILED_FROM = "_compiled_from"


def compile(graph: Graph, *, dtype=np.float64) -> Network:  # noqa: A001 - the design's name
    """Compile a Graph into a Network (see the module docstring for the layout); a Graph
    with enabled recurrent connections into a :class:`networks.RecurrentNetwork`.

    A Graph made by :meth:`Network.to_graph` has that network's topology: while the network
    lives, compiling the Graph reuses its layout and only gathers the Graph's weights and
    biases (the same Network as compiling afresh, for a fraction of the cost: the loop
    scores an optimizer's best Graph at every recorded step)."""
    if isinstance(graph, Graph) and graph.recurrent:
        from .recurrent import RecurrentNetwork

        return RecurrentNetwork(graph, dtype=dtype)
    link = graph.__dict__.get(_COMPILED_FROM) if isinstance(graph, Graph) else None
    source = None if link is None else link()
    if source is not None:
        return source._rebound(graph, check_dtype(dtype))
    return Network(graph, dtype=dtype)


class Network:
    """A compiled Graph. See the module docstring for the row and parameter layouts."""

    def __init__(self, graph: Graph, *, dtype=np.float64) -> None:
        if not isinstance(graph, Graph):
            raise ValueError(f"compile needs a networks.Graph, got {type(graph).__name__}")
        if graph.recurrent:
            raise ValueError(
                "this Graph has recurrent connections: networks.compile gives it a network "
                "that steps with state (networks.RecurrentNetwork)"
            )
        self.graph, self.dtype = graph, check_dtype(dtype)
        lay = layout(graph)
        self.n_inputs, self.n_outputs, self.n_rows = lay.n_inputs, lay.n_outputs, lay.n_rows
        self.n_connections = lay.n_connections
        self.n_enabled = graph.n_enabled  # enabled connections, dead ends included (metering)
        self._levels, self.n_params = lay.levels, lay.n_params
        self._weight_pos, self._conn_index = lay.weight_pos, lay.conn_index
        self._bias_pos, self._bias_node = lay.bias_pos, lay.bias_node
        self.params = self._params_of(graph)
        self.differentiable = graph.differentiable
        self.depth = len(self._levels)
        self._plan = None  # the backward pass's routing, worked out on first use
        self._pop = None  # the population evaluation's layout, likewise

    # ------------------------------------------------------------------ parameters
    def to_graph(self, params=None) -> Graph:
        """The source Graph with weights and biases taken from ``params`` (n_params,)."""
        params = self._check_params(params, population=False).astype(np.float64)
        if not np.isfinite(params).all():
            i = int(np.flatnonzero(~np.isfinite(params))[0])
            raise ValueError(
                f"params[{i}] is {params[i]}; a Graph's weights and biases must be finite"
            )
        weight = self.graph.conn_weight.copy()
        weight[self._conn_index] = params[self._weight_pos]
        bias = self.graph.node_bias.copy()
        bias[self._bias_node] = params[self._bias_pos]
        graph = self.graph.replace(conn_weight=weight, node_bias=bias)
        # the same nodes, activations and connections: compile may reuse this layout
        object.__setattr__(graph, _COMPILED_FROM, weakref.ref(self))
        return graph

    def _params_of(self, graph: Graph) -> np.ndarray:
        """The parameter vector (n_params,), read-only, of a Graph of this topology."""
        params = np.empty(self.n_params, dtype=self.dtype)
        params[self._weight_pos] = graph.conn_weight[self._conn_index]
        params[self._bias_pos] = graph.node_bias[self._bias_node]
        params.flags.writeable = False
        return params

    def _rebound(self, graph: Graph, dtype: np.dtype) -> Network:
        """This network for ``graph``, which has its topology (made by :meth:`to_graph`):
        the layout, which depends on the topology only (not on the weights or the dtype),
        is shared; graph, dtype and parameters are the new ones."""
        net = copy.copy(self)
        net.graph, net.dtype = graph, dtype
        net.params = net._params_of(graph)
        return net

    def _check_params(self, params, *, population: bool) -> np.ndarray:
        if params is None:
            return self.params[None] if population else self.params
        params = np.asarray(params, dtype=self.dtype)
        if params.ndim == 1 and params.shape[0] == self.n_params:
            return params[None] if population else params
        if population and params.ndim == 2 and params.shape[1] == self.n_params:
            return params
        want = f"({self.n_params},)" + (f" or (P, {self.n_params})" if population else "")
        raise ValueError(f"params have shape {params.shape}; this network needs {want}")

    # ------------------------------------------------------------------ forward
    def _run(self, X: np.ndarray, params: np.ndarray, keep_z: bool = False, out=None):
        """Every forward pass goes through here.

        Without ``out``: the pass of gradient training, for one parameter vector params
        (n_params,) and X (n, n_in). Returns the row buffer H (n_rows, n) and, with keep_z,
        the pre-activations of the levels that need them, by the level's first row.

        With ``out`` (c, n_out, n): the evaluation of c parameter vectors params (c, n_params)
        on X (n, n_in) shared or (c, n, n_in) of their own, outputs written node-major into
        ``out`` (see ``networks._population_pass``); returns None. One vector goes through it as
        c = 1, so an individual's outputs do not depend on the company it is evaluated in
        (nor on how a population is cut into chunks)."""
        if out is not None:
            if self._pop is None:
                self._pop = population_plan(
                    self._levels, self.n_inputs, self.n_rows, self.n_outputs
                )
            return run_population(self._levels, self._pop, self.n_inputs, X, params, out)
        H = np.empty((self.n_rows, X.shape[0]), dtype=self.dtype)
        H[: self.n_inputs] = X.T
        Z = {}
        for L in self._levels:
            W = params[L.weights].reshape(L.shape) if L.flat is None else level_weights(L, params)
            z = H[L.rows]
            np.matmul(W, H[L.src], out=z)
            z += params[L.bias, None]
            if keep_z and L.uses_z:
                Z[L.start] = z.copy()
            for rows, code in L.acts:
                zr = z[rows]
                ACTIVATIONS[code].f(zr, zr)
        return H, Z

    def _forward(self, X: np.ndarray, params: np.ndarray) -> np.ndarray:
        """Unchecked forward: params (n_params,) and X (n, n_in) -> (n, n_out); params
        (P, n_params) and X (n, n_in) or (P, n, n_in) -> (P, n, n_out), computed in chunks of
        individuals that keep the buffers small enough to stay in cache. The outputs are
        computed node-major: what comes back is a transposed view of a (P, n_out, n) array
        (as a single vector's always was of its row buffer), not a copy."""
        n, k = X.shape[-2], self.n_outputs
        if params.ndim == 1:
            out = np.empty((1, k, n), dtype=self.dtype)
            self._run(X, params[None], out=out)
            return out[0].T
        P = params.shape[0]
        per_individual = X.ndim == 3
        chunk = max(1, _POP_CHUNK_ELEMENTS // max(1, self.n_rows * n))
        out = np.empty((P, k, n), dtype=self.dtype)
        for i in range(0, P, chunk):
            Xi = X[i : i + chunk] if per_individual else X
            self._run(Xi, params[i : i + chunk], out=out[i : i + chunk])
        return out.transpose(0, 2, 1)

    def _checked(self, X, params) -> tuple[np.ndarray, np.ndarray]:
        """X and params of a forward call, validated and converted: params None,
        (n_params,) or (P, n_params); X (n, n_in), or (P, n, n_in) with params (P, n_params)."""
        population = params is not None and np.ndim(params) == 2
        if not population and np.ndim(X) == 3:
            raise ValueError(
                f"inputs have shape {np.shape(X)}; inputs (P, n_samples, {self.n_inputs}), one "
                f"batch per individual, need params (P, {self.n_params})"
            )
        params = self._check_params(params, population=population)
        X = check_inputs(X, self.n_inputs, self.dtype, stacked=population)
        if X.ndim == 3:
            check_batches(X, len(params), "individuals")
        return X, params

    def forward(self, X, params=None, *, check: bool = True) -> np.ndarray:
        """Outputs of the network.

        - X (n, n_in), params None or (n_params,): (n, n_out);
        - X (n, n_in), params (P, n_params): every individual on the same inputs, in one
          batched call: (P, n, n_out);
        - X (P, n, n_in), params (P, n_params): individual p on its own inputs X[p] (e.g. a
          minibatch of its own): (P, n, n_out).

        check=False skips every check and conversion (the optimizers' fast path): X must then
        be an ndarray of this network's dtype and params None or an array of that dtype,
        shaped as above.
        """
        if check:
            X, params = self._checked(X, params)
        elif params is None:
            params = self.params
        return self._forward(X, params)

    __call__ = forward

    recurrent = False  # (a RecurrentNetwork steps with state)

    def stepper(self, params=None):
        """``stepper(X) -> outputs``, one decision after another, as a recurrent network's
        stepper is called: for a feed-forward network, its forward pass on ``params``
        (None: its own; (P, n_params): rows), unchecked."""
        params = self.params if params is None else np.asarray(params, dtype=self.dtype)
        return lambda X: self._forward(X, params)

    def losses(self, X, y, loss: str = "mse", params=None, *, check: bool = True) -> np.ndarray:
        """Mean loss of each individual of a population params (P, n_params) -> (P,); for
        params None or (n_params,), a 0-d array. X as for :meth:`forward`; y the targets of
        X's samples ((n, n_out) or (n,) as ``networks.losses.check_targets`` takes them),
        with X (P, n, n_in) one set per individual: (P, n, n_out) or (P, n).

        check=False: X and params as for ``forward(check=False)``, y as check_targets
        returns it (with the leading P axis for X (P, n, n_in)), loss a known name."""
        if check:
            check_loss(loss)
            X, params = self._checked(X, params)
            y = check_targets(loss, y, X.shape[-2], self.n_outputs, self.dtype, lead=X.shape[:-2])
        elif params is None:
            params = self.params
        return loss_value(loss, self._forward(X, params), y)

    # ------------------------------------------------------------------ gradient
    def check_differentiable(self) -> None:
        """ValueError naming the activations that have no derivative, if any."""
        if not self.differentiable:
            kinds = self.graph.node_kind != INPUT
            names = sorted(
                {
                    ACTIVATIONS[int(c)].name
                    for c in self.graph.node_act[kinds]
                    if not ACTIVATIONS[int(c)].differentiable
                }
            )
            raise ValueError(
                f"activation(s) {', '.join(names)} have no derivative; gradient training needs differentiable activations (e.g. sigmoid, tanh, relu)"
            )

    def loss_and_grad(
        self, X, y, loss: str = "mse", params=None, *, check: bool = True
    ) -> tuple[float, np.ndarray]:
        """Mean loss over the samples X (n, n_in) with targets y, and its exact gradient
        (n_params,), by reverse mode, for one parameter vector params (n_params,) (None:
        the network's own).

        check=False skips the checks of X, y, loss and params (the optimizers' fast path): X
        must then be a (n, n_in) ndarray of this network's dtype, y as
        ``networks.losses.check_targets`` returns it, params None or (n_params,) of that
        dtype. A network without derivatives is refused either way."""
        if check:
            check_loss(loss)
            self.check_differentiable()
            X = check_inputs(X, self.n_inputs, self.dtype)
            y = check_targets(loss, y, X.shape[0], self.n_outputs, self.dtype)
            params = self._check_params(params, population=False)
        else:
            self.check_differentiable()
            if params is None:
                params = self.params
        H, Z = self._run(X, params, keep_z=True)
        value, d_rows = output_grad(loss, H[-self.n_outputs :], y)
        return value, self._backward(H, Z, d_rows.T, params)

    def dense_trainer(self) -> DenseTrainer | None:
        """A trainer for gradient descent at the speed of a hand-written loop when this
        network is a layered dense MLP (every level reads all of the level before, the
        inputs for the first), else None: its ``loss_and_grad(X, y, loss, theta, grad)``
        works in a parameter layout of its own (``theta = params[trainer.index]``), with
        buffers of its own, so each training run takes its own (one per call)."""
        if not self.differentiable or not dense_levels(self._levels, self.n_inputs):
            return None
        return DenseTrainer(self._levels, self.n_inputs, self.n_params, self.dtype)

    def vjp(self, X, d_out, params=None, *, check: bool = True) -> np.ndarray:
        """Vector-Jacobian product: the gradient (n_params,) of sum(d_out * forward(X,
        params)) with respect to params, for X (n, n_in), d_out (n, n_out) and one
        parameter vector params (n_params,) (None: the network's own). Any loss built on
        the outputs gets its gradient from this and its own output gradient d_out.

        check=False skips the checks (X, d_out and params ndarrays of this network's dtype,
        shaped as above). A network without derivatives is refused either way."""
        self.check_differentiable()
        if check:
            X = check_inputs(X, self.n_inputs, self.dtype)
            params = self._check_params(params, population=False)
            d_out = self._check_output_grad(d_out, X.shape[0])
        elif params is None:
            params = self.params
        H, Z = self._run(X, params, keep_z=True)
        return self._backward(H, Z, d_out, params)

    def _check_output_grad(self, d_out, n: int) -> np.ndarray:
        try:
            d_out = np.asarray(d_out, dtype=self.dtype)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"d_out is not numeric: {exc}") from None
        if d_out.shape != (n, self.n_outputs):
            raise ValueError(
                f"d_out has shape {d_out.shape}; expected ({n}, {self.n_outputs}), one row "
                "per sample and one column per output"
            )
        if not np.isfinite(d_out).all():
            raise ValueError("d_out contains NaN or inf")
        return d_out

    def _backward(
        self, H: np.ndarray, Z: dict, d_out: np.ndarray, params: np.ndarray
    ) -> np.ndarray:
        """The reverse pass: gradient (n_params,) of sum(d_out * outputs) for the forward
        pass ``H, Z = self._run(X, params, keep_z=True)`` of one parameter vector params
        (n_params,); d_out (n, n_out)."""
        if self._plan is None:
            self._plan = backward_plan(self._levels, self.n_inputs, self.n_rows, self.n_outputs)
        return backward(self._levels, self._plan, self.n_params, H, Z, d_out, params)

    def __repr__(self) -> str:
        return (
            f"Network(inputs={self.n_inputs}, outputs={self.n_outputs}, levels={self.depth}, "
            f"connections={self.n_connections}, params={self.n_params}, dtype={self.dtype})"
        )
