"""One page of a query for flask-smorest's ``@blp.paginate()`` lists: it sets the total (for
the X-Pagination header) and returns that page's rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select

from coordinator import db


def page_of(query: Select[Any], pagination: Any) -> list[Any]:
    """The rows of `pagination`'s page of `query`; sets `pagination.item_count`."""
    session = db.session()
    pagination.item_count = session.scalar(select(func.count()).select_from(query.subquery()))
    offset = (pagination.page - 1) * pagination.page_size
    return list(session.scalars(query.offset(offset).limit(pagination.page_size)))
