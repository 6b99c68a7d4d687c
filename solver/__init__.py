"""Pure optimisation core: matching visitors to hosts and scheduling workshops.

Plain dataclasses and the JSON formats of ``spec/solver-v1.md`` in and out; OR-Tools inside.
Nothing here imports Flask, RQ or SQLAlchemy, so the same code runs from the CLI
(``python -m solver``), an RQ job or a test.
"""

from solver.errors import InvalidInput
from solver.progress import Progress, ProgressCallback
from solver.status import Status

__all__ = ["InvalidInput", "Progress", "ProgressCallback", "Status"]
