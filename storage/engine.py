"""Engine and session factory; the schema is migrated to head on first use."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: The newest migration; a test checks it is Alembic's head. Lets a CLI command skip
#: loading Alembic (a third of its start-up time) when the schema is already current.
SCHEMA_HEAD = "0003"


class DatabaseError(RuntimeError):
    """The database cannot be opened or migrated; the message is one line for the user."""


def default_database_url() -> str:
    """`EDITWATCH_DB` if set, else a SQLite file in the user's data directory."""
    url = os.environ.get("EDITWATCH_DB", "").strip()
    if url:
        return url if "://" in url else f"sqlite:///{Path(url).expanduser().resolve()}"
    data_dir = Path(platformdirs.user_data_dir("editwatch", appauthor=False))
    return f"sqlite:///{data_dir / 'editwatch.db'}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the CLI read while the daemon writes; a busy timeout rides out short locks.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str | None = None) -> Engine:
    """Create an engine for `url` (default: `default_database_url()`); no I/O yet."""
    url = url or default_database_url()
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseError(f"invalid database URL {url!r}: {exc}") from None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            _prepare_sqlite_dir(Path(database))
        engine = create_engine(parsed, connect_args={"timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(parsed, pool_pre_ping=True)


def _prepare_sqlite_dir(path: Path) -> None:
    directory = path.expanduser().resolve().parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(
            f"cannot create database directory {directory}: {exc.strerror}"
        ) from None
    if not os.access(directory, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise DatabaseError(f"database {path} is not writable")


def schema_is_current(engine: Engine) -> bool:
    """Whether the database is already at SCHEMA_HEAD."""
    try:
        with engine.connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except (OperationalError, ProgrammingError):
        return False
    return version == SCHEMA_HEAD


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (idempotent)."""
    if schema_is_current(engine):
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["configure_logger"] = False
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except OperationalError as exc:
        reason = str(exc.orig).splitlines()[0] if exc.orig else str(exc).splitlines()[0]
        raise DatabaseError(f"cannot open database {engine.url!r}: {reason}") from None


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory; callers own sessions (`with factory.begin() as session:`)."""
    return sessionmaker(engine, expire_on_commit=False)


def open_database(url: str | None = None) -> sessionmaker[Session]:
    """Engine + migrations + session factory, for commands and jobs."""
    engine = make_engine(url)
    migrate(engine)
    return make_session_factory(engine)
