"""Frozen dataclasses of the workshop problem and its result (spec/solver-v1.md section 2)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

PREP, FOLLOWUP = "prep", "followup"
KINDS = (PREP, FOLLOWUP)


@dataclass(frozen=True)
class Person:
    id: str
    lat: float
    lon: float
    unavailable: frozenset[dt.date] = frozenset()
    max_km: float | None = None  # None: fall back to settings.max_km (None = no limit)


@dataclass(frozen=True)
class Group:
    id: str
    host: str | None
    week: str
    monday: dt.date
    sunday: dt.date
    people: tuple[Person, ...]
    language: str | None = None

    @property
    def size(self) -> int:
        return len(self.people)


@dataclass(frozen=True)
class Session:
    id: str
    kind: str  # PREP or FOLLOWUP
    date: dt.date
    lat: float
    lon: float
    capacity: int
    language: str | None = None
    min_fill: int = 0  # run with at least this many people, or cancel (0 = always allowed)


@dataclass(frozen=True)
class Settings:
    min_days_before: int = 7
    min_days_after: int = 7
    time_limit_s: float = 30.0
    workers: int = 2
    seed: int = 0
    max_km: float | None = None
    min_fill: int = 0
    keep: bool = False


@dataclass(frozen=True)
class Previous:
    group: str
    prep: str
    followup: str


@dataclass(frozen=True)
class WorkshopProblem:
    groups: tuple[Group, ...]
    sessions: tuple[Session, ...]
    settings: Settings = Settings()
    previous: tuple[Previous, ...] = ()


@dataclass(frozen=True)
class ScheduledGroup:
    group: str
    prep: str
    followup: str
    km: int


@dataclass(frozen=True)
class Unscheduled:
    group: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Levels:
    """One value per lexicographic level; ``kept`` only when ``settings.keep`` is on."""

    scheduled: int
    total_km: int
    kept: int | None = None

    def as_dict(self) -> dict[str, int]:
        out = {"scheduled": self.scheduled}
        if self.kept is not None:
            out["kept"] = self.kept
        out["total_km"] = self.total_km
        return out


@dataclass(frozen=True)
class WorkshopResult:
    status: str
    schedule: tuple[ScheduledGroup, ...]
    unscheduled: tuple[Unscheduled, ...]
    objective: Levels
    bound: Levels
    load: dict[str, int]
    cancelled: tuple[str, ...]
    stats: dict[str, object] = field(default_factory=dict)
