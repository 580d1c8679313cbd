"""Storage: migrations from empty, model/migration agreement, the revision round trip."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from storage import Article, Base, DatabaseError, make_engine, open_database
from storage.engine import migrate
from storage.queries import (
    add_article,
    compress_html,
    decompress_html,
    get_revision,
    insert_revision,
    latest_revision,
)


def revision_values(fingerprint: str, body: bytes = b"<html>x</html>") -> dict[str, object]:
    return {
        "url": "http://127.0.0.1/a-a1",
        "canonical_url": "http://127.0.0.1/a-a1",
        "status": 200,
        "headers": {"content-type": "text/html"},
        "state": "article",
        "site": "moscowtimes",
        "fingerprint": fingerprint,
        "fields": {"headline": "Ünïcode “quoted” headline", "paragraphs": ["One.", "Two."]},
        "raw_html_zstd": compress_html(body),
        "raw_size": len(body),
    }


def test_upgrade_head_on_empty_database_matches_models(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    migrate(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        tables = set(inspect(connection).get_table_names())
        mode = connection.execute(text("PRAGMA journal_mode")).scalar()
    assert diff == []
    assert {"article", "revision", "change", "article_check", "alembic_version"} <= tables
    assert mode == "wal"


def test_migrate_twice_is_harmless(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'twice.db'}"
    open_database(url)
    sessions = open_database(url)
    with sessions.begin() as session:
        add_article(session, "http://x/a", "k1")
    with open_database(url).begin() as session:
        assert session.query(Article).count() == 1


def test_revision_round_trip_keeps_fields_html_and_aware_times(tmp_path: Path) -> None:
    sessions = open_database(f"sqlite:///{tmp_path / 'r.db'}")
    body = "<html><body><h1>Çà “x” — y</h1></body></html>".encode() * 50
    fetched = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with sessions.begin() as session:
        article, created = add_article(session, "http://127.0.0.1/a-a1", "moscowtimes:1")
        assert created
        first = insert_revision(
            session, article, fetched_at=fetched, **revision_values("a" * 64, body)
        )
        second = insert_revision(session, article, **revision_values("b" * 64))
        assert (first.number, second.number) == (1, 2)
    with sessions.begin() as session:
        stored = get_revision(session, article.id, 1)
        assert stored is not None
        assert stored.fields["headline"] == "Ünïcode “quoted” headline"
        assert decompress_html(stored.raw_html_zstd) == body
        assert len(stored.raw_html_zstd) < len(body) / 5
        assert stored.fetched_at == fetched and stored.fetched_at.tzinfo is not None
        latest = latest_revision(session, article.id)
        assert latest is not None and latest.number == 2
        assert get_revision(session, article.id, -1) == latest


def test_revision_numbers_are_unique_per_article(tmp_path: Path) -> None:
    sessions = open_database(f"sqlite:///{tmp_path / 'u.db'}")
    with sessions.begin() as session:
        article, _ = add_article(session, "http://x/a", "k")
        insert_revision(session, article, **revision_values("c" * 64))
    with pytest.raises(IntegrityError), sessions.begin() as session:
        from storage.models import Revision

        session.add(Revision(article_id=article.id, number=1, **revision_values("d" * 64)))


def test_adding_the_same_key_twice_keeps_one_article(tmp_path: Path) -> None:
    sessions = open_database(f"sqlite:///{tmp_path / 'k.db'}")
    with sessions.begin() as session:
        first, created_first = add_article(session, "http://x/a-a5", "moscowtimes:5")
        again, created_again = add_article(session, "http://x/b-a5", "moscowtimes:5")
    assert created_first and not created_again and first.id == again.id


def test_naive_datetimes_are_refused(tmp_path: Path) -> None:
    sessions = open_database(f"sqlite:///{tmp_path / 'n.db'}")
    with pytest.raises(Exception, match="naive datetime"), sessions.begin() as session:
        session.add(Article(url="u", article_key="n", next_check_at=datetime(2026, 1, 1)))
        session.flush()


def test_unwritable_database_location_is_one_line_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(DatabaseError) as info:
        open_database(f"sqlite:///{blocker / 'sub' / 'x.db'}")
    assert "\n" not in str(info.value) and "cannot create database directory" in str(info.value)


def test_bad_database_url_is_a_database_error() -> None:
    with pytest.raises(DatabaseError, match="invalid database URL"):
        make_engine("not a url://")


@pytest.mark.postgres
@pytest.mark.slow
def test_postgresql_migrates_and_round_trips(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    migrate(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
    sessions = open_database(postgres_url)
    body = "<p>“Привет” — PostgreSQL</p>".encode()
    with sessions.begin() as session:
        article, _ = add_article(session, "http://127.0.0.1/p-a9", "moscowtimes:9")
        insert_revision(session, article, **revision_values("e" * 64, body))
    with sessions.begin() as session:
        stored = latest_revision(session, article.id)
        assert stored is not None
        assert decompress_html(stored.raw_html_zstd) == body
        assert stored.fetched_at.tzinfo is not None
        assert stored.fields["headline"] == "Ünïcode “quoted” headline"
    engine.dispose()
    sessions.kw["bind"].dispose()


def test_schema_head_constant_is_alembic_head() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from storage.engine import MIGRATIONS_DIR, SCHEMA_HEAD

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(config).get_current_head() == SCHEMA_HEAD
