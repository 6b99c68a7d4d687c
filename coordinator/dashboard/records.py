"""Dashboard pages: a round's applications and hosts as searchable, filterable tables, their
detail pages with the audit trail, and the coordinator's small edits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from sqlalchemy import func, select

from coordinator import db
from coordinator.dashboard.blueprint import bp
from coordinator.dashboard.helpers import (
    actor_id,
    audit_trail,
    form_errors,
    integer_or_text,
    paginate,
    record_for_view,
    round_for_view,
    state_label,
)
from coordinator.dashboard.record_edits import (
    APPLICATION_STATUSES,
    HOST_STATUSES,
    edit_application,
    edit_host,
)
from coordinator.models import Application, ApplicationChoice, Host, Placement
from coordinator.pages.options import (
    ORG_LEVEL_LABELS,
    labelled,
    municipality_name,
    municipality_options,
)
from coordinator.schemas.rounds import ListArgs
from coordinator.services.records import filtered_query, python_filter

__all__ = ["bp"]
FILTERS = ("q", "municipality_code", "org_level", "topic", "status")


def _options(statuses: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(status, state_label(status)) for status in statuses]


def _filter_args() -> tuple[dict[str, Any], dict[str, list[str]]]:
    raw = {key: request.args.get(key, "").strip() for key in FILTERS}
    return form_errors(ListArgs(), {key: value for key, value in raw.items() if value})


def _listing(model: type[Host] | type[Application], round_id: int, template: str,
             statuses: tuple[str, ...]) -> ResponseReturnValue:
    round_ = round_for_view(round_id)
    args, errors = _filter_args()
    rows: list[Any] = []
    if not errors:
        query = filtered_query(model, round_id, args)
        rows = python_filter(list(db.session().scalars(query)), args)
    return render_template(
        template, round_=round_, page=paginate(rows), errors=errors,
        filters={key: request.args.get(key, "") for key in FILTERS},
        municipalities=municipality_options(), levels=labelled(ORG_LEVEL_LABELS),
        statuses=_options(statuses), place=municipality_name,
    ), (400 if errors else 200)


@bp.get("/rounds/<int:round_id>/applications")
def applications(round_id: int) -> ResponseReturnValue:
    return _listing(Application, round_id, "dashboard/applications.html", APPLICATION_STATUSES)


@bp.get("/rounds/<int:round_id>/hosts")
def hosts(round_id: int) -> ResponseReturnValue:
    return _listing(Host, round_id, "dashboard/hosts.html", HOST_STATUSES)


def _edit_form() -> tuple[dict[str, Any], str]:
    changes: dict[str, Any] = {"weeks": request.form.getlist("weeks")}
    for name in ("capacity", "min_visitors", "visit_days", "max_km"):
        if name in request.form:
            changes[name] = integer_or_text(request.form.get(name))
    return changes, request.form.get("status", "")


def _record_page(model: type[Host] | type[Application], record_id: int, kind: str,
                 editor: Callable[..., dict[str, list[str]]], done: str,
                 statuses: tuple[str, ...],
                 page_context: Callable[[Any], dict[str, Any]]) -> ResponseReturnValue:
    """A record's detail page with its edit form (``dashboard/<kind>.html``): a POST that
    stores redirects back to the page; a GET shows it, a POST with errors shows it (400)."""
    record = record_for_view(model, record_id, kind)
    round_ = round_for_view(record.round_id)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        session = db.session()
        changes, status = _edit_form()
        errors = editor(session, record, round_, changes, status, actor_id())
        if not errors:
            session.commit()
            flash(done)
            return redirect(url_for(request.endpoint or "", **(request.view_args or {})))
        session.rollback()
    return render_template(
        f"dashboard/{kind}.html", round_=round_, record=record, errors=errors,
        status_options=_options(statuses), place=municipality_name,
        trail=audit_trail(kind, record.id), **page_context(record),
    ), (400 if errors else 200)


@bp.route("/applications/<int:application_id>", methods=["GET", "POST"])
def application(application_id: int) -> ResponseReturnValue:
    return _record_page(Application, application_id, "application", edit_application,
                        gettext("The application was saved."), APPLICATION_STATUSES,
                        _application_context)


def _application_context(record: Application) -> dict[str, Any]:
    """The hosts the visitor ranked, and the placements made for them."""
    session = db.session()
    ranked_hosts = {h.id: h for h in session.scalars(select(Host).where(
        Host.id.in_(record.ranked_host_ids)))}
    placements = session.scalars(select(Placement).where(
        Placement.application_id == record.id).order_by(Placement.id)).all()
    return {"choices": [(c.rank, ranked_hosts.get(c.host_id)) for c in record.choices],
            "placements": placements,
            "hosts_by_id": {p.host_id: session.get(Host, p.host_id) for p in placements}}


@bp.route("/hosts/<int:host_id>", methods=["GET", "POST"])
def host(host_id: int) -> ResponseReturnValue:
    return _record_page(Host, host_id, "host", edit_host, gettext("The host was saved."),
                        HOST_STATUSES, _host_context)


def _host_context(record: Host) -> dict[str, Any]:
    """How many visitors ranked the host first, second, ..."""
    ranked = db.session().execute(
        select(ApplicationChoice.rank, func.count()).where(ApplicationChoice.host_id == record.id)
        .group_by(ApplicationChoice.rank).order_by(ApplicationChoice.rank)).all()
    return {"ranked": ranked}
