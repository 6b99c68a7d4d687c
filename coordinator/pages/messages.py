"""Validation messages for people: marshmallow's and the services' English texts, translated.

The schemas and services speak English to the API. The pages show the same rules in the
reader's language, so the known texts are mapped here instead of duplicating the rules.
An unknown text is shown as it is: better English than nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import gettext


def N_(message: str) -> str:
    """Mark a msgid for extraction (Babel's default keyword) without translating it yet."""
    return message


# Exact texts of marshmallow 4 and of coordinator/schemas/common.py, intake.py and the services.
EXACT: dict[str, str] = {
    "Missing data for required field.": N_("This field is required."),
    "Field may not be null.": N_("This field is required."),
    "Not a valid email address.": N_("Enter a valid email address, like name@example.dk."),
    "Not a valid integer.": N_("Enter a whole number."),
    "Not a valid number.": N_("Enter a number."),
    "Not a valid string.": N_("Enter text."),
    "Not a valid boolean.": N_("Choose yes or no."),
    "Invalid input type.": N_("Choose from the list."),
    "Not a valid list.": N_("Choose from the list."),
    "must not be blank": N_("This field must not be blank."),
    "must not contain HTML markup": N_("Write plain text without HTML tags."),
    "must not contain control characters": N_("Remove the invisible control characters."),
    "give a municipality code or lat and lon": N_("Choose a municipality."),
    "rank at least one host or say you are open to any":
        N_("Choose at least one host, or tick that you are open to any host."),
    "your team-mate cannot be yourself": N_("Your colleague cannot be yourself."),
    "your manager must be someone else": N_("Your manager must be someone other than you."),
    "must not name the same item twice": N_("Each choice may appear only once."),
    "must not exceed capacity": N_("Must not be more than the number of visitors you can take."),
    "not a phone number": N_("Enter a phone number, like +45 12 34 56 78."),
    "at most 5 ranked hosts": N_("Choose at most 5 hosts."),
    "another application uses this address":
        N_("Another application in this round uses this email address."),
    "coordinates must lie in Denmark": N_("Choose a municipality."),
    "lat and lon go together": N_("Choose a municipality."),
}

# Texts with numbers or names inside; the named groups fill the translation's placeholders.
PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^Length must be between (?P<min>\d+) and (?P<max>\d+)\.$"),
     N_("Must be between %(min)s and %(max)s characters long.")),
    (re.compile(r"^Shorter than minimum length (?P<min>\d+)\.$"),
     N_("Too short: at least %(min)s.")),
    (re.compile(r"^Longer than maximum length (?P<max>\d+)\.$"),
     N_("Too long: at most %(max)s.")),
    (re.compile(r"^Must be greater than or equal to (?P<min>\S+) and less than or equal to "
                r"(?P<max>\S+)\.$"),
     N_("Must be a number from %(min)s to %(max)s.")),
    (re.compile(r"^Must be one of: .*\.$"), N_("Choose one of the options.")),
    (re.compile(r"^unknown municipality code"), N_("Choose a municipality from the list.")),
    (re.compile(r"is not (an ISO week like|a week of)"), N_("Choose from the listed weeks.")),
    (re.compile(r"^(?P<weeks>.+) not in this round's weeks \((?P<round_weeks>.*)\)$"),
     N_("%(weeks)s is not one of this round's weeks (%(round_weeks)s).")),
    (re.compile(r"^host \d+ is not offered in this round$"),
     N_("This host is no longer offered in this round; choose another.")),
]


def translate(message: str) -> str:
    """The reader's-language text for one English validation message."""
    if message in EXACT:
        return gettext(EXACT[message])
    for pattern, msgid in PATTERNS:
        match = pattern.search(message)
        if match:
            return gettext(msgid, **match.groupdict())
    return message


def flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested errors ({"host_choices": {0: [...]}}) as dotted keys."""
    if isinstance(messages, Mapping):
        flat: dict[str, list[str]] = {}
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for sub, texts in flatten(value, name).items():
                flat.setdefault(sub, []).extend(texts)
        return flat
    if isinstance(messages, str):
        return {prefix: [messages]}
    if isinstance(messages, Iterable):
        flat = {}
        for item in messages:
            for sub, texts in flatten(item, prefix).items():
                flat.setdefault(sub, []).extend(texts)
        return flat
    return {prefix: [str(messages)]}
