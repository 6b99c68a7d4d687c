"""Dashboard pages: exports. Placements, applications and workshop lists as CSV (UTF-8 with a
byte-order mark, so Excel reads the æøå right) and XLSX, for the coordinator's own spreadsheets.

A cell that starts with = + - @ (or a tab or carriage return) is prefixed with an apostrophe: a
spreadsheet would otherwise run it as a formula (CSV injection; a visitor can name themselves
"=HYPERLINK(...)"). Every download is written to the audit log: it carries personal data.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from flask import Response, abort, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from sqlalchemy import select

from coordinator import db
from coordinator.dashboard import matching_queries as q
from coordinator.dashboard.blueprint import bp
from coordinator.dashboard.helpers import round_for_view, state_label
from coordinator.models import Invitation, Round, WorkshopSession
from coordinator.services.audit import record_audit
from coordinator.services.offers import current_placements

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("csv", "xlsx")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Table = tuple[list[str], list[list[Any]]]


def safe_cell(value: Any) -> Any:
    """The value as a spreadsheet should store it: text that looks like a formula gets a leading
    apostrophe; None becomes an empty cell; numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_bytes(table: Table) -> bytes:
    headers, rows = table
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow([safe_cell(h) for h in headers])
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def xlsx_bytes(table: Table, sheet_title: str) -> bytes:
    headers, rows = table
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title[:31]
    sheet.append([safe_cell(h) for h in headers])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        values = [safe_cell(v) for v in row]
        # openpyxl refuses control characters; they have no place in a list anyway.
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v
                      for v in values])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, never a formula, whatever it starts with
    sheet.freeze_panes = "A2"
    for index, header in enumerate(headers, start=1):
        longest = max([len(str(header))] + [len(str(r[index - 1] or "")) for r in rows[:500]])
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = min(longest + 2, 60)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def filename_for(round_: Round, kind: str, fmt: str) -> str:
    """'innovationspraktik-2027-placeringer-2026-11-28.xlsx': ASCII, no spaces."""
    name = round_.name.lower().translate(str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"}))
    name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", name).strip("-")[:60] or f"round-{round_.id}"
    return f"{slug}-{kind}-{dt.date.today().isoformat()}.{fmt}"


def placements_table(round_id: int) -> Table:
    """The offered placements once a run is published, else the latest finished run's."""
    session = db.session()
    apps, hosts = q.names(session, round_id)
    headers = [_("Visitor"), _("Visitor email"), _("Visitor workplace"), _("Manager"),
               _("Manager email"), _("Host"), _("Host contact"), _("Host contact email"),
               _("Week"), _("Choice"), _("km"), _("Status")]
    placements = current_placements(session, round_id)
    if placements:
        items = [(p.application_id, p.host_id, p.week, p.rank, p.km, state_label(p.status))
                 for p in placements]
    else:
        run = q.latest_finished_run(session, round_id)
        items = [(a["application_id"], a["host_id"], a.get("week"), a.get("rank"), a.get("km"),
                  _("proposed")) for a in ((run.result or {}).get("assignments", []) if run
                                           else [])]
    rows = []
    for app_id, host_id, week, rank, km, status in items:
        app, host = apps.get(app_id), hosts.get(host_id)
        rows.append([app.name if app else app_id, app.email if app else None,
                     app.organisation if app else None, app.manager_name if app else None,
                     app.manager_email if app else None,
                     host.organisation if host else host_id,
                     host.contact_name if host else None, host.contact_email if host else None,
                     week, rank, km, status])
    return headers, rows


def applications_table(round_id: int) -> Table:
    session = db.session()
    apps, hosts = q.names(session, round_id)
    headers = [_("ID"), _("Name"), _("Email"), _("Workplace"), _("Type of workplace"),
               _("Municipality code"), _("Topics"), _("Weeks"), _("Maximum km"), _("Language"),
               _("Open to any host"), _("Chosen hosts, best first"), _("Manager"),
               _("Manager email"), _("Status"), _("Submitted (UTC)")]
    rows = [[a.id, a.name, a.email, a.organisation, a.org_level, a.municipality_code,
             ", ".join(a.topics or []), ", ".join(a.weeks or []), a.max_km, a.language,
             _("yes") if a.open_to_any else _("no"),
             "; ".join(hosts[h].organisation if h in hosts else str(h)
                       for h in a.ranked_host_ids),
             a.manager_name, a.manager_email, state_label(a.status),
             a.created_at.strftime("%Y-%m-%d %H:%M") if a.created_at else None]
            for a in sorted(apps.values(), key=lambda a: a.id)]
    return headers, rows


def workshops_table(round_id: int) -> Table:
    session = db.session()
    _apps, hosts = q.names(session, round_id)
    headers = [_("Session"), _("Date"), _("Venue"), _("Capacity"), _("Language"), _("Host"),
               _("Host contact email"), _("Week"), _("People"), _("Reply")]
    invitations: dict[int, list[Invitation]] = {}
    for invitation in session.scalars(select(Invitation).where(Invitation.round_id == round_id)
                                      .order_by(Invitation.id)):
        invitations.setdefault(invitation.session_id, []).append(invitation)
    rows = []
    for item in session.scalars(select(WorkshopSession).where(
            WorkshopSession.round_id == round_id).order_by(WorkshopSession.date,
                                                           WorkshopSession.id)):
        base = [state_label(item.kind), item.date.isoformat(), item.venue, item.capacity,
                item.language]
        for invitation in invitations.get(item.id, []) or [None]:
            host = hosts.get(invitation.host_id) if invitation else None
            rows.append(base + ([host.organisation if host else invitation.host_id,
                                 host.contact_email if host else None, invitation.week,
                                 invitation.people, state_label(invitation.rsvp)]
                                if invitation else [None] * 5))
    return headers, rows


EXPORTS: dict[str, tuple[Callable[[int], Table], str]] = {
    "placements": (placements_table, "Placements"),
    "applications": (applications_table, "Applications"),
    "workshops": (workshops_table, "Workshops"),
}


@bp.get("/rounds/<int:round_id>/exports", endpoint="exports")
def exports_page(round_id: int) -> ResponseReturnValue:
    round_ = round_for_view(round_id)
    return render_template("dashboard/exports_page.html", round_=round_, kinds=list(EXPORTS),
                           formats=FORMATS)


@bp.get("/rounds/<int:round_id>/exports/<kind>.<fmt>")
def exports_download(round_id: int, kind: str, fmt: str) -> ResponseReturnValue:
    round_ = round_for_view(round_id)
    if kind not in EXPORTS or fmt not in FORMATS:
        abort(404)
    build, sheet_title = EXPORTS[kind]
    table = build(round_id)
    body = csv_bytes(table) if fmt == "csv" else xlsx_bytes(table, sheet_title)
    session = db.session()
    record_audit(session, current_user.id, "export.download", "round", round_id, None,
                 {"kind": kind, "format": fmt, "rows": len(table[1])})
    session.commit()
    mimetype = "text/csv; charset=utf-8" if fmt == "csv" else XLSX_MIMETYPE
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{filename_for(round_, kind, fmt)}"')
    response.headers["Cache-Control"] = "no-store"  # personal data: keep it out of caches
    return response
