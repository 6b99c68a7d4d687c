"""The worker class the Procfile runs: RQ's forking worker with the Flask app built once.

RQ forks a work horse per job. Without this, each work horse would build the app itself
(create_app, about 3 s of CPU on this machine), so every job paid for it again. Built in the
parent, the app is inherited by every fork; `workers.context` drops the inherited database
pool in the child, so no connection is shared between processes.
"""

from __future__ import annotations

from typing import Any

from rq import Worker

from workers.context import get_app


class AppWorker(Worker):
    def work(self, *args: Any, **kwargs: Any) -> bool:
        get_app()
        return super().work(*args, **kwargs)
