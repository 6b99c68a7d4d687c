"""Per-round access: who sees which round, assignment by admins, and the migration's backfill."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from security_world import World, table_counts
from sqlalchemy import select, text

from coordinator import access, db, migrate
from coordinator.models import Round


def test_lists_show_only_the_rounds_one_may_see(clients: dict[str, FlaskClient],
                                                world: World) -> None:
    def ids(who: str, url: str) -> set[int]:
        response = clients[who].get(url)
        assert response.status_code == 200, response.json
        return {item["round_id"] if "round_id" in item else item["id"] for item in response.json}

    assert ids("coord_a", "/api/rounds") == {world.a.round_id}
    assert ids("coord_b", "/api/rounds") == {world.b.round_id}
    assert ids("admin", "/api/rounds") == {world.a.round_id, world.b.round_id}
    assert ids("coord_a", "/api/emails") == {world.a.round_id}
    assert ids("admin", "/api/emails") == {world.a.round_id, world.b.round_id}


def test_the_creator_of_a_round_is_assigned(clients: dict[str, FlaskClient]) -> None:
    created = clients["coord_b"].post("/api/rounds", json={"name": "Ny runde",
                                                           "weeks": ["2027-W37"]})
    assert created.status_code == 201
    assert clients["coord_b"].get(f"/api/rounds/{created.json['id']}").status_code == 200
    assert clients["coord_a"].get(f"/api/rounds/{created.json['id']}").status_code == 404


def test_admin_assigns_and_unassigns(app: Flask, clients: dict[str, FlaskClient],
                                     world: World) -> None:
    url = f"/api/rounds/{world.a.round_id}/coordinators"
    round_a = f"/api/rounds/{world.a.round_id}"
    coord_b = world.users["coord_b"]
    assert clients["coord_b"].get(round_a).status_code == 404
    assigned = clients["admin"].post(url, json={"email": coord_b["email"].upper()})
    assert assigned.status_code == 200, assigned.json
    assert {c["id"] for c in assigned.json} == {world.users["coord_a"]["id"], coord_b["id"]}
    assert clients["coord_b"].get(round_a).status_code == 200
    before = table_counts(app)
    again = clients["admin"].post(url, json={"user_id": coord_b["id"]})
    assert again.status_code == 200 and table_counts(app) == before  # assigning twice: no change
    removed = clients["admin"].delete(f"{url}/{coord_b['id']}")
    assert removed.status_code == 200
    assert [c["id"] for c in removed.json] == [world.users["coord_a"]["id"]]
    assert clients["coord_b"].get(round_a).status_code == 404
    assert clients["admin"].delete(f"{url}/{coord_b['id']}").status_code == 404


@pytest.mark.parametrize("body, field", [
    ({}, "user_id"), ({"user_id": 1, "email": "a@example.org"}, "user_id"),
    ({"user_id": 999999}, "user_id"), ({"user_id": "x"}, "user_id"),
    ({"email": "nobody@example.org"}, "email"), ({"email": "not an email"}, "email"),
])
def test_bad_assignments_name_the_field_and_store_nothing(
        app: Flask, clients: dict[str, FlaskClient], world: World, body: dict[str, object],
        field: str) -> None:
    before = table_counts(app)
    response = clients["admin"].post(f"/api/rounds/{world.a.round_id}/coordinators", json=body)
    assert response.status_code == 422, response.json
    assert field in str(response.json["errors"])
    assert table_counts(app) == before


def test_assignment_needs_an_admin(clients: dict[str, FlaskClient], world: World) -> None:
    url = f"/api/rounds/{world.a.round_id}/coordinators"
    assert clients["anonymous"].post(url, json={"user_id": 1}).status_code == 401
    # Even the round's own coordinator cannot hand it out.
    assert clients["coord_a"].post(url, json={"user_id": world.users["coord_b"]["id"]}
                                   ).status_code == 403


def test_helpers_for_views(app: Flask, world: World) -> None:
    from flask_login import login_user

    from coordinator.models import Host, User
    from coordinator.services.errors import NotFound

    with app.test_request_context():
        session = db.session()
        login_user(session.get(User, world.users["coord_a"]["id"]))
        assert access.round_visible_or_404(world.a.round_id).id == world.a.round_id
        assert access.record_visible_or_404(Host, world.a.host_id).id == world.a.host_id
        for call in (lambda: access.round_visible_or_404(world.b.round_id),
                     lambda: access.record_visible_or_404(Host, world.b.host_id),
                     lambda: access.round_visible_or_404(2**31 - 1)):
            with pytest.raises(NotFound):
                call()
        admin = session.get(User, world.users["admin"]["id"])
        assert access.can_see_round(admin, world.b.round_id, session)
        assert not access.can_see_round(admin, 2**31 - 1, session)
        visible = session.scalars(access.visible_rounds(select(Round.id), admin)).all()
        assert set(visible) == {world.a.round_id, world.b.round_id}


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path,
                   root_conftest: ModuleType) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'backfill.sqlite3'}"
        return
    admin_url = root_conftest.PG_ADMIN_URL
    name = f"coordinator_backfill_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield root_conftest._pg_url_for(name)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_upgrade_gives_existing_rounds_to_their_creators(empty_database: str) -> None:
    migrate.upgrade(empty_database, "0003")
    engine = db.make_engine(empty_database)
    try:
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO users (id, email, password_hash, role, active, created_at) VALUES "
                "(7, 'old@example.org', 'x', 'coordinator', true, CURRENT_TIMESTAMP)"))
            conn.execute(text(
                "INSERT INTO rounds (id, name, status, weeks, response_days, default_max_km, "
                "created_at, updated_at) VALUES (3, 'Old', 'draft', '[]', 5, 250, "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
            conn.execute(text(
                "INSERT INTO audit_log (actor_id, action, object_type, object_id, at) VALUES "
                "(7, 'round.create', 'round', 3, CURRENT_TIMESTAMP), "
                "(NULL, 'round.create', 'round', 3, CURRENT_TIMESTAMP)"))
        migrate.upgrade(empty_database, "0004")
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT round_id, user_id FROM round_coordinators")).all()
        assert [tuple(row) for row in rows] == [(3, 7)]
        migrate.downgrade(empty_database, "0003")
    finally:
        engine.dispose()
