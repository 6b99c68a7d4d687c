"""The Danish catalogue: complete for every msgid in the code, compiled .mo matching the .po."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask

from coordinator.i18n import init_app as init_i18n
from coordinator.pages.messages import flatten, translate

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "coordinator" / "translations" / "da" / "LC_MESSAGES"


def _entries(catalog: object) -> dict[str, str]:
    return {m.id: m.string for m in catalog if m.id}  # type: ignore[attr-defined]


def test_mo_is_compiled_from_the_current_po() -> None:
    with open(CATALOGUE / "messages.po", "rb") as po, open(CATALOGUE / "messages.mo", "rb") as mo:
        assert _entries(read_mo(mo)) == _entries(read_po(po)), (
            "run: .venv/bin/pybabel compile -d coordinator/translations")


def test_every_msgid_in_the_code_has_a_danish_translation(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    CommandLineInterface().run(["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"),
                                "-o", str(pot), str(ROOT)])
    with open(pot, "rb") as handle:
        extracted = {m.id for m in read_po(handle) if m.id}
    with open(CATALOGUE / "messages.po", "rb") as handle:
        translated = {key for key, text in _entries(read_po(handle)).items() if text}
    assert extracted, "nothing extracted: check babel.cfg"
    assert sorted(extracted - translated) == [], "see babel.cfg for the update commands"


def test_nested_schema_errors_become_dotted_keys() -> None:
    assert flatten({"host_choices": {0: ["Not a valid integer."]}, "name": ["a", "b"]}) == {
        "host_choices.0": ["Not a valid integer."], "name": ["a", "b"]}


@pytest.mark.parametrize("english,danish", [
    ("Missing data for required field.", "Feltet skal udfyldes."),
    ("Length must be between 1 and 200.", "Skal være mellem 1 og 200 tegn."),
    ("Must be greater than or equal to 10 and less than or equal to 1000.",
     "Skal være et tal fra 10 til 1000."),
    ("2027-W40 not in this round's weeks (2027-W37, 2027-W38)",
     "2027-W40 er ikke en af rundens uger (2027-W37, 2027-W38)."),
    ("something new from a schema", "something new from a schema"),
])
def test_validation_messages_are_translated(english: str, danish: str) -> None:
    app = Flask(__name__, root_path=str(ROOT / "coordinator"))
    app.secret_key = "test"  # ?lang= is remembered in the session
    init_i18n(app)
    with app.test_request_context("/?lang=da"):
        assert translate(english) == danish
    with app.test_request_context("/?lang=en"):
        assert translate("Missing data for required field.") == "This field is required."
