"""The built-in studies: TOML files in the study schema, shipped with the package.

``neuroarena run quickstart`` runs ``quickstart.toml`` from here. A study's description is
the comment block at the top of its file (the schema itself has no description key).
"""

from __future__ import annotations

from importlib import resources

from ..loading import load_study
from ..spec import Study, StudyError

__all__ = ["names", "describe", "load", "SOURCE_PREFIX"]

SOURCE_PREFIX = "catalog:"  # a catalog study's ``source``: "catalog:quickstart"
_FIRST = ("quickstart",)  # listed before the others


def _files() -> dict:
    folder = resources.files(__name__)
    return {f.name[: -len(".toml")]: f for f in folder.iterdir() if f.name.endswith(".toml")}


def names() -> list[str]:
    """The built-in study names, ``quickstart`` first."""
    found = _files()
    return [n for n in _FIRST if n in found] + sorted(n for n in found if n not in _FIRST)


def describe(name: str) -> str:
    """The comment block at the top of a built-in study's file, as one paragraph."""
    lines = []
    for line in _file(name).read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    return " ".join(x for x in lines if x)


def load(name: str) -> Study:
    """The built-in study ``name`` (its ``source`` is ``"catalog:<name>"``)."""
    with resources.as_file(_file(name)) as path:
        study = load_study(path)
    study.source = SOURCE_PREFIX + name
    return study


def _file(name: str):
    found = _files()
    if name not in found:
        raise StudyError(
            f"unknown study {name!r}: not a .toml or .py file and not a built-in study; "
            f"built-in studies: {', '.join(names())}"
        )
    return found[name]
