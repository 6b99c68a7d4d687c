"""Frozen dataclasses for a matching instance and its result (ids as in the JSON)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from solver.status import Status

OBJECTIVES = ("canonical", "minimax_rank")


@dataclass(frozen=True)
class Host:
    id: str
    organisation: str
    lat: float
    lon: float
    capacity: int
    min_visitors: int = 0
    weeks: tuple[str, ...] = ()  # empty = any week
    ranking: tuple[str, ...] = ()  # visitor ids, best first
    org_level: str | None = None


@dataclass(frozen=True)
class Visitor:
    id: str
    organisation: str
    lat: float
    lon: float
    max_km: float
    weeks: tuple[str, ...] = ()
    ranking: tuple[str, ...] = ()  # host ids, best first
    team: str | None = None
    org_level: str | None = None


@dataclass(frozen=True)
class Settings:
    default_max_km: float = 250.0
    allow_unranked: bool = True
    unranked_cost: int = 10
    time_limit_s: float | None = None
    workers: int | None = None
    seed: int | None = None
    objective: str = "canonical"
    keep_previous: bool = False


@dataclass(frozen=True)
class MatchInstance:
    hosts: tuple[Host, ...]
    visitors: tuple[Visitor, ...]
    forbidden: tuple[tuple[str, str], ...] = ()
    fixed: tuple[tuple[str, str], ...] = ()
    previous: tuple[tuple[str, str], ...] = ()
    settings: Settings = field(default_factory=Settings)


@dataclass(frozen=True)
class Assignment:
    visitor: str
    host: str
    week: str | None
    rank: int | None  # 1-based position in the visitor's ranking, None when unranked
    km: int


@dataclass(frozen=True)
class Unassigned:
    visitor: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Objective:
    """One point of the lexicographic objective; ``kept``/``max_rank_cost`` only when asked for."""

    placed: int
    rank_cost: int
    total_km: int
    kept: int | None = None
    max_rank_cost: int | None = None

    def as_dict(self) -> dict[str, int]:
        out = {"placed": self.placed, "rank_cost": self.rank_cost, "total_km": self.total_km}
        if self.kept is not None:
            out["kept"] = self.kept
        if self.max_rank_cost is not None:
            out["max_rank_cost"] = self.max_rank_cost
        return out


@dataclass(frozen=True)
class MatchResult:
    status: Status
    assignments: tuple[Assignment, ...]
    unassigned: tuple[Unassigned, ...]
    objective: Objective
    bound: Objective
    blocking_pairs: int
    stats: dict[str, Any]
