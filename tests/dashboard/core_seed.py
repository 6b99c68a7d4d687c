"""Rows the dashboard-core tests need, written through the real services."""

from __future__ import annotations

from typing import Any

from conftest import application_payload, host_payload
from flask import Flask

from coordinator import db
from coordinator.schemas.intake import ApplicationIn, HostIn
from coordinator.services import intake


def add_host(round_id: int, **overrides: Any) -> Any:
    return intake.submit_host_offer(db.session(), round_id, HostIn().load(host_payload(**overrides)))


def add_application(round_id: int, host_ids: list[int], **overrides: Any) -> Any:
    return intake.submit_application(db.session(), round_id,
                                     ApplicationIn().load(application_payload(host_ids, **overrides)))


def seed_records(app: Flask, round_id: int) -> dict[str, Any]:
    """Two hosts and two applications in an open round; their ids."""
    with app.app_context():
        session = db.session()
        aarhus = add_host(round_id)
        odense = add_host(round_id, **dict(
            organisation="Odense Kommune", municipality_code="461", org_level="municipality",
            innovation_title="Klimatilpasning", topics=["klima"],
            contact_email="bo@odense.example"))
        mads = add_application(round_id, [aarhus.id])
        lise = add_application(round_id, [odense.id, aarhus.id], **dict(
            name="Lise Østergaard", email="lise@aalborg.example", organisation="Region Nordjylland", org_level="region", municipality_code="851",
            topics=["klima"]))
        session.commit()
        return {"hosts": [aarhus.id, odense.id], "applications": [mads.id, lise.id]}
