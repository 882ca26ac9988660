"""Study files: a TOML file in the study schema, or a Python script defining ``study``."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path

from .spec import Study, StudyError

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

__all__ = ["load_study"]


def load_study(path) -> Study:
    """The Study in ``path``: a ``.toml`` file, or a ``.py`` script that defines ``study =
    Study(...)`` at module level. A script may register its own optimizers and tasks; they
    travel to worker processes with the runs (the script's module is pickled by value)."""
    path = Path(path)
    if not path.exists():
        raise StudyError(f"{path}: no such file")
    if path.is_dir():
        raise StudyError(f"{path}: is a directory; give a .toml or .py study file")
    if path.suffix not in (".toml", ".py"):
        raise StudyError(f"{path}: a study file is a .toml or a .py file")
    study = _from_toml(path) if path.suffix == ".toml" else _from_script(path)
    study.source = str(path.resolve())
    return study


def _from_toml(path: Path) -> Study:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise StudyError(f"{path}: not a text file ({exc.reason})") from None
    except tomllib.TOMLDecodeError as exc:
        raise StudyError(f"{path}: not valid TOML: {exc}") from None
    _csv_paths_relative_to(data, path.parent)
    try:
        return Study.from_dict(data)
    except StudyError as exc:
        raise StudyError(f"{path}: {exc}") from None


def _csv_paths_relative_to(data: dict, folder: Path) -> None:
    """A csv task's relative ``path`` in a TOML file means relative to that file."""
    tasks = data.get("tasks")
    for entry in tasks if isinstance(tasks, list) else []:
        if isinstance(entry, dict) and entry.get("name") == "csv":
            p = entry.get("path")
            if isinstance(p, str) and not Path(p).is_absolute():
                entry["path"] = str(folder / p)


def _from_script(path: Path) -> Study:
    digest = hashlib.blake2b(str(path.resolve()).encode(), digest_size=6).hexdigest()
    name = f"neuroarena_study_{_identifier(path.stem)}_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    _pickle_by_value(module)
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:
        del sys.modules[name]  # a half-run script leaves nothing behind
        if isinstance(exc, StudyError):
            raise StudyError(f"{path}: {exc}") from None
        if isinstance(exc, SyntaxError):
            raise StudyError(f"{path}:{exc.lineno}: syntax error: {exc.msg}") from None
        if isinstance(exc, Exception):
            line = _script_line(exc, path)
            raise StudyError(f"{path}{line}: {type(exc).__name__}: {exc}") from None
        raise
    study = getattr(module, "study", None)
    if not isinstance(study, Study):
        raise StudyError(
            f"{path}: defines no `study = Study(...)` at module level (found {type(study).__name__})"
        )
    return study


def _script_line(exc: BaseException, path: Path) -> str:
    """``:N`` for the script's line where ``exc`` was raised, if it was raised there."""
    tb, line = exc.__traceback__, ""
    while tb is not None:
        if Path(tb.tb_frame.f_code.co_filename) == path.resolve():
            line = f":{tb.tb_lineno}"
        tb = tb.tb_next
    return line


def _identifier(stem: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in stem) or "script"


def _pickle_by_value(module) -> None:
    """Let worker processes, which never imported the script, unpickle what it defines."""
    import cloudpickle  # what loky and Dask pickle with

    cloudpickle.register_pickle_by_value(module)
