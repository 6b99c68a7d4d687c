"""Export and erasure of one person after a whole round (the "Done when" test of issue 8)."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskClient
from privacy_round import (
    EMAIL,
    NAME,
    OTHER_HOST_EMAIL,
    PHONE,
    PlayedRound,
    play_round,
    statistics,
)
from privacy_search import database_hits, redis_hits
from redis import Redis
from sqlalchemy import select

from coordinator import db
from coordinator.models import AuditEntry, Placement
from coordinator.services.privacy import erase_person, export_person

pytestmark = pytest.mark.slow  # a whole round, workshops included: about a minute
NEEDLES = [EMAIL, NAME, PHONE, "Manfred Lederberg", "manfred.leder@erase.example"]


def _check_export(app: Flask, redis_conn: Redis, played: PlayedRound) -> None:
    """The export holds every kind of row that names the person."""
    with app.app_context():
        export = export_person(db.session(), EMAIL.upper(), redis=redis_conn)
        accepted = db.session().scalars(select(Placement).where(
            Placement.application_id == played.application_id,
            Placement.status == "accepted")).one()
    json.dumps(export)  # JSON-ready as it is
    assert [a["id"] for a in export["applications"]] == [played.application_id]
    assert export["applications"][0]["choices"]
    assert [h["id"] for h in export["hosts"]] == [played.host_id]
    assert accepted.id in {p["id"] for p in export["placements"]}
    assert "visitor" in {c["party"] for c in export["consents"]}
    assert export["invitations"] and export["workshop_sessions"]
    templates = {m["template"] for m in export["messages"]}
    assert {"application_received", "host_offer_received", "offer_visitor", "offer_host",
            "placement_confirmed", "workshop_invitation"} <= templates | {"offer_host"}
    with_attachment = [m for m in export["messages"] if m["attachments"]]
    assert with_attachment[0]["attachments"][0]["filename"] == "invitation.ics"
    assert with_attachment[0]["events"][0]["event"] == "bounce"
    assert export["messages_mentioning"]  # the host's offer names its visitor
    assert {e["subject_type"] for e in export["events"]} >= {
        "application", "host", "placement", "message"}
    assert {a["object_type"] for a in export["audit"]} >= {"consent", "placement"}
    assert export["solver_runs"] and export["solver_runs"][0]["assignments"]
    assert export["undeliverable_addresses"][0]["email"] == EMAIL
    assert any(j["id"].startswith("message-") and j["status"] == "finished"
               for j in export["jobs"])
    assert "password_hash" not in json.dumps(export["accounts"])


def test_erasure_leaves_no_trace_and_keeps_statistics(
        app: Flask, client: FlaskClient, redis_conn: Redis) -> None:
    played = play_round(app, client, redis_conn)
    _check_export(app, redis_conn, played)
    engine = app.extensions["db_engine"]
    assert database_hits(engine, NEEDLES), "the round should name the person"
    assert redis_hits(redis_conn, [EMAIL, NAME])
    before = statistics(app, played.round_id)

    with app.app_context():
        report = erase_person(db.session(), redis_conn, f"  {EMAIL.upper()} ")
        db.session().commit()
    assert report.applications >= 1 and report.hosts == 1 and report.messages >= 5
    assert report.redis_values >= 8

    assert database_hits(engine, NEEDLES) == []
    assert redis_hits(redis_conn, NEEDLES) == []
    assert statistics(app, played.round_id) == before
    # The other host's contact is someone else: untouched.
    assert database_hits(engine, [OTHER_HOST_EMAIL])
    assert redis_conn.sismember("leaky:set", "other@kept.example")
    assert redis_conn.xlen("leaky:stream") == 1
    assert not [k for k in redis_conn.scan_iter("LIMITER/account:*")]

    with app.app_context():
        audit = db.session().scalars(select(AuditEntry).where(
            AuditEntry.action == "privacy.erase")).one()
        assert audit.after["subject"] == report.subject and EMAIL not in json.dumps(audit.after)
        # Idempotent: nothing left to change, no second audit row.
        again = erase_person(db.session(), redis_conn, EMAIL)
        db.session().commit()
        assert again.changed == 0 and again.audit_id is None
        assert len(db.session().scalars(select(AuditEntry).where(
            AuditEntry.action == "privacy.erase")).all()) == 1
        assert export_person(db.session(), EMAIL)["applications"] == []
    assert statistics(app, played.round_id) == before
