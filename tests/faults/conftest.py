"""Fault-suite fixtures: a private Redis for the whole session (so killing and flushing it
touches nobody else's tests), the recording SendGrid server, the jobs' app."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fault_services import RedisServer
from flask import Flask
from redis import Redis

from workers.context import set_app

# Shared with the email and pipeline suites rather than copied: the recording SendGrid
# server, the signed webhook post, seeding a round up to matching.
for suite in ("email", "pipeline"):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / suite))
from email_fake_sendgrid import RecordingSendGrid  # noqa: E402


@pytest.fixture(scope="session")
def private_redis() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.kill()


@pytest.fixture(scope="session")
def redis_url(private_redis: RedisServer) -> str:
    """Overrides the shared-Redis database number of tests/conftest.py."""
    return private_redis.url


@pytest.fixture
def redis_conn(app: Flask, private_redis: RedisServer) -> Iterator[Redis]:
    """The private Redis, empty; jobs run in this process use ``app``."""
    if private_redis.process is None:  # an earlier test killed it and failed before restarting
        private_redis.start()
    set_app(app)
    with Redis.from_url(private_redis.url) as conn:
        conn.flushdb()
        yield conn
        conn.flushdb()
    set_app(None)


@pytest.fixture
def sendgrid_server() -> Iterator[RecordingSendGrid]:
    """The recording server; every request it saw must have been a well-formed v3 send."""
    server = RecordingSendGrid().start()
    try:
        yield server
    finally:
        server.stop()
    assert not server.problems, server.problems


@pytest.fixture
def sendgrid_config(sendgrid_server: RecordingSendGrid) -> dict[str, Any]:
    """Settings that point the real sendgrid client at the recording server, retries fast."""
    return {"EMAIL_BACKEND": "sendgrid", "SENDGRID_API_KEY": "SG.fault-test",
            "SENDGRID_API_HOST": sendgrid_server.url, "SENDGRID_TIMEOUT_SECONDS": 0.5,
            "EMAIL_RETRY_BASE_SECONDS": 0, "EMAIL_LEASE_SECONDS": 1,
            "EMAIL_FROM": "praktik@example.org"}
