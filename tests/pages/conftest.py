"""Fixtures for the page tests; the form payloads live in page_helpers.py."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import func, select

from coordinator import db
from coordinator.models import Application, Event, Host, Message


@pytest.fixture
def table_counts(app: Flask) -> Callable[[], dict[str, int]]:
    """Rows per table that a submission writes to; compare before and after a request."""

    def counts() -> dict[str, int]:
        with app.app_context():
            session = db.session()
            return {model.__tablename__: session.scalar(select(func.count()).select_from(model))
                    for model in (Application, Host, Event, Message)}

    return counts
