"""Pagination for list pages: a fixed page size and at most two queries, whatever the data."""

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select

from portal.extensions import db

PER_PAGE = 25


def paginate(query: Select, page: str | int | None, per_page: int = PER_PAGE) -> Pagination:
    try:
        number = max(1, int(page or 1))
    except (TypeError, ValueError):
        number = 1
    return db.paginate(query, page=min(number, 100_000), per_page=per_page, error_out=False)
