"""The solver's command lines as the tests run them: a subprocess from the repository root,
reading JSON files the test wrote."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, module: str = "solver") -> subprocess.CompletedProcess:
    """``python -m <module> <args>``, output captured as text."""
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def write(tmp_path: Path, name: str, doc: Any) -> str:
    """`doc` (a JSON value, or text as it is) in the file `name`; its path."""
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return str(path)
