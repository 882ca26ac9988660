"""The problem an optimizer sees: sizes, data, and metered evaluation.

Every network evaluation an optimizer makes goes through a Problem, which charges it to the
Problem's :class:`~optimizers.meter.Meter`. Objective values are losses (lower is better)
unless ``problem.maximize`` is true; :meth:`Problem.fitness` turns them into "higher is
better" numbers with NaN mapped to -inf, which is what selection code should use.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np

import networks
from networks import Graph, Network, PopulationBatch
from networks.losses import check_loss, check_targets, loss_value

from .meter import Meter

__all__ = ["Problem", "SupervisedProblem", "TASK_TYPES"]

TASK_TYPES = ("classification", "regression")


class Problem:
    """Base class of what optimizers evaluate networks on.

    Subclasses set: ``name``, ``n_inputs``, ``n_outputs``, ``differentiable``, ``maximize``,
    ``initial`` (the fixed-topology starting Graph), ``dtype``; and implement
    :meth:`evaluate`, :meth:`evaluate_graphs` and :meth:`score` (and :meth:`loss_and_grad`
    if differentiable).
    """

    name: str = "problem"
    n_inputs: int
    n_outputs: int
    differentiable: bool = False
    maximize: bool = False
    initial: Graph
    dtype: np.dtype = np.dtype(np.float64)
    n_train: int = 0

    def __init__(self) -> None:
        self.meter = Meter()

    # -- what subclasses provide ----------------------------------------------------
    def evaluate(
        self, params: np.ndarray, network: Network, idx: np.ndarray | None = None
    ) -> np.ndarray:
        """Objective of each parameter vector params (P, n_params) of ``network``: (P,)."""
        raise NotImplementedError

    def evaluate_graphs(self, graphs: Sequence[Graph], idx: np.ndarray | None = None) -> np.ndarray:
        """Objective of each Graph (any topologies): (P,). ``graphs`` is a sequence of
        Graphs or a :class:`networks.PopulationBatch` (NEAT hands its population over
        already compiled); evaluate a whole population in one batched call."""
        raise NotImplementedError

    def loss_and_grad(self, network: Network, params: np.ndarray, idx: np.ndarray | None = None):
        """The objective on training rows idx (all if None), as :meth:`evaluate` measures
        it, and its gradient (n_params,) with respect to params. For a maximising problem
        this is the gradient of the quantity to maximise (backprop then climbs it)."""
        raise ValueError(
            f"problem {self.name!r} is not differentiable; use an evolutionary optimizer"
        )

    def score(self, graph: Graph) -> dict:
        """Unmetered measurement of a Graph: train/validation loss and headline metric."""
        raise NotImplementedError

    def score_validation(self, graph: Graph) -> dict:
        """The ``val_*`` entries of :meth:`score` (the loop records them every step);
        override to skip measuring the training split."""
        return {k: v for k, v in self.score(graph).items() if k.startswith("val_")}

    # -- shared helpers -------------------------------------------------------------
    def compile(self, graph: Graph) -> Network:
        """Compile a Graph in this problem's dtype."""
        return networks.compile(graph, dtype=self.dtype)

    def fitness(self, values: np.ndarray) -> np.ndarray:
        """Objective values -> higher-is-better fitness, NaN (a failed evaluation) -> -inf."""
        values = np.asarray(values, dtype=np.float64)
        f = values if self.maximize else -values
        return np.where(np.isnan(f), -np.inf, f)

    def is_better(self, a: float, b: float) -> bool:
        """Whether objective value a beats b (NaN never beats anything)."""
        if np.isnan(a):
            return False
        if np.isnan(b):
            return True
        return a > b if self.maximize else a < b


