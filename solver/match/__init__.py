"""Matching visitors to hosts (``internship-match/1``, spec/solver-v1.md section 1).

Pipeline: :mod:`codec` decodes and validates the JSON, :mod:`arcs` builds the feasible
visitor-host pairs as numpy arrays, :mod:`flow` solves the b-matching core exactly by
min-cost flow (with :mod:`pricing` when unranked hosts are allowed), :mod:`cpsat` handles
teams and minimum fills, :mod:`explain` and :mod:`report` describe the result, and
:mod:`check` verifies any result independently.
"""

from solver.match.api import solve_match, solve_match_json
from solver.match.model import MatchInstance, MatchResult

__all__ = ["MatchInstance", "MatchResult", "solve_match", "solve_match_json"]
