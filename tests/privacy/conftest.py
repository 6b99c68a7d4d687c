"""Privacy fixtures: a clean Redis database wired to the in-process job runner, and an admin."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from testing_support import signed_in

from coordinator import db

ADMIN_PASSWORD = "correct horse battery staple admin"


@pytest.fixture
def admin_client(app: Flask) -> FlaskClient:
    from coordinator.auth import create_user

    with app.app_context():
        create_user(db.session(), "admin@example.org", ADMIN_PASSWORD, "admin")
        db.session().commit()
    return signed_in(app, {"email": "admin@example.org", "password": ADMIN_PASSWORD})

