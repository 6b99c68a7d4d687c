"""Hosts and applications of a round, for coordinators: paginated and filtered."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from coordinator import access, db
from coordinator.api.blueprint import Blueprint
from coordinator.api.paging import page_of
from coordinator.auth import coordinator_required
from coordinator.models import Application, Host
from coordinator.schemas.intake import ApplicationOut, HostOut
from coordinator.schemas.rounds import ListArgs
from coordinator.services import records
from coordinator.services.rounds import get_round

blp = Blueprint("records", __name__, url_prefix="/api",
                description="Hosts and applications (coordinators only)")
# Sign-in is checked before anything else (query arguments, pagination), so an anonymous
# caller always gets 401, never a 422 that tells what the endpoint accepts.
blp.before_request(coordinator_required(lambda: None))


def _list(model: type[Host] | type[Application], round_id: int, args: dict[str, Any],
          pagination: Any) -> list[Any]:
    get_round(db.session(), round_id)
    query = records.filtered_query(model, round_id, args)
    if not records.needs_python_filter(args):
        return page_of(query, pagination)
    rows = records.python_filter(list(db.session().scalars(query)), args)
    pagination.item_count = len(rows)
    start = (pagination.page - 1) * pagination.page_size
    return rows[start:start + pagination.page_size]


@blp.route("/rounds/<int:round_id>/hosts")
class RoundHosts(MethodView):
    @blp.arguments(ListArgs, location="query")
    @blp.response(200, HostOut(many=True))
    @blp.paginate()
    @coordinator_required
    def get(self, args: dict[str, Any], round_id: int, pagination_parameters: Any) -> Any:
        return _list(Host, round_id, args, pagination_parameters)


@blp.route("/rounds/<int:round_id>/applications")
class RoundApplications(MethodView):
    @blp.arguments(ListArgs, location="query")
    @blp.response(200, ApplicationOut(many=True))
    @blp.paginate()
    @coordinator_required
    def get(self, args: dict[str, Any], round_id: int, pagination_parameters: Any) -> Any:
        return _list(Application, round_id, args, pagination_parameters)


@blp.route("/hosts/<int:host_id>")
class HostById(MethodView):
    @blp.response(200, HostOut)
    @blp.alt_response(404, description="No such host")
    @coordinator_required
    def get(self, host_id: int) -> Any:
        return access.record_visible_or_404(Host, host_id, "host")


@blp.route("/applications/<int:application_id>")
class ApplicationById(MethodView):
    @blp.response(200, ApplicationOut)
    @blp.alt_response(404, description="No such application")
    @coordinator_required
    def get(self, application_id: int) -> Any:
        return access.record_visible_or_404(Application, application_id, "application")
