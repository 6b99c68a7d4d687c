"""Calendar invitations (.ics) that Outlook and Gmail show as invitations, not as files."""

from __future__ import annotations

import datetime as dt
from typing import Literal
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress, vText

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
PRODID = "-//Innovation internship coordinator//EN"


def invitation_ics(
    uid: str,
    sequence: int,
    summary: str,
    start: dt.datetime,
    end: dt.datetime,
    location: str,
    organiser_email: str,
    attendee_emails: list[str],
    method: Literal["REQUEST", "CANCEL"] = "REQUEST",
    dtstamp: dt.datetime | None = None,
) -> bytes:
    """One VEVENT; keep ``uid`` stable per invitation and raise ``sequence`` on every change.

    Naive ``start``/``end`` are wall-clock times in Copenhagen. ``dtstamp`` defaults to now;
    the bytes are stored with the message, so retries resend the same DTSTAMP.
    """
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"method must be REQUEST or CANCEL, got {method!r}")
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", dtstamp or dt.datetime.now(dt.UTC))
    event.add("dtstart", _local(start))
    event.add("dtend", _local(end))
    event.add("summary", summary)
    event.add("location", location)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    organiser = vCalAddress(f"mailto:{organiser_email}")
    organiser.params["cn"] = vText("Innovation internship")
    event.add("organizer", organiser)
    for email in attendee_emails:
        attendee = vCalAddress(f"mailto:{email}")
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText("NEEDS-ACTION")
        attendee.params["rsvp"] = vText("TRUE")
        event.add("attendee", attendee, encode=0)
    cal.add_component(event)
    # The VTIMEZONE lets clients without a tz database place TZID=Europe/Copenhagen.
    cal.add_missing_timezones()
    return cal.to_ical()


def _local(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=COPENHAGEN)
    return moment.astimezone(COPENHAGEN)
