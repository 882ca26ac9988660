"""Optimizers by short name.

Three sources, each name in one of them only (:func:`register` refuses a taken name): the
built-in table below (resolved lazily, so a missing optional dependency fails only when that
optimizer is asked for), classes registered with :func:`register` (e.g. in a study script),
and the entry-point group ``neuroarena.optimizers`` of installed third-party packages
(``name = "module:Class"``).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from importlib.metadata import entry_points

__all__ = ["available", "get", "register", "unregister", "OptimizerSpec", "ENTRY_POINT_GROUP"]

ENTRY_POINT_GROUP = "neuroarena.optimizers"

_BUILTIN: dict[str, str] = {
    "backprop": "optimizers.backprop:Backprop",
    "random-search": "optimizers.random_search:RandomSearch",
    "ga": "optimizers.ga:GA",
    "es": "optimizers.es:ES",
    "cmaes": "optimizers.cmaes:CMAES",
    "neat": "optimizers.neat:NEAT",
    "policy-gradient": "optimizers.policy_gradient:PolicyGradient",
}
_REGISTERED: dict[str, type] = {}


def _entry_points() -> dict:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def available() -> list[str]:
    """Every optimizer name that :func:`get` accepts, sorted."""
    return sorted(set(_BUILTIN) | set(_REGISTERED) | set(_entry_points()))


def register(name_or_cls=None):
    """Register an Optimizer subclass under its ``name`` attribute (or the given name).

    Use as ``@register`` or ``@register("my-opt")``. A name already taken raises ValueError,
    except by the same class defined again (a script or notebook cell run twice).
    The class is not changed (``register("other")(Cls)`` leaves ``Cls.name`` as it is).
    """

    def deco(cls, name=None):
        from .base import Optimizer

        if not (isinstance(cls, type) and issubclass(cls, Optimizer)):
            raise ValueError(f"only optimizers.Optimizer subclasses can be registered, got {cls!r}")
        name = name or getattr(cls, "name", "")
        if not name or not isinstance(name, str):
            raise ValueError(f"{cls.__name__} needs a non-empty string name to be registered")
        if _same_class(_REGISTERED.get(name), cls):
            _REGISTERED[name] = cls  # the same script run again: its new class replaces the old
            return cls
        if name in _BUILTIN or name in _REGISTERED or name in _entry_points():
            raise ValueError(
                f"an optimizer named {name!r} is already registered; choose another name"
            )
        _REGISTERED[name] = cls
        return cls

    if isinstance(name_or_cls, type):
        return deco(name_or_cls)
    return lambda cls: deco(cls, name_or_cls)


def _same_class(old: type | None, new: type) -> bool:
    """Whether ``new`` is ``old`` defined again (same module and qualified name)."""
    return old is not None and (old.__module__, old.__qualname__) == (
        new.__module__,
        new.__qualname__,
    )


def unregister(name: str) -> None:
    """Remove a class registered with :func:`register` (built-ins cannot be removed)."""
    _REGISTERED.pop(name, None)


def get(name: str) -> type:
    """The optimizer class registered as ``name``; ValueError listing the choices if none."""
    if name in _REGISTERED:
        return _REGISTERED[name]
    if name in _BUILTIN:
        module, _, attr = _BUILTIN[name].partition(":")
        try:
            return getattr(importlib.import_module(module), attr)
        except ImportError as exc:
            raise ValueError(
                f"optimizer {name!r} needs a package that is not installed: {exc}"
            ) from None
    eps = _entry_points()
    if name in eps:
        try:
            return eps[name].load()
        except Exception as exc:
            raise ValueError(
                f"optimizer {name!r} (entry point {eps[name].value}) failed to load: {exc}"
            ) from None
    raise ValueError(f"unknown optimizer {name!r}; available: {', '.join(available())}")


@dataclass(frozen=True)
class OptimizerSpec:
    """An optimizer by name and parameters, buildable in any process.

    A built-in or entry-point optimizer travels by name and is resolved where it is built.
    A class registered with :func:`register` (e.g. in a study script) also travels with
    the spec itself: joblib's loky and Dask pickle a class defined in a script by value, so
    a worker that never ran the script can still build it. The parameters are validated
    when the spec is made.
    """

    name: str
    params: dict = field(default_factory=dict)
    cls: type | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        cls = get(self.name)
        cls(**self.params)  # unknown or bad parameters fail here, in the parent
        if self.name in _REGISTERED:
            object.__setattr__(self, "cls", cls)

    def build(self):
        """A fresh, configured optimizer."""
        cls = self.cls if self.cls is not None else get(self.name)
        return cls(**self.params)
