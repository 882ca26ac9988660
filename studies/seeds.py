"""Seeds from names: stable across processes, machines and Python versions.

Every random stream of a study is a :class:`numpy.random.SeedSequence` over the study seed
and stable hashes of names (BLAKE2b of their UTF-8 text, never Python's salted ``hash()``):

- ``(study seed, task key, repetition)`` draws the data split and the initial network, so in
  repetition k every optimizer sees the same split and every fixed-topology optimizer with
  the same network starts from the same weights (a paired design);
- adding the optimizer's label gives the run's own rng.

So adding an optimizer or a task never changes another run's numbers.
"""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["name_hash", "seed_sequence", "split_rng", "init_rng", "run_rng"]


def name_hash(name: str) -> int:
    """A 64-bit integer from ``name`` that is the same in every process and on every machine."""
    digest = hashlib.blake2b(str(name).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def seed_sequence(study_seed: int, *names) -> np.random.SeedSequence:
    """The SeedSequence of ``study_seed`` and ``names`` (strings, or integers used as they are)."""
    words = [int(study_seed)]
    for n in names:
        words.append(int(n) if isinstance(n, (int, np.integer)) else name_hash(n))
    return np.random.SeedSequence(words)


def split_rng(study_seed: int, task_key: str, repetition: int) -> np.random.Generator:
    """The rng of a repetition's data split (shared by every optimizer)."""
    return np.random.default_rng(seed_sequence(study_seed, task_key, repetition, "split"))


def init_rng(study_seed: int, task_key: str, repetition: int) -> np.random.Generator:
    """The rng of a repetition's initial weights (shared by every optimizer)."""
    return np.random.default_rng(seed_sequence(study_seed, task_key, repetition, "init"))


def run_rng(study_seed: int, task_key: str, repetition: int, label: str) -> np.random.Generator:
    """The rng of one optimizer's run in a repetition."""
    return np.random.default_rng(seed_sequence(study_seed, task_key, repetition, "run", label))
