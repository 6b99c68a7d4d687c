"""Input errors that name every bad field by its JSON path."""

from __future__ import annotations


class InvalidInput(ValueError):
    """The instance breaks the format; ``problems`` holds one ``path: message`` per fault."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems) if self.problems else "invalid input")


class Problems:
    """Collects ``path: message`` strings while a decoder walks the input, then raises once."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.items.append(f"{path}: {message}")

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise InvalidInput(self.items)
