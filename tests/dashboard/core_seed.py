"""Rows the dashboard-core tests need, written through the real services."""

from __future__ import annotations

from typing import Any

from flask import Flask
from testing_support import application_payload, host_payload

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


def seed_offers(app: Flask, round_id: int) -> dict[str, Any]:
    """The seeded records, offered as two placements of a finished run (round in 'offers')."""
    from coordinator.models import Round, SolverRun
    from coordinator.services import offers
    from coordinator.services.rounds import transition_round

    ids = seed_records(app, round_id)
    with app.app_context():
        session = db.session()
        round_ = session.get(Round, round_id)
        for state in ("closed", "matching", "review"):
            transition_round(session, round_, state, None)
        run = SolverRun(round_id=round_id, status="done", settings={}, result={})
        session.add(run)
        session.flush()
        assignments = [{"application_id": a, "host_id": h, "week": "2027-W37", "rank": 1, "km": 100}
                       for a, h in zip(ids["applications"], ids["hosts"], strict=True)]
        offers.offer_assignments(session, round_, run, assignments)
        transition_round(session, round_, "offers", None)
        session.commit()
        ids["placements"] = [p.id for p in offers.current_placements(session, round_id)]
    return ids
