"""The outcome of a solve, separate from a crash (which is an exception)."""

from enum import StrEnum


class Status(StrEnum):
    OPTIMAL = "OPTIMAL"  # proven optimal for the whole lexicographic objective
    FEASIBLE = "FEASIBLE"  # a valid solution, optimality not proven (see ``bound``)
    INFEASIBLE = "INFEASIBLE"  # nothing could be placed / scheduled; reasons are given
