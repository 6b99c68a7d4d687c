"""The one blueprint of the coordinators' dashboard; route modules add their views to it."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

from coordinator.auth import coordinator_required

bp = Blueprint("dashboard", __name__, url_prefix="/coordinator")


@bp.before_request
@coordinator_required
def _signed_in_coordinators_only() -> ResponseReturnValue | None:
    # Every dashboard page needs a coordinator or admin; per-round visibility is checked by the
    # views themselves (coordinator.access) because only they know which round is asked for.
    return None
