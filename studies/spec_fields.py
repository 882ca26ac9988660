"""The study spec's fields, each checked on its own, every error naming its field path
(``optimizers.adam.lr: must be > 0, got -1.0``); :mod:`studies.spec` puts them together."""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np

from networks import ACTIVATIONS, activation_code
from optimizers import Architecture, Budget

from ._json import plain as _plain

NETWORK_KEYS = ("hidden", "activation", "output_activation", "recurrent")


class StudyError(ValueError):
    """A study that cannot run: the message names the field path and what to change."""


def _fail(path: str, message: str):
    raise StudyError(f"{path}: {message}" if path else message)


def _integer(path: str, value, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        _fail(path, f"must be an integer >= {low}, got {value!r}")
    return int(value)


def _budget(path: str, value) -> Budget:
    if isinstance(value, Budget):
        return value
    if not isinstance(value, Mapping):
        _fail(path, f"must be a table of limits (e.g. evaluations = 5000), got {value!r}")
    known = ("samples", "evaluations", "macs", "seconds", "steps")
    for k in value:
        if k not in known:
            _fail(f"{path}.{k}", f"unknown budget unit; known: {', '.join(known)}")
    try:
        return Budget(**dict(value))
    except ValueError as exc:
        message = str(exc)
        for k in value:  # "Budget.evaluations must be ..." -> "budget.evaluations: must be ..."
            if message.startswith(f"Budget.{k} "):
                _fail(f"{path}.{k}", message[len(f"Budget.{k} ") :])
        _fail(path, message.replace("Budget.", ""))


def _network(path: str, value) -> Architecture:
    if isinstance(value, Architecture):
        return value
    if not isinstance(value, Mapping):
        _fail(
            path,
            f"must be a table (hidden, activation, output_activation, recurrent), got {value!r}",
        )
    for k in value:
        if k not in NETWORK_KEYS:
            _fail(f"{path}.{k}", f"unknown network key; known: {', '.join(NETWORK_KEYS)}")
    try:
        return Architecture(**dict(value))
    except (ValueError, TypeError) as exc:
        message = str(exc)
        for k in NETWORK_KEYS:  # "activation: unknown ..." -> "network.activation: unknown ..."
            if message.startswith(f"{k}: "):
                _fail(f"{path}.{k}", message[len(k) + 2 :])
        if message.startswith("hidden "):
            _fail(f"{path}.hidden", message[len("hidden ") :])
        _fail(path, message)


def _wrong_kind(optimizer: str, i: int, key: str, kind: str) -> str:
    """Why ``optimizer`` cannot run on tasks[i] (a task of the other ``kind``)."""
    if kind == "control":
        return (
            f"{optimizer} needs target outputs to backpropagate, and tasks[{i}] ({key}) is a "
            "control task; compare it with policy-gradient, neat, cmaes, ga, es or random-search"
        )
    return (
        f"{optimizer} learns from episodes, and tasks[{i}] ({key}) is a dataset; "
        "train it with backprop, neat, cmaes, ga, es or random-search"
    )


def _differentiable(arch: Architecture) -> list[str]:
    """The activations of ``arch`` that have no derivative."""
    names = {arch.activation, arch.output_activation}
    return sorted(n for n in names if not ACTIVATIONS[activation_code(n)].differentiable)


def _overrides(path: str, value) -> dict[str, dict]:
    """A task entry's ``optimizers`` table: label -> parameters for that task only."""
    if not isinstance(value, Mapping):
        _fail(path, f"must be a table of optimizer label = {{parameters}}, got {value!r}")
    out = {}
    for label, params in value.items():
        where = f"{path}.{label}"
        if not isinstance(params, Mapping):
            _fail(where, f"must be a table of that optimizer's parameters, got {params!r}")
        for key in ("optimizer", "budget", "network"):
            if key in params:
                _fail(
                    f"{where}.{key}",
                    f"a task entry sets only an optimizer's parameters, not its {key} "
                    + (
                        "(every optimizer gets the same compute)"
                        if key == "budget"
                        else "(set it in the optimizer's own entry)"
                    ),
                )
        try:
            out[str(label)] = _plain(dict(params))
        except TypeError as exc:
            _fail(where, f"parameters must be plain data (numbers, strings, lists): {exc}")
    return out


def _param_error(path: str, message: str, params: dict) -> tuple[str, str]:
    """An optimizer's ``lr must be > 0`` as the field path ``<path>.lr`` and ``must be > 0``."""
    for p in sorted(params, key=len, reverse=True):
        if message.startswith(f"{p} "):
            return f"{path}.{p}", message[len(p) + 1 :]
    unknown = re.match(r"^[\w.-]+: unknown parameter\(s\) ([\w, ]+); (known: .*)$", message)
    if unknown:  # "backprop: unknown parameter(s) lrr; known: ..." -> "<path>.lrr: unknown ..."
        names = unknown.group(1).split(", ")
        return (
            f"{path}.{names[0]}",
            f"unknown parameter{'s ' + ', '.join(names) if len(names) > 1 else ''}; {unknown.group(2)}",
        )
    return path, message
