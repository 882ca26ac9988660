"""A dataset as a Problem: training rows (and optionally validation rows), a loss, a metric.

It holds data only: the starting network and its architecture are the run's (an argument
of ``fit`` / ``setup``), so every run on the same data can start where it likes.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import networks
from networks import Graph
from networks.losses import check_loss, check_targets, loss_value

from .base import Problem

__all__ = ["SupervisedProblem", "TASK_TYPES"]

TASK_TYPES = ("classification", "regression")


class SupervisedProblem(Problem):
    """A dataset as a Problem.

    X: (n, n_inputs) finite floats; y: class labels (n,) for classification (any hashable labels,
    encoded as 0..k-1 in sorted order), or targets (n,) / (n, n_outputs) for regression.
    Classification uses one logit output for two classes and k outputs for k > 2.
    ``loss`` defaults to cross_entropy (classification) or mse (regression); mse on a
    classification task regresses one-hot targets (a single 0/1 target for two classes),
    as in the classic XOR setting with sigmoid outputs. The objective is the mean loss on
    the training rows; the headline metric is accuracy (classification) or mse
    (regression). ``X_val``, ``y_val``: an optional validation split (early stopping reads
    it; the loop scores every recorded step on it).
    """

    differentiable = True  # both losses have gradients; the network may still refuse

    def __init__(
        self,
        X,
        y,
        *,
        task_type: str,
        loss: str | None = None,
        X_val=None,
        y_val=None,
        dtype=np.float64,
        name: str = "data",
    ) -> None:
        if task_type not in TASK_TYPES:
            raise ValueError(f"task_type must be one of {', '.join(TASK_TYPES)}, got {task_type!r}")
        task = self.task_type = task_type
        self.name = name
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
        # the training inputs with a column of ones too: a dense trainer's mini-batch is
        # then one gather of rows into its buffer (made here: a Problem is not changed by
        # the runs it serves)
        self._X1 = np.hstack([self.X, np.ones((self.n_train, 1), dtype=self.X.dtype)])
        self._X1.flags.writeable = False
        if (X_val is None) != (y_val is None):
            raise ValueError("give both X_val and y_val, or neither")
        self.X_val = self.y_val = self.labels_val = None
        if X_val is not None:
            self.X_val, self.y_val, self.labels_val = self._prepare(
                np.asarray(X_val), y_val, "validation"
            )
        self.metric = "accuracy" if task == "classification" else "mse"
        self.metric_maximize = task == "classification"

    def _prepare(self, X, y, split: str):
        try:
            X = networks.check_inputs(X, self.n_inputs, self.dtype)
        except ValueError as exc:
            raise ValueError(f"{split} data: {exc}") from None
        labels = None
        if self.task_type == "classification":
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

    # -- objectives (the base class meters them) ------------------------------------
    @property
    def n_validation(self) -> int:
        return 0 if self.X_val is None else len(self.X_val)

    def _rows(self, idx):
        if idx is None:
            return self.X, self.y
        return self.X[idx], self.y[idx]

    def _objectives(self, candidates, rows, rng):
        X, y = self._rows(rows)
        return loss_value(self.loss, candidates.forward(X), y)

    def _objective_and_grad(self, network, params, rows):
        X, y = self._rows(rows)
        params = np.asarray(params, dtype=self.dtype)
        return network.loss_and_grad(X, y, self.loss, params, check=False)

    @property
    def dense_training(self) -> bool:
        """Whether backprop may train an MLP here through its dense trainer: so when this
        class computes gradients as SupervisedProblem does (a subclass that changes
        ``_objective_and_grad`` or ``_rows`` trains through them instead, unless it sets
        ``dense_training = True`` and its own ``_dense_objective_and_grad``)."""
        cls = type(self)
        return (
            cls._objective_and_grad is SupervisedProblem._objective_and_grad
            and cls._rows is SupervisedProblem._rows
            and hasattr(self, "_X1")
        )

    def _dense_objective_and_grad(self, trainer, theta, rows, grad):
        if rows is None:
            return trainer.loss_and_grad(self.X, self.y, self.loss, theta, grad)
        return trainer.loss_and_grad_rows(self._X1, rows, self.y[rows], self.loss, theta, grad)

    def _validation_objective(self, network, params):
        params = np.asarray(params, dtype=self.dtype)
        return network.losses(self.X_val, self.y_val, self.loss, params, check=False)

    # -- measurement (not metered) --------------------------------------------------
    def _metric(self, out: np.ndarray, labels, y) -> float:
        if not np.isfinite(out).all():
            return float("nan")
        if self.task_type == "regression":
            return float(np.mean((out - y) ** 2))
        return float(np.mean(self._class_index(out) == labels))

    def _class_index(self, out: np.ndarray) -> np.ndarray:
        """The predicted class (an index into ``classes``) of each row of outputs."""
        if self.n_outputs == 1:  # one output: a logit (cross-entropy) or a probability
            return (out[:, 0] > (0.0 if self.loss == "cross_entropy" else 0.5)).astype(np.int64)
        return np.argmax(out, axis=1)

    def score(self, graph: Graph) -> dict:
        net = self.compile(graph)
        result = self._score_rows(net, "train", self.X, self.y, self.labels)
        if self.X_val is not None:
            result.update(self._score_rows(net, "val", self.X_val, self.y_val, self.labels_val))
        return result

    def score_on(self, graph: Graph, X, y, split: str = "test") -> dict:
        """``<split>_loss`` and ``<split>_<metric>`` of a Graph on other rows (a held-out
        test split), measured exactly as :meth:`score` measures the training rows and not
        metered; the labels must be ones the training labels have."""
        return self.scorer(X, y, split)(graph)

    def scorer(self, X, y, split: str = "test") -> Callable[[Graph], dict]:
        """:meth:`score_on` for rows checked and converted once: a function of a Graph,
        for measuring many Graphs on the same held-out rows (``fit``'s ``measure``)."""
        X, target, labels = self._prepare(np.asarray(X), y, split)
        return lambda graph: self._score_rows(self.compile(graph), split, X, target, labels)

    def _score_rows(self, net, split: str, X, y, labels) -> dict:
        with np.errstate(all="ignore"):
            out = net.forward(X, net.params, check=False)
            return {
                f"{split}_loss": float(loss_value(self.loss, out, y)),
                f"{split}_{self.metric}": self._metric(out, labels, y),
            }

    def predict(self, graph: Graph, X) -> np.ndarray:
        """Class labels (classification) or outputs (regression) of a Graph on new rows."""
        net = self.compile(graph)
        out = net.forward(X)
        if self.task_type == "regression":
            return out
        return self.classes[self._class_index(out)]
