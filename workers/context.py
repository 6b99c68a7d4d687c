"""One Flask app per worker process, created on first use, never at import.

RQ's default worker forks a work horse per job; a pooled database connection inherited
across a fork would be shared by two processes, so the child drops the parent's pool
(without closing the parent's sockets) right after the fork.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

from flask import Flask

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
        from flask import has_app_context

        if has_app_context():
            return job(*args, **kwargs)
        with app_context():
            return job(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