class SupervisedProblem(Problem):
    """A dataset as a Problem.

    X: (n, n_inputs) floats; y: class labels (n,) for classification (any hashable labels,
    encoded as 0..k-1 in sorted order), or targets (n,) / (n, n_outputs) for regression.
    Classification uses one logit output for two classes and k outputs for k > 2.
    ``loss`` defaults to cross_entropy (classification) or mse (regression); mse on a
    classification task regresses one-hot targets (a single 0/1 target for two classes),
    as in the classic XOR setting with sigmoid outputs. The headline metric is accuracy
    (classification) or mse (regression).

    ``initial``: the fixed-topology starting network; by default an MLP with ``hidden``
    layers built from ``init_seed``, so it depends only on the problem and that seed.
    """

    def __init__(
        self,
        X,
        y,
        *,
        task: str,
        loss: str | None = None,
        X_val=None,
        y_val=None,
        initial: Graph | None = None,
        hidden: Sequence[int] = (8,),
        activation: str = "tanh",
        output_activation: str = "identity",
        init_seed: int = 0,
        dtype=np.float64,
        name: str = "data",
    ) -> None:
        super().__init__()
        if task not in TASK_TYPES:
            raise ValueError(f"task must be one of {', '.join(TASK_TYPES)}, got {task!r}")
        self.task, self.name = task, name
        self.dtype = networks.check_dtype(dtype)
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[0] == 0:
            raise ValueError(
                f"X has shape {X.shape}; expected (n_samples, n_features) with n_samples >= 1"
            )
        self.n_inputs = X.shape[1]
        if task == "classification":
            y = np.asarray(y)
            if y.ndim != 1:
                raise ValueError(
                    f"classification labels have shape {y.shape}; expected ({len(X)},)"
                )
            if y.dtype.kind == "f" and not np.isfinite(y).all():
                raise ValueError("labels contain NaN or inf; drop those rows first")
            self.classes = np.unique(y)
            if len(self.classes) < 2:
                raise ValueError(
                    f"classification needs at least 2 classes, got {len(self.classes)}"
                )
            self.n_outputs = 1 if len(self.classes) == 2 else len(self.classes)
        else:
            try:
                y = np.asarray(y, dtype=np.float64)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"regression targets are not numeric: {exc}") from None
            if y.ndim == 1:
                y = y[:, None]
            if y.ndim != 2 or y.shape[1] == 0:
                raise ValueError(
                    f"regression targets have shape {y.shape}; expected ({len(X)},) or ({len(X)}, n_outputs)"
                )
            self.classes = None
            self.n_outputs = y.shape[1]
        self.loss = check_loss(loss or ("cross_entropy" if task == "classification" else "mse"))
        if task == "regression" and self.loss != "mse":
            raise ValueError(f"loss {self.loss!r} does not fit a regression task; use mse")
        self.X, self.y, self.labels = self._prepare(X, y, "training")
        self.n_train = len(self.X)
        if (X_val is None) != (y_val is None):
            raise ValueError("give both X_val and y_val, or neither")
        self.X_val = self.y_val = self.labels_val = None
        if X_val is not None:
            self.X_val, self.y_val, self.labels_val = self._prepare(
                np.asarray(X_val), y_val, "validation"
            )
        if initial is None:
            initial = networks.mlp(
                self.n_inputs,
                list(hidden),
                self.n_outputs,
                activation=activation,
                output_activation=output_activation,
                rng=np.random.default_rng(init_seed),
            )
        if not isinstance(initial, Graph):
            raise ValueError(f"initial must be a networks.Graph, got {type(initial).__name__}")
        if (initial.n_inputs, initial.n_outputs) != (self.n_inputs, self.n_outputs):
            raise ValueError(
                f"initial network has {initial.n_inputs} inputs and {initial.n_outputs} outputs; "
                f"this problem needs {self.n_inputs} and {self.n_outputs}"
            )
        self.initial = initial
        self.differentiable = initial.differentiable

    def _prepare(self, X, y, split: str):
        try:
            X = networks.check_inputs(X, self.n_inputs, self.dtype)
        except ValueError as exc:
            raise ValueError(f"{split} data: {exc}") from None
        labels = None
        if self.task == "classification":
            y = np.asarray(y)
            if y.shape != (len(X),):
                raise ValueError(f"{split} labels have shape {y.shape}; expected ({len(X)},)")
            labels = np.searchsorted(self.classes, y)
            known = (labels < len(self.classes)) & (
                self.classes[np.minimum(labels, len(self.classes) - 1)] == y
            )
            if not known.all():
                raise ValueError(
                    f"{split} labels include {np.asarray(y[~known][0]).item()!r}, which the training labels do not"
                )
            if self.loss == "cross_entropy":
                target = labels
            elif self.n_outputs == 1:
                target = labels[:, None].astype(self.dtype)
            else:
                target = np.eye(self.n_outputs, dtype=self.dtype)[labels]
        else:
            target = np.asarray(y, dtype=np.float64)
            target = target[:, None] if target.ndim == 1 else target
        try:
            target = check_targets(self.loss, target, len(X), self.n_outputs, self.dtype)
        except ValueError as exc:
            raise ValueError(f"{split} targets: {exc}") from None
        # private read-only copies: nothing the caller or an optimizer does can change them
        X, target = np.array(X, copy=True), np.array(target, copy=True)
        for arr in (X, target, labels):
            if arr is not None:
                arr.flags.writeable = False
        return X, target, labels

    # -- metered evaluation ---------------------------------------------------------
    def _rows(self, idx):
        if idx is None:
            return self.X, self.y, self.n_train
        return self.X[idx], self.y[idx], len(idx)

    def evaluate(self, params, network, idx=None):
        X, y, n = self._rows(idx)
        params = np.asarray(params, dtype=self.dtype)
        if params.ndim == 1:
            params = params[None]
        P = params.shape[0]
        self.meter.charge(
            samples=P * n,
            evaluations=Fraction(P * n, self.n_train),
            macs=P * n * network.n_enabled,
        )
        with np.errstate(all="ignore"):
            return loss_value(self.loss, network._forward(X, params), y).astype(np.float64)

    def evaluate_graphs(self, graphs, idx=None):
        X, y, n = self._rows(idx)
        batch = (
            graphs
            if isinstance(graphs, PopulationBatch)
            else PopulationBatch(graphs, dtype=self.dtype)
        )
        P = batch.n_graphs
        self.meter.charge(
            samples=P * n,
            evaluations=Fraction(P * n, self.n_train),
            macs=n * int(batch.n_enabled.sum()),
        )
        with np.errstate(all="ignore"):
            return loss_value(self.loss, batch._forward(X), y).astype(np.float64)

    def loss_and_grad(self, network, params, idx=None):
        network.check_differentiable()
        X, y, n = self._rows(idx)
        self.meter.charge(
            samples=3 * n,
            evaluations=Fraction(3 * n, self.n_train),
            macs=3 * n * network.n_enabled,
        )
        with np.errstate(all="ignore"):
            return network._loss_and_grad(X, y, self.loss, np.asarray(params, dtype=self.dtype))

    # -- measurement (not metered) --------------------------------------------------
    def _metric(self, out: np.ndarray, labels, y) -> float:
        if not np.isfinite(out).all():
            return float("nan")
        if self.task == "regression":
            return float(np.mean((out - y) ** 2))
        return float(np.mean(self._class_index(out) == labels))

    def _class_index(self, out: np.ndarray) -> np.ndarray:
        """The predicted class (an index into ``classes``) of each row of outputs."""
        if self.n_outputs == 1:  # one output: a logit (cross-entropy) or a probability
            return (out[:, 0] > (0.0 if self.loss == "cross_entropy" else 0.5)).astype(np.int64)
        return np.argmax(out, axis=1)

    @property
    def metric_name(self) -> str:
        return "accuracy" if self.task == "classification" else "mse"

    @property
    def metric_higher_is_better(self) -> bool:
        return self.task == "classification"

    def score(self, graph: Graph) -> dict:
        return self._score(graph, train=True)

    def score_validation(self, graph: Graph) -> dict:
        return self._score(graph, train=False) if self.X_val is not None else {}

    def _score(self, graph: Graph, train: bool) -> dict:
        net = self.compile(graph)
        result = {}
        splits = [("train", self.X, self.y, self.labels)] if train else []
        if self.X_val is not None:
            splits.append(("val", self.X_val, self.y_val, self.labels_val))
        with np.errstate(all="ignore"):
            for split, X, y, labels in splits:
                out = net._forward(X, net.params)
                result[f"{split}_loss"] = float(loss_value(self.loss, out, y))
                result[f"{split}_{self.metric_name}"] = self._metric(out, labels, y)
        return result

    def predict(self, graph: Graph, X) -> np.ndarray:
        """Class labels (classification) or outputs (regression) of a Graph on new rows."""
        net = self.compile(graph)
        out = net.forward(X)
        if self.task == "regression":
            return out
        return self.classes[self._class_index(out)]
