"""The choices the forms offer: municipalities, workplace types, languages, the round's hosts."""

from __future__ import annotations

from flask_babel import get_locale, gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator.models import Host
from coordinator.municipalities import all_municipalities, municipality_by_code
from coordinator.pages.messages import N_

ORG_LEVEL_LABELS = {
    "municipality": N_("Municipality"),
    "region": N_("Region"),
    "state": N_("State"),
    "other": N_("Other"),
}
LANGUAGE_LABELS = {"da": N_("Danish"), "en": N_("English")}
# Danish alphabetical order puts Æ, Ø, Å after Z (Python's code-point order puts Å first).
_DANISH_ORDER = str.maketrans({"æ": "z\x01", "ø": "z\x02", "å": "z\x03"})


def _english() -> bool:
    return str(get_locale()) == "en"


def municipality_name(code: str | None) -> str:
    place = municipality_by_code(code) if code else None
    if place is None:
        return code or ""
    return place.name_en if _english() else place.name


def municipality_options() -> list[tuple[str, str]]:
    """(code, name) of the 98 municipalities, in the reader's alphabetical order."""
    english = _english()
    named = [(m.code, m.name_en if english else m.name) for m in all_municipalities()]
    if english:
        return sorted(named, key=lambda item: item[1].casefold())
    return sorted(named, key=lambda item: item[1].casefold().translate(_DANISH_ORDER))


def labelled(labels: dict[str, str]) -> list[tuple[str, str]]:
    return [(value, gettext(label)) for value, label in labels.items()]


def label_of(labels: dict[str, str], value: str | None) -> str:
    return gettext(labels[value]) if value in labels else (value or "")


def host_options(session: Session, round_id: int) -> list[tuple[str, str]]:
    """(id, "title – organisation, municipality") of the round's active hosts."""
    hosts = session.scalars(select(Host).where(
        Host.round_id == round_id, Host.status == "active",
    ).order_by(Host.innovation_title, Host.organisation, Host.id)).all()
    return [(str(host.id), f"{host.innovation_title} – {host.organisation}, "
                           f"{municipality_name(host.municipality_code)}")
            for host in hosts]


def host_titles(session: Session, host_ids: list[int]) -> list[str]:
    """Display names of ranked hosts, in the given order (for the read-only summary)."""
    if not host_ids:
        return []
    hosts = {host.id: host for host in session.scalars(select(Host).where(Host.id.in_(host_ids)))}
    return [f"{hosts[i].innovation_title} – {hosts[i].organisation}" for i in host_ids if i in hosts]
