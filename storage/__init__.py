"""The database: SQLAlchemy 2 models, engine and session factory, queries, migrations."""

from __future__ import annotations

from storage.engine import (
    DatabaseError,
    default_database_url,
    make_engine,
    make_session_factory,
    open_database,
)
from storage.models import Alert, Article, ArticleAlias, Base, Change, Check, Heartbeat, Revision

__all__ = [
    "Alert",
    "Article",
    "ArticleAlias",
    "Base",
    "Change",
    "Check",
    "DatabaseError",
    "Heartbeat",
    "Revision",
    "default_database_url",
    "make_engine",
    "make_session_factory",
    "open_database",
]
