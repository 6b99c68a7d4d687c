"""Finding and masking a person's identifiers in any stored value (text, JSON, bytes).

Erasure first anonymises the columns it knows; this sweep then catches every other place a
name or an address was copied to (rendered email bodies, audit snapshots, remembered API
responses, bounce reasons, attachments), in every table of the model, so nothing new added
to the schema escapes it.

Matching runs on UTF-8 bytes with ASCII case folded, through one Aho-Corasick automaton for
all needles: a retention run looks for the addresses and names of a whole round (hundreds)
at once, which a regular expression or a list of SQL ``LIKE`` conditions does 20-50 times
slower.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import ahocorasick
from sqlalchemy import JSON, LargeBinary, String, Table, Text, select, update
from sqlalchemy.orm import Session

from coordinator.db import Base

PLACEHOLDER = "[erased]"
# Shorter names ("Bo") would also match inside unrelated words; the known columns holding
# them are anonymised directly, only the free-text sweep skips them.
MIN_NAME_LENGTH = 4


class Matcher:
    """All needles at once; bytes in, spans out (byte offsets, longest leftmost matches)."""

    def __init__(self, variants: Iterable[str]) -> None:
        self._automaton = ahocorasick.Automaton()
        for variant in variants:
            # latin-1 maps each byte to one character, so offsets stay byte offsets.
            key = variant.encode("utf-8", "surrogatepass").lower().decode("latin-1")
            self._automaton.add_word(key, len(key))
        self._automaton.make_automaton()

    def spans(self, data: bytes) -> list[tuple[int, int]]:
        haystack = data.lower().decode("latin-1")
        return [(end - length + 1, end + 1)
                for end, length in self._automaton.iter_long(haystack)]

    def replace(self, data: bytes, replacement: Callable[[int], bytes]) -> bytes:
        """``data`` with each match replaced by ``replacement(match length)``."""
        spans = self.spans(data)
        if not spans:
            return data
        parts, last = [], 0
        for start, end in spans:
            parts += [data[last:start], replacement(end - start)]
            last = end
        parts.append(data[last:])
        return b"".join(parts)


@dataclass(frozen=True)
class Needles:
    """The strings that identify one person (addresses, names, phone numbers)."""

    values: tuple[str, ...]

    @classmethod
    def of(cls, emails: Iterable[str | None], names: Iterable[str | None] = ()) -> Needles:
        found: set[str] = set()
        for email in emails:
            if email and email.strip():
                found.add(email.strip().lower())
        for name in names:
            if name and len(name.strip()) >= MIN_NAME_LENGTH and name.strip() != PLACEHOLDER:
                found.add(name.strip())
        return cls(tuple(sorted(found, key=len, reverse=True)))

    def __bool__(self) -> bool:
        return bool(self.values)

    def variants(self) -> list[str]:
        """Each needle as stored: plain, lower- and upper-cased, HTML-escaped (email bodies) and
        JSON-escaped (``\\u00f8``)."""
        out: set[str] = set()
        for value in self.values:
            for form in (value, value.lower(), value.upper()):
                out.update({form, html.escape(form), json.dumps(form)[1:-1]})
        return sorted(out, key=len, reverse=True)

    @cached_property
    def matcher(self) -> Matcher | None:
        return Matcher(self.variants()) if self.values else None


def scrub(value: Any, matcher: Matcher, replacement: str = PLACEHOLDER) -> Any:
    """``value`` with every match replaced; JSON structures are walked, keys included."""
    if isinstance(value, str):
        data = value.encode("utf-8", "surrogatepass")
        new = matcher.replace(data, lambda _n: replacement.encode("utf-8"))
        return value if new is data else new.decode("utf-8", "surrogatepass")
    if isinstance(value, dict):
        return {scrub(k, matcher, replacement): scrub(v, matcher, replacement)
                for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(item, matcher, replacement) for item in value]
    if isinstance(value, bytes | bytearray):
        return mask_bytes(bytes(value), matcher)
    return value


def mask_bytes(data: bytes, matcher: Matcher) -> bytes:
    """Every match overwritten by ``*`` of the same byte length.

    The length is kept so that length-prefixed formats (pickles, iCalendar line folding)
    stay readable after the mask.
    """
    return matcher.replace(data, lambda n: b"*" * n)


def contains(value: Any, matcher: Matcher) -> bool:
    return scrub(value, matcher) != value


def _searchable_columns(table: Table) -> list[Any]:
    columns = []
    for column in table.columns:
        kind = getattr(column.type, "impl", column.type)
        if isinstance(kind, String | Text | JSON | LargeBinary) or isinstance(column.type, JSON):
            columns.append(column)
    return columns


def _unique_columns(table: Table) -> set[str]:
    names = {c.name for c in table.columns if c.unique}
    for constraint in table.constraints:
        if constraint.__class__.__name__ == "UniqueConstraint":
            names.update(c.name for c in constraint.columns)
    for index in table.indexes:
        if index.unique:
            names.update(c.name for c in index.columns)
    return names


def sweep_tables(session: Session, needles: Needles,
                 tables: Iterable[Table] | None = None) -> int:
    """Mask ``needles`` in every text, JSON and binary column; returns the cells changed."""
    matcher = needles.matcher
    if matcher is None:
        return 0
    changed = 0
    for table in tables or Base.metadata.sorted_tables:
        keys = list(table.primary_key.columns)
        unique = _unique_columns(table)
        for column in _searchable_columns(table):
            # Every value is read and matched here: measured faster than letting the
            # database filter with one LIKE per spelling (docs/privacy.md), and the same on
            # both databases (SQLite's lower() folds ASCII only, bytea has no text cast).
            for *key, value in session.execute(
                    select(*keys, column).where(column.is_not(None))).all():
                # A unique column gets a replacement of its own per row, so two erased
                # values never collide.
                label = "-".join(str(k) for k in key)
                replacement = f"erased{label}" if column.name in unique else PLACEHOLDER
                new = scrub(value, matcher, replacement)
                if new == value:
                    continue
                length = getattr(column.type, "length", None)
                if isinstance(new, str) and length:
                    new = new[:length]
                session.execute(update(table).where(*(k == v for k, v in zip(keys, key, strict=True)))
                                .values({column.name: new}))
                changed += 1
    return changed
