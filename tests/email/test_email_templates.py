"""Every email template renders in Danish and English with exactly its documented context."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from icalendar import Calendar

from coordinator.services.calendar import invitation_ics
from coordinator.services.mail import render_email

EMAILS = Path(__file__).resolve().parents[2] / "templates" / "emails"
NAMES = sorted({p.name.split(".")[0] for p in EMAILS.glob("*.txt")})
CONTEXT = re.compile(r"^\{# context: (.*?) -?#\}")
SAMPLES: dict[str, Any] = {
    "visitors": [{"name": "Mads Nielsen", "organisation": "Odense Kommune"}],
    "rematched": True, "cancelled": False, "kind": "prep", "reason": "submitted",
}


def documented_context(name: str) -> dict[str, Any]:
    first = (EMAILS / f"{name}.en.txt").read_text().splitlines()[0]
    match = CONTEXT.match(first)
    assert match, f"{name}.en.txt must start with a {{# context: ... #}} comment"
    keys = [k.strip() for k in match.group(1).split(",")]
    return {k: SAMPLES.get(k, f"[{k}]") for k in keys}


def test_the_issue_templates_exist() -> None:
    assert {"application_received", "host_offer_received", "offer_host", "offer_visitor",
            "offer_manager", "deadline_reminder", "placement_confirmed", "placement_declined",
            "workshop_invitation", "workshop_reminder", "workshop_changed",
            "followup"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_template_renders_in_both_languages(app: Flask, name: str) -> None:
    context = documented_context(name)
    assert documented_context(name) == context
    with app.app_context():
        for language in ("da", "en"):
            assert CONTEXT.match((EMAILS / f"{name}.{language}.txt").read_text())
            subject, text, html = render_email(name, language, context)
            assert subject and "{" not in subject and "}" not in subject
            assert text.strip() and "<html" in html and "<style" not in html
            # Dropping any documented variable must fail: the comment is the contract.
            for key in context:
                if key in SAMPLES:
                    continue
                with pytest.raises(Exception, match=key):
                    render_email(name, language, {k: v for k, v in context.items() if k != key})


def test_followup_names_the_six_steps(app: Flask) -> None:
    with app.app_context():
        _, da, _ = render_email("followup", "da", documented_context("followup"))
        _, en, _ = render_email("followup", "en", documented_context("followup"))
    for step in ("Tjek", "Test", "Tilpas", "Fjern", "Implementer", "Høst"):
        assert step in da
    for step in ("Check", "Test", "Adapt", "Remove", "Implement", "Harvest"):
        assert step in en


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_ics_is_an_invitation(method: str) -> None:
    data = invitation_ics("workshop-7-group-3@example.org", 2, "Workshop",
                          dt.datetime(2027, 9, 13, 9), dt.datetime(2027, 9, 13, 15),
                          "Odense", "praktik@example.org", ["a@example.org", "b@example.org"],
                          method=method)  # type: ignore[arg-type]
    cal = Calendar.from_ical(data)
    assert str(cal["METHOD"]) == method
    event = cal.walk("VEVENT")[0]
    assert str(event["UID"]) == "workshop-7-group-3@example.org"
    assert int(event["SEQUENCE"]) == 2
    assert str(event["ORGANIZER"]) == "mailto:praktik@example.org"
    assert [str(a) for a in event["ATTENDEE"]] == ["mailto:a@example.org", "mailto:b@example.org"]
    assert event["DTSTART"].dt.tzinfo.key == "Europe/Copenhagen"
    assert cal.walk("VTIMEZONE")
