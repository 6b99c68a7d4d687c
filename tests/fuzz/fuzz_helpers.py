"""Helpers of the fuzz tests: the API tests' helpers (cheap argon2, row counts) reused.

A test module imports ``cheap_password_hashing`` to have that autouse fixture apply to it.
"""

from __future__ import annotations

import sys
from pathlib import Path

# The API and page tests' helper modules live beside them (tests/ has no packages); reuse, don't copy.
TESTS = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TESTS / "api"))
sys.path.insert(0, str(TESTS / "pages"))  # page_helpers: the forms as a browser posts them

from api_helpers import cheap_password_hashing, row_counts  # noqa: E402, F401 - autouse fixture
