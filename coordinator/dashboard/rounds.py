"""Dashboard pages: rounds (being built)."""

from coordinator.dashboard.blueprint import bp

__all__ = ["bp"]
