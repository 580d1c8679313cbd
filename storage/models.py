"""Typed SQLAlchemy 2 models: tracked articles, their revisions, changes and checks."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

logger = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Now, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware DateTime that also comes back aware from SQLite (which drops offsets)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Refuse naive datetimes; store UTC."""
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a timezone-aware column")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Mark values read back from SQLite as UTC."""
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations name constraints stably."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Article(Base):
    """A tracked article: where it lives and when to check it next."""

    __tablename__ = "article"
    # The dispatch query: active articles by due time (fast at 100,000 rows).
    __table_args__ = (Index("ix_article_active_due", "active", "next_check_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(Text)  # as added, or as last seen after redirects
    article_key: Mapped[str] = mapped_column(String(512), unique=True)
    site: Mapped[str | None] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_check_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_checked_at: Mapped[datetime | None]
    last_change_at: Mapped[datetime | None]
    interval_seconds: Mapped[float | None]  # pinned by `add --every`; None = adaptive
    active: Mapped[bool] = mapped_column(default=True)
    depth: Mapped[int] = mapped_column(default=0)  # 0 = added by a person
    found_on_id: Mapped[int | None] = mapped_column(ForeignKey("article.id"))
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)

    revisions: Mapped[list[Revision]] = relationship(
        back_populates="article", order_by="Revision.number"
    )


class Revision(Base):
    """One distinct version of an article page. Insert-only: never updated or deleted."""

    __tablename__ = "revision"
    __table_args__ = (UniqueConstraint("article_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, 3 ... per article
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    url: Mapped[str] = mapped_column(Text)  # final URL of the fetch
    canonical_url: Mapped[str] = mapped_column(Text)
    status: Mapped[int | None]
    headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(16))  # article | removed
    site: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    raw_html_zstd: Mapped[bytes] = mapped_column(LargeBinary)
    raw_size: Mapped[int] = mapped_column(Integer)
    silent: Mapped[bool] = mapped_column(default=False)

    article: Mapped[Article] = relationship(back_populates="revisions")
    changes: Mapped[list[Change]] = relationship(
        back_populates="revision", order_by="Change.position"
    )


class Change(Base):
    """One typed difference between a revision and the one before it."""

    __tablename__ = "change"
    __table_args__ = (
        UniqueConstraint("revision_id", "position"),
        Index("ix_change_kind_created", "kind", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revision.id"), index=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    significance: Mapped[str] = mapped_column(String(16))
    field: Mapped[str] = mapped_column(String(128))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)  # word diff ops and details

    revision: Mapped[Revision] = relationship(back_populates="changes")


class Check(Base):
    """One fetch of one article, whatever came of it."""

    __tablename__ = "article_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id"), index=True)
    checked_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    url: Mapped[str] = mapped_column(Text)
    status: Mapped[int | None]
    duration_ms: Mapped[float] = mapped_column(default=0.0)
    bytes: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[str] = mapped_column(String(16))  # new | changed | unchanged | error
    error: Mapped[str | None] = mapped_column(Text)
    revision_id: Mapped[int | None] = mapped_column(ForeignKey("revision.id"))


class Alert(Base):
    """A transactional-outbox row: one alert for one channel about one revision.

    Written in the revision's transaction; a delivery job sends it and marks it.
    """

    __tablename__ = "alert"
    __table_args__ = (
        UniqueConstraint("revision_id", "channel"),
        Index("ix_alert_state_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revision.id"), index=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id"), index=True)
    channel: Mapped[str] = mapped_column(String(128))  # channel name from the config
    mode: Mapped[str] = mapped_column(String(16), default="immediate")  # immediate | hourly | daily
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[str] = mapped_column(
        String(16), default="pending"
    )  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None]
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)  # editwatch.change/1 report


class Heartbeat(Base):
    """The daemon's sign of life, one row per running daemon, updated every few seconds."""

    __tablename__ = "heartbeat"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)  # host:pid
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    beat_at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[str] = mapped_column(String(16), default="running")  # running | stopped


class ArticleAlias(Base):
    """Another URL of a tracked article: the one it was found under, an old slug, a redirect."""

    __tablename__ = "article_alias"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id"), index=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
