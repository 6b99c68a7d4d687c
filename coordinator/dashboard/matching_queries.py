"""What the matching, pictures and export pages show: runs' rows with names, comparisons,
and the parsing of a run request from a form. No Flask request objects here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator.models import Application, Host, SolverRun
from coordinator.services import matching

OBJECTIVES = ("canonical", "minimax_rank")
SORT_KEYS = ("visitor", "host", "week", "rank", "km")
TIME_LIMIT_RANGE = (1.0, 600.0)  # the API's range: always below the solve job's timeout


@dataclass(frozen=True)
class Row:
    application_id: int
    host_id: int
    visitor: str
    organisation: str
    host: str
    week: str | None
    rank: int | None
    km: int | None
    innovation: str = ""  # tells apart two hosts of one organisation

    @property
    def pair(self) -> str:
        return f"{self.application_id}:{self.host_id}"


def names(session: Session, round_id: int) -> tuple[dict[int, Application], dict[int, Host]]:
    apps = {a.id: a for a in session.scalars(select(Application)
                                             .where(Application.round_id == round_id))}
    hosts = {h.id: h for h in session.scalars(select(Host).where(Host.round_id == round_id))}
    return apps, hosts


def rows_for_assignments(assignments: Iterable[dict[str, Any]], apps: dict[int, Application],
                         hosts: dict[int, Host]) -> list[Row]:
    rows = []
    for item in assignments:
        app, host = apps.get(item["application_id"]), hosts.get(item["host_id"])
        rows.append(Row(item["application_id"], item["host_id"],
                        app.name if app else f"#{item['application_id']}",
                        app.organisation if app else "",
                        host.organisation if host else f"#{item['host_id']}",
                        item.get("week"), item.get("rank"), item.get("km"),
                        host.innovation_title if host else ""))
    return rows


def sort_rows(rows: Sequence[Row], key: str, descending: bool) -> list[Row]:
    """Sorted by one column; empty values (unranked, no week) last whichever the direction."""
    if key not in SORT_KEYS:
        key = "visitor"

    def value(row: Row) -> Any:
        raw = getattr(row, key)
        return raw.casefold() if isinstance(raw, str) else raw

    present = [r for r in rows if getattr(r, key) is not None]
    missing = [r for r in rows if getattr(r, key) is None]
    return sorted(present, key=value, reverse=descending) + missing


def unplaced_rows(result: dict[str, Any], apps: dict[int, Application]) -> list[dict[str, Any]]:
    out = []
    for item in result.get("unassigned", []):
        app = apps.get(item["application_id"])
        out.append({"application_id": item["application_id"],
                    "visitor": app.name if app else f"#{item['application_id']}",
                    "organisation": app.organisation if app else "",
                    "reasons": item.get("reasons") or []})
    return out


@dataclass
class Comparison:
    """What moved between run `a` and run `b`, per visitor."""

    added: list[tuple[Row, None]] = field(default_factory=list)  # placed only in b
    removed: list[tuple[Row, None]] = field(default_factory=list)  # placed only in a
    moved: list[tuple[Row, Row]] = field(default_factory=list)  # another host
    week_changed: list[tuple[Row, Row]] = field(default_factory=list)  # same host, other week
    unchanged: int = 0
    rank_delta: int = 0  # sum over visitors placed in both runs (b - a); negative is better
    km_delta: int = 0


def compare_rows(a: Sequence[Row], b: Sequence[Row]) -> Comparison:
    by_a = {r.application_id: r for r in a}
    by_b = {r.application_id: r for r in b}
    result = Comparison()
    for visitor in sorted(set(by_a) | set(by_b)):
        old, new = by_a.get(visitor), by_b.get(visitor)
        if old is None:
            result.added.append((new, None))
        elif new is None:
            result.removed.append((old, None))
        else:
            if old.host_id != new.host_id:
                result.moved.append((old, new))
            elif old.week != new.week:
                result.week_changed.append((old, new))
            else:
                result.unchanged += 1
            result.rank_delta += (new.rank or 0) - (old.rank or 0)
            result.km_delta += (new.km or 0) - (old.km or 0)
    return result


def parse_pairs(values: Iterable[str], field_name: str, apps: dict[int, Application],
                hosts: dict[int, Host], errors: dict[str, list[str]],
                message: str) -> list[list[int]]:
    """'application:host' strings from check boxes into [application_id, host_id] pairs of this
    round; anything else is an error on `field_name` (the message names the bad value)."""
    pairs: list[list[int]] = []
    for value in values:
        left, _, right = value.partition(":")
        if not (left.isdigit() and right.isdigit()) or int(left) not in apps \
                or int(right) not in hosts:
            errors.setdefault(field_name, []).append(message.format(value=value))
            continue
        pair = [int(left), int(right)]
        if pair not in pairs:
            pairs.append(pair)
    return pairs


def run_with_rows(session: Session, round_id: int, run: SolverRun | None,
                  apps: dict[int, Application], hosts: dict[int, Host]) -> list[Row]:
    if run is None or not run.result:
        return []
    return rows_for_assignments(run.result.get("assignments", []), apps, hosts)


def find_run(session: Session, round_id: int, run_id: int | None) -> SolverRun | None:
    """The run asked for (if it belongs to the round), else the latest run."""
    if run_id is not None:
        run = session.get(SolverRun, run_id)
        return run if run is not None and run.round_id == round_id else None
    return matching.latest_run(session, round_id)


def latest_finished_run(session: Session, round_id: int) -> SolverRun | None:
    runs = [r for r in matching.runs_for_round(session, round_id) if r.status == "done"]
    return runs[-1] if runs else None
