"""JSON in, JSON out: the entry point the CLI and the workers call."""

from __future__ import annotations

from typing import Any

from solver.progress import ProgressCallback, no_progress
from solver.workshops.codec import parse_problem, result_to_json
from solver.workshops.solve import solve_workshops


def solve_workshops_json(
    instance: dict[str, Any], *, time_limit_s: float | None = None, workers: int | None = None,
    progress: ProgressCallback = no_progress,
) -> dict[str, Any]:
    """Validate ``instance`` (InvalidInput names every bad field), solve, encode the result."""
    problem = parse_problem(instance)
    result = solve_workshops(problem, time_limit_s=time_limit_s, workers=workers, progress=progress)
    return result_to_json(result)
