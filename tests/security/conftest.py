"""Fixtures of the security tests: the two-round world (security_world.py) and its clients."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from security_world import World, build_world
from testing_support import signed_in

from coordinator import auth


@pytest.fixture(scope="session")
def root_conftest(request: pytest.FixtureRequest) -> ModuleType:
    """tests/conftest.py (its payload builders, database URLs), found among the loaded plugins."""
    root = Path(__file__).resolve().parents[1] / "conftest.py"
    for plugin in request.config.pluginmanager.get_plugins():
        if Path(getattr(plugin, "__file__", None) or "/").resolve() == root:
            return plugin
    raise LookupError(root)


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    # argon2 at its smallest cost: three sign-ins per test would otherwise take seconds.
    monkeypatch.setattr(auth, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))


@pytest.fixture
def world(app: Flask, root_conftest: ModuleType) -> World:
    return build_world(app, root_conftest)


@pytest.fixture
def clients(app: Flask, world: World) -> dict[str, FlaskClient]:
    """One test client per role: anonymous, coord_a (owns round A), coord_b, admin."""
    return {"anonymous": app.test_client(),
            **{name: signed_in(app, user) for name, user in world.users.items()}}
