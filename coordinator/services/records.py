"""Filtering a round's hosts or applications: the records API and the dashboard's lists."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from coordinator.models import Application, Host
from coordinator.municipalities import municipality_by_code

Record = type[Host] | type[Application]


def filtered_query(model: Record, round_id: int, args: dict[str, Any]) -> Select[Any]:
    """The round's rows of ``model`` with the SQL filters (status, municipality, level)."""
    query = select(model).where(model.round_id == round_id).order_by(model.id)
    if args.get("status"):
        query = query.where(model.status == args["status"])
    if args.get("municipality_code"):
        place = municipality_by_code(args["municipality_code"])
        # "0751", "751" and " 751" name the same municipality; an unknown code matches nothing.
        query = query.where(model.municipality_code == (place.code if place else None))
    if args.get("org_level"):
        query = query.where(model.org_level == args["org_level"])
    return query


def needs_python_filter(args: dict[str, Any]) -> bool:
    return bool(args.get("topic") or args.get("q"))


def _searchable(item: Any) -> tuple[str, ...]:
    second = item.name if isinstance(item, Application) else item.innovation_title
    return (item.organisation or "", second or "")


def python_filter(items: list[Any], args: dict[str, Any]) -> list[Any]:
    """The topic and free-text filters, on the rows the SQL filters left."""
    # Topics are a JSON list, which SQLite and PostgreSQL query differently, and SQLite's
    # lower() and LIKE only fold ASCII ("Århus"), with % and _ as wildcards: both filters run
    # here, with Python's case folding.
    topic, q = args.get("topic"), args.get("q")
    if topic:
        wanted = topic.casefold()
        items = [item for item in items if wanted in (t.casefold() for t in item.topics or [])]
    if q:
        needle = q.casefold()
        items = [item for item in items
                 if any(needle in text.casefold() for text in _searchable(item))]
    return items
