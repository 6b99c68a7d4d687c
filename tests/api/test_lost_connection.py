"""A pooled PostgreSQL connection the server dropped (a restart, an idle timeout).

The pool does not ping a connection before lending it out (a round trip per request): the
first statement on a dead connection fails instead. That request answers 503 with nothing
stored, the pool is invalidated, and the next request connects afresh.
"""

from __future__ import annotations

import time
from typing import Any

import psycopg
from api_helpers import (
    cheap_password_hashing,  # noqa: F401 - autouse
    post_application,
    postgresql_only,  # noqa: F401 - the database_url fixture: SQLite has no server to lose
    row_counts,
)
from flask import Flask
from flask.testing import FlaskClient
from testing_support import application_payload


def _cut_every_connection_of(app: Flask) -> int:
    """What a server restart does to the app's pooled connections; how many were cut.

    Returns once the backends have exited (termination is a signal, handled a moment later).
    """
    others = ("FROM pg_stat_activity WHERE datname = current_database() "
              "AND pid <> pg_backend_pid()")
    with psycopg.connect(app.config["DATABASE_URL"], autocommit=True) as admin:
        cut = len(admin.execute(f"SELECT pg_terminate_backend(pid) {others}").fetchall())
        deadline = time.monotonic() + 10
        while admin.execute(f"SELECT count(*) {others}").fetchone()[0]:
            assert time.monotonic() < deadline, "terminated backends still there after 10 s"
            time.sleep(0.05)
    return cut


def test_a_dropped_connection_costs_one_503_and_nothing_half_written(
        app: Flask, client: FlaskClient, open_round: dict[str, Any],
        host_in_round: dict[str, Any]) -> None:
    host_ids = [host_in_round["id"]]
    first = post_application(client, open_round["id"],
                             application_payload(host_ids, email="first@example.org"))
    assert first.status_code == 201, first.json
    before_cut = row_counts(app)
    assert _cut_every_connection_of(app) >= 1

    lost = post_application(client, open_round["id"],
                            application_payload(host_ids, email="lost@example.org"))
    assert row_counts(app) == before_cut, "the request on the dead connection stored rows"
    assert lost.status_code == 503, lost.get_data(as_text=True)
    assert lost.json["code"] == 503 and "nothing was stored" in lost.json["message"]
    assert lost.headers["Retry-After"] == "1"

    before = row_counts(app)
    again = post_application(client, open_round["id"],
                             application_payload(host_ids, email="lost@example.org"))
    assert again.status_code == 201, again.json
    after = row_counts(app)
    grown = {name: after[name] - before[name] for name in after if after[name] != before[name]}
    assert grown == {"applications": 1, "application_choices": 1, "events": 1, "messages": 1}
