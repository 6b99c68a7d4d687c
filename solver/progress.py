"""Progress reporting: the CLI prints it to stderr, a worker forwards it to the job's meta."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Progress:
    phase: str
    elapsed_s: float
    objective: dict[str, Any] | None = None
    bound: dict[str, Any] | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class ProgressCallback(Protocol):
    def __call__(self, progress: Progress) -> None: ...


def no_progress(progress: Progress) -> None:
    """The default callback: report nothing."""


def stderr_progress(progress: Progress) -> None:
    """One JSON line per report on stderr, so stdout stays clean for the result."""
    print(json.dumps(progress.as_dict(), sort_keys=True), file=sys.stderr, flush=True)
