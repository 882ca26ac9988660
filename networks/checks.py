"""Checks of what callers hand to networks: the dtype to compute in and input arrays, each
failure a ValueError saying what is wrong (the targets' checks are in networks.losses)."""

from __future__ import annotations

import numpy as np

__all__ = ["check_dtype", "check_inputs", "check_batches"]


def check_inputs(X, n_inputs: int, dtype=np.float64, *, stacked: bool = False) -> np.ndarray:
    """X as a (n_samples, n_inputs) array of ``dtype`` or, with ``stacked``, also as
    (P, n_samples, n_inputs): one batch of inputs per individual (or graph). ValueError
    saying what is wrong."""
    try:
        X = np.asarray(X, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"inputs are not numeric: {exc}") from None
    if X.ndim != 2 and not (stacked and X.ndim == 3):
        also = f" or (P, n_samples, {n_inputs})" if stacked else ""
        raise ValueError(
            f"inputs have shape {X.shape}; expected (n_samples, {n_inputs}){also} (use X.reshape(1, -1) for one sample)"
        )
    if X.shape[-1] != n_inputs:
        raise ValueError(f"inputs have {X.shape[-1]} columns; this network takes {n_inputs}")
    if not np.isfinite(X).all():
        raise ValueError("inputs contain NaN or inf; clean or drop those rows first")
    return X


def check_batches(X: np.ndarray, P: int, what: str) -> None:
    """ValueError unless stacked inputs X (P, n_samples, n_inputs) hold one batch for each
    of the P ``what`` (individuals, graphs); nothing to check for X (n_samples, n_inputs)."""
    if X.ndim == 3 and X.shape[0] != P:
        raise ValueError(
            f"inputs have shape {X.shape}: {X.shape[0]} input batches for {P} {what}; "
            f"per-{what[:-1]} inputs need ({P}, n_samples, {X.shape[2]})"
        )


def check_dtype(dtype) -> np.dtype:
    """``dtype`` as a numpy dtype if it is one networks compute in (float32 or float64);
    ValueError otherwise."""
    dtype = np.dtype(dtype)
    if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be float32 or float64, got {dtype}")
    return dtype
