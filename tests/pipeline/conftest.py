"""Pipeline fixtures: a clean Redis database with jobs run against the test's app, and a
coordinator who may see every round (the rounds here are seeded, not created through the API)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from coordinator import db


@pytest.fixture
def coordinator_user(app: Flask, coordinator_user: dict[str, Any]) -> dict[str, Any]:
    """The root fixture's coordinator, made an admin: admins see every round."""
    from coordinator.models import User

    with app.app_context():
        db.session().get(User, coordinator_user["id"]).role = "admin"
        db.session().commit()
    return coordinator_user
