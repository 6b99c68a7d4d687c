"""Finding and masking a person's identifiers in any stored value (text, JSON, bytes).

Erasure first anonymises the columns it knows; this sweep then catches every other place a
name or an address was copied to (rendered email bodies, audit snapshots, remembered API
responses, bounce reasons, attachments), in every table of the model, so nothing new added
to the schema escapes it.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, LargeBinary, String, Table, Text, cast, func, or_, select, update
from sqlalchemy.orm import Session

from coordinator.db import Base

PLACEHOLDER = "[erased]"
# Shorter names ("Bo") would also match inside unrelated words; the known columns holding
# them are anonymised directly, only the free-text sweep skips them.
MIN_NAME_LENGTH = 4


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
        """Each needle as stored: plain, HTML-escaped (email bodies), JSON-escaped (\\u00f8)."""
        out: set[str] = set()
        for value in self.values:
            out.update({value, html.escape(value), json.dumps(value)[1:-1]})
        return sorted(out, key=len, reverse=True)

    def pattern(self) -> re.Pattern[str] | None:
        if not self.values:
            return None
        return re.compile("|".join(re.escape(v) for v in self.variants()), re.IGNORECASE)


def scrub(value: Any, pattern: re.Pattern[str], replacement: str = PLACEHOLDER) -> Any:
    """``value`` with every match replaced; JSON structures are walked, keys included."""
    if isinstance(value, str):
        return pattern.sub(replacement, value)
    if isinstance(value, dict):
        return {scrub(k, pattern, replacement): scrub(v, pattern, replacement)
                for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(item, pattern, replacement) for item in value]
    if isinstance(value, bytes | bytearray):
        return mask_bytes(bytes(value), pattern)
    return value


def mask_bytes(data: bytes, pattern: re.Pattern[str]) -> bytes:
    """Every match overwritten by ``*`` of the same byte length.

    The length is kept so that length-prefixed formats (pickles, zlib-free RQ fields,
    iCalendar line folding) stay readable after the mask.
    """
    byte_pattern = re.compile(pattern.pattern.encode("utf-8"), re.IGNORECASE)
    return byte_pattern.sub(lambda m: b"*" * len(m.group(0)), data)


def contains(value: Any, pattern: re.Pattern[str]) -> bool:
    return scrub(value, pattern) != value


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


def _candidate_filter(column: Any, needles: Needles) -> Any:
    kind = getattr(column.type, "impl", column.type)
    if isinstance(kind, LargeBinary):
        return None  # bytea does not cast to its text; these are read and checked in Python
    as_text = cast(column, Text)
    # Both spellings: SQLite's lower() folds ASCII only ("Ørsted" stays "Ørsted").
    return or_(*(condition for v in needles.variants() for condition in (
        func.lower(as_text).contains(v.lower(), autoescape=True),
        as_text.contains(v, autoescape=True))))


def sweep_tables(session: Session, needles: Needles,
                 tables: Iterable[Table] | None = None) -> int:
    """Mask ``needles`` in every text, JSON and binary column; returns the cells changed."""
    pattern = needles.pattern()
    if pattern is None:
        return 0
    changed = 0
    for table in tables or Base.metadata.sorted_tables:
        keys = list(table.primary_key.columns)
        unique = _unique_columns(table)
        for column in _searchable_columns(table):
            condition = _candidate_filter(column, needles)
            query = select(*keys, column)
            if condition is not None:
                query = query.where(condition)
            for *key, value in session.execute(query).all():
                # A unique column gets a replacement of its own per row, so two erased
                # values never collide.
                label = "-".join(str(k) for k in key)
                replacement = f"erased{label}" if column.name in unique else PLACEHOLDER
                new = scrub(value, pattern, replacement)
                if new == value:
                    continue
                length = getattr(column.type, "length", None)
                if isinstance(new, str) and length:
                    new = new[:length]
                session.execute(update(table).where(*(k == v for k, v in zip(keys, key, strict=True)))
                                .values({column.name: new}))
                changed += 1
    return changed
