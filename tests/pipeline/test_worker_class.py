"""The Procfile's worker class builds the app once, before any work horse is forked."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer

from workers import context
from workers.worker import AppWorker


@pytest.fixture
def no_app() -> Iterator[None]:
    context.set_app(None)
    yield
    app = context._app
    context.set_app(None)
    if app is not None:
        app.extensions["db_engine"].dispose()


def test_the_app_exists_before_the_first_fork(
        no_app: None, sqlite_url: str, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(32))
    connection = Redis.from_url(redis_url)
    try:
        queue = Queue("default", connection=connection, serializer=JSONSerializer)
        AppWorker([queue], connection=connection, serializer=JSONSerializer).work(burst=True)
    finally:
        connection.close()
    assert context._app is not None
    assert context._app.config["DATABASE_URL"] == sqlite_url
