"""Email fixtures: the recording SendGrid server and an app that sends to it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis
from email_fake_sendgrid import RecordingSendGrid
from flask import Flask

from workers.context import set_app


@pytest.fixture
def sendgrid_server() -> Iterator[RecordingSendGrid]:
    server = RecordingSendGrid().start()
    yield server
    server.stop()
    assert server.problems == [], server.problems


@pytest.fixture
def app_config(app_config: dict[str, Any], sendgrid_server: RecordingSendGrid) -> dict[str, Any]:
    return {**app_config,
            "EMAIL_BACKEND": "sendgrid", "SENDGRID_API_KEY": "SG.test-key",
            "SENDGRID_API_HOST": sendgrid_server.url, "SENDGRID_TIMEOUT_SECONDS": 0.5,
            "EMAIL_RETRY_BASE_SECONDS": 0, "EMAIL_LEASE_SECONDS": 1,
            "EMAIL_FROM": "praktik@example.org"}


@pytest.fixture
def job_app(app: Flask) -> Iterator[Flask]:
    set_app(app)
    yield app
    set_app(None)


@pytest.fixture
def redis_conn(redis_url: str) -> Iterator[redis.Redis]:
    conn = redis.Redis.from_url(redis_url)
    yield conn
    for key in conn.scan_iter("rq:*"):
        conn.delete(key)
