"""Make the repository's packages importable when pytest runs without an installed
neuroarena (``.venv/bin/pytest`` from the checkout)."""

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parent.parent)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
