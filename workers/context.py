"""One Flask app per worker process, created on first use, never at import.

RQ's default worker forks a work horse per job; a pooled database connection inherited
across a fork would be shared by two processes, so the child drops the parent's pool
(without closing the parent's sockets) right after the fork.

A job that loses its database connection (PostgreSQL restarting) is run again in the same
process after a short pause: jobs are idempotent, and RQ's own retries follow one another
too quickly to outlast a restart.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

from flask import Flask
from sqlalchemy.exc import DBAPIError

from coordinator.db import connection_lost

log = logging.getLogger(__name__)
# Pauses before each new try after a lost database connection (about 15 s in all).
DB_RETRY_PAUSES_S = (0.5, 1.0, 2.0, 4.0, 8.0)
_app: Flask | None = None
F = TypeVar("F", bound=Callable[..., Any])


def _dispose_pool_after_fork() -> None:
    if _app is not None:
        _app.extensions["db_engine"].dispose(close=False)


os.register_at_fork(after_in_child=_dispose_pool_after_fork)


def get_app() -> Flask:
    global _app
    if _app is None:
        from coordinator import create_app

        _app = create_app()
    return _app


def set_app(app: Flask | None) -> None:
    """Use ``app`` for jobs run in this process (tests run jobs against their own app)."""
    global _app
    _app = app


@contextmanager
def app_context() -> Iterator[Flask]:
    app = get_app()
    with app.app_context():
        yield app


def with_app_context(job: F) -> F:
    """Run a job function inside the worker's app context (a no-op when one is active)."""

    @wraps(job)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        for pause in (*DB_RETRY_PAUSES_S, None):
            try:
                return _run_in_app_context(job, *args, **kwargs)
            except DBAPIError as exc:
                if pause is None or not connection_lost(exc):
                    raise
                log.warning("%s: database connection lost (%s), again in %.1fs",
                            job.__name__, type(exc.orig).__name__, pause)
                time.sleep(pause)
        raise AssertionError("unreachable")

    return wrapper  # type: ignore[return-value]


def _run_in_app_context(job: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    from flask import has_app_context

    from coordinator import db

    if not has_app_context():
        with app_context():
            return job(*args, **kwargs)
    try:
        return job(*args, **kwargs)
    except DBAPIError:
        db.session().rollback()  # the caller's session stays usable for the next try
        raise

