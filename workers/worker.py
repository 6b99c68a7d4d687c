"""The RQ worker class the Procfile runs: `rq worker -w workers.worker.AppWorker ...`.

RQ's default worker forks a fresh work horse for every job. With nothing loaded in the
parent, each horse imported the app and built it again (about a second on an idle machine,
far more on a busy one), so a burst of 60 one-message email jobs spent its time starting
up. Here the parent builds the app and imports the job modules once, before the first
fork; every horse inherits them. The database pool is dropped in the child right after the
fork (``workers.context``), so no connection is ever shared across processes.
"""

from __future__ import annotations

import importlib
from typing import Any

from rq import Worker

from workers.context import get_app


def preload() -> None:
    """Build the app and import every job module (and the solver) in this process."""
    from workers.routing import ROUTES

    get_app()
    for module in sorted({route.func.rsplit(".", 1)[0] for route in ROUTES.values()}):
        importlib.import_module(module)
    importlib.import_module("solver.match.api")
    importlib.import_module("solver.workshops.api")


class AppWorker(Worker):
    def work(self, *args: Any, **kwargs: Any) -> bool:
        preload()
        return super().work(*args, **kwargs)
