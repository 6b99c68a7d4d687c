"""Server-rendered pages for coordinators: rounds, records, matching, pictures, emails, jobs."""

from __future__ import annotations

from flask import Flask


def register_dashboard(app: Flask) -> None:
    # Importing the route modules attaches their views to the one `dashboard` blueprint.
    from coordinator.dashboard import (  # noqa: F401
        emails,
        exports,
        jobs,
        matching,
        pictures,
        records,
        responses,
        rounds,
        workshops,
    )
    from coordinator.dashboard.blueprint import bp

    app.register_blueprint(bp)
