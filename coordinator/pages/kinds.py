"""The two things people submit, applications and host offers, described once for the pages.

The routes for both are the same flow (form, signed link, edit, withdraw); what differs is the
schema, the service functions, the fields and the templates, collected here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import format_date, get_locale, gettext
from marshmallow import Schema
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from coordinator.models import Application, Host, Round
from coordinator.models.application import MAX_CHOICES
from coordinator.pages import forms, options
from coordinator.schemas.intake import ApplicationIn, HostIn
from coordinator.services import intake
from solver.weeks import week_monday, week_sunday


@dataclass(frozen=True)
class Kind:
    name: str  # "application" or "host": template names, URLs and messages use it
    model: type[Application] | type[Host]
    purpose: str  # of the signed link
    schema: type[Schema]
    fields: tuple[forms.FieldSpec, ...]
    from_form: Callable[[MultiDict[str, str]], tuple[dict[str, Any], forms.FormState]]
    values: Callable[[Any], dict[str, Any]]
    submit: Callable[[Session, int, dict[str, Any]], Any]
    update: Callable[[Session, Any, dict[str, Any]], Any]
    withdraw: Callable[[Session, Any], Any]
    email_field: str  # where the edit link is mailed


APPLICATION = Kind(
    name="application", model=Application, purpose="application-edit", schema=ApplicationIn,
    fields=forms.APPLICATION_FIELDS, from_form=forms.application_from_form,
    values=forms.application_values, submit=intake.submit_application,
    update=intake.update_application, withdraw=intake.withdraw_application, email_field="email",
)
HOST = Kind(
    name="host", model=Host, purpose="host-edit", schema=HostIn, fields=forms.HOST_FIELDS,
    from_form=forms.host_from_form, values=forms.host_values, submit=intake.submit_host_offer,
    update=intake.update_host_offer, withdraw=intake.withdraw_host_offer,
    email_field="contact_email",
)


def blank_form(kind: Kind, round_: Round) -> forms.FormState:
    """A new, empty form; the language defaults to the one the page is read in."""
    values: dict[str, Any] = {"language": str(get_locale()), "weeks": [], "topics": ""}
    defaults = kind.schema().fields
    # Start from the schema's own defaults, so the form and the API agree on them.
    if kind is HOST:
        values.update({name: str(defaults[name].load_default)
                       for name in ("min_visitors", "visit_days")}, capacity="1")
    else:
        values["max_km"] = str(round_.default_max_km)  # what the service fills in when absent
    return forms.FormState(values, kind.fields)


def week_label(week: str) -> str:
    pattern = "d. MMMM" if str(get_locale()) == "da" else "d MMMM"
    return gettext("Week %(number)s (%(start)s to %(end)s)", number=int(week[-2:]),
                   start=format_date(week_monday(week), pattern),
                   end=format_date(week_sunday(week), pattern + " y"))


def form_context(session: Session, kind: Kind, round_: Round,
                 form: forms.FormState) -> dict[str, Any]:
    """Everything a form template needs besides the form itself."""
    context: dict[str, Any] = {
        "kind": kind.name,
        "round": round_,
        "form": form,
        "fields": kind.fields,
        "labels": {spec.name: spec.label for spec in kind.fields},
        "municipalities": options.municipality_options(),
        "org_levels": options.labelled(options.ORG_LEVEL_LABELS),
        "languages": options.labelled(options.LANGUAGE_LABELS),
        "weeks": [(week, week_label(week)) for week in round_.weeks],
    }
    if kind is APPLICATION:
        context["hosts"] = options.host_options(session, round_.id)
        context["max_choices"] = MAX_CHOICES
    return context


def summary_rows(session: Session, kind: Kind, record: Any) -> list[tuple[str, str]]:
    """(label msgid, text) of a stored record, for the read-only view."""
    rows: list[tuple[str, str]] = []
    for spec in kind.fields:
        value = getattr(record, spec.name, None)
        if spec.name == "host_choices":
            value = "; ".join(options.host_titles(session, record.ranked_host_ids))
        elif spec.name == "open_to_any":
            value = gettext("Yes") if value else gettext("No")
        elif spec.name == "weeks":
            value = (", ".join(week_label(week) for week in value or [])
                     or gettext("Any of the round's weeks"))
        elif spec.name == "topics":
            value = ", ".join(value or [])
        elif spec.name == "municipality_code":
            value = options.municipality_name(value)
        elif spec.name == "org_level":
            value = options.label_of(options.ORG_LEVEL_LABELS, value)
        elif spec.name == "language":
            value = options.label_of(options.LANGUAGE_LABELS, value)
        rows.append((spec.label, "" if value is None else str(value)))
    return rows
