"""The outbox and its delivery job, with real receivers and real faults."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser
import jsonschema
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.alerts import delivery as delivery_module
from monitor.alerts import load_alerting
from monitor.alerts.delivery import LEASE, deliver_due, retry_failed, send_digests
from monitor.alerts.outbox import enqueue
from storage import Alert, open_database
from storage.queries import add_article, insert_revision
from tests import alerts_fixtures
from tests.alerts_fixtures import (
    CHANGE_SCHEMA,
    MT_URL,
    Receiver,
    SmtpSink,
    free_port,
    report,
    revision_values,
    store_alerts,
)

# Fixtures shared by the alert tests (pytest finds them as module attributes).
no_leftover_threads = alerts_fixtures.no_leftover_threads
receiver = alerts_fixtures.receiver

T0 = datetime.now(UTC) + timedelta(minutes=1)  # just after the alerts are written


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    factory = open_database(f"sqlite:///{tmp_path}/x.db")
    yield factory
    bind = factory.kw["bind"]
    bind.dispose()


def config(tmp_path: Path, smtp_port: int, hook_url: str, **extra: Any) -> dict[str, Any]:
    return {
        "channels": {
            "mail": {
                "kind": "email",
                "host": "127.0.0.1",
                "port": smtp_port,
                "security": "plain",
                "from": "ew@example.org",
                "to": "desk@example.org",
                "timeout": 2,
            },
            "hook": {"kind": "webhook", "url": hook_url, "timeout": 0.5},
            "atom": {"kind": "feed", "directory": str(tmp_path / "feeds")},
        },
        **extra,
    }


def states(sessions: sessionmaker[Session]) -> dict[str, Counter[str]]:
    with sessions.begin() as session:
        rows = session.scalars(select(Alert)).all()
        result: dict[str, Counter[str]] = {}
        for row in rows:
            result.setdefault(row.channel, Counter())[row.state] += 1
        return result


def run(coro: Any) -> Any:
    return asyncio.run(coro)


# --- the outbox ----------------------------------------------------------------------------


def test_enqueue_writes_rows_in_the_callers_transaction(
    sessions: sessionmaker[Session], tmp_path: Path, receiver: Receiver
) -> None:
    alerting = load_alerting(config(tmp_path, free_port(), receiver.url))
    with sessions.begin() as session:
        article, _ = add_article(session, MT_URL, "moscowtimes:68828", site="moscowtimes")
        insert_revision(session, article, **revision_values("a"))
        revision = insert_revision(session, article, **revision_values("b"))
        alerts = enqueue(session, revision, article, report(), alerting)
        assert [(a.channel, a.mode, a.state) for a in alerts] == [
            ("mail", "immediate", "pending"),
            ("hook", "immediate", "pending"),
            ("atom", "immediate", "pending"),
        ]
        assert alerts[0].idempotency_key == f"ew-{revision.id}-mail"
        assert enqueue(session, revision, article, report(), alerting) == []  # not twice
        assert enqueue(session, revision, article, report(changes=[]), alerting) == []
        session.rollback()  # the crawl's transaction fails: no alert survives it
    assert states(sessions) == {}


# --- faults --------------------------------------------------------------------------------


def test_outage_then_recovery_delivers_everything_exactly_once(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    smtp_port = free_port()  # nothing listens yet: SMTP is down
    hook = Receiver(hang=1.5).start()
    smtp = SmtpSink(smtp_port)
    try:
        alerting = load_alerting(config(tmp_path, smtp_port, hook.url))
        keys = store_alerts(sessions, alerting, 3)
        rng = random.Random(5)

        hook.mode = "error"  # round 1: SMTP refused, webhook 500
        stats = run(deliver_due(sessions, alerting, T0, rng=rng))
        assert stats.delivered == 3  # the feed, in the same call
        assert (stats.retrying, stats.deferred) == (2, 4)
        assert states(sessions) == {
            "mail": Counter(pending=3),
            "hook": Counter(pending=3),
            "atom": Counter(delivered=3),
        }
        assert run(deliver_due(sessions, alerting, T0 + timedelta(seconds=5), rng=rng)).errors == []

        hook.mode = "hang"  # round 2: SMTP still down, the webhook times out
        more = store_alerts(sessions, alerting, 1)
        started = time.monotonic()
        stats = run(deliver_due(sessions, alerting, T0 + timedelta(hours=1), rng=rng))
        took = time.monotonic() - started
        assert stats.delivered == 1 and stats.retrying == 2
        assert took < 1.0 + 0.9, took  # one webhook timeout (2 x 0.5 s), nothing added up
        assert any("no answer within 1s" in e or "timed out" in e for e in stats.errors)

        smtp.start()  # round 3: both back
        hook.mode = "ok"
        stats = run(deliver_due(sessions, alerting, T0 + timedelta(hours=3), rng=rng))
        assert stats.delivered == 8 and stats.errors == []
        assert run(deliver_due(sessions, alerting, T0 + timedelta(days=2), rng=rng)).delivered == 0
    finally:
        smtp.stop()
        hook.stop()

    mail_keys = [f"ew-{k.split('-')[1]}-mail" for k in keys + more if k.endswith("-mail")]
    assert sorted(smtp.message_ids()) == sorted(f"<{k}@editwatch.invalid>" for k in mail_keys)
    accepted = Counter(r.headers["X-Editwatch-Delivery"] for r in hook.accepted())
    assert set(accepted.values()) == {1}
    assert sorted(accepted) == sorted(k for k in keys + more if k.endswith("-hook"))
    assert states(sessions) == {
        "mail": Counter(delivered=4),
        "hook": Counter(delivered=4),
        "atom": Counter(delivered=4),
    }
    assert len(feedparser.parse(str(tmp_path / "feeds" / "all.xml")).entries) == 4


def test_a_dead_channel_does_not_delay_a_healthy_one(
    sessions: sessionmaker[Session], tmp_path: Path, receiver: Receiver
) -> None:
    slow = Receiver(hang=2.0).start()
    try:
        slow.mode = "hang"
        cfg = {
            "channels": {
                "dead": {"kind": "webhook", "url": slow.url, "timeout": 1.0},
                "live": {"kind": "webhook", "url": receiver.url, "timeout": 1.0},
            }
        }
        alerting = load_alerting(cfg)
        store_alerts(sessions, alerting, 2)
        started = time.monotonic()
        stats = run(deliver_due(sessions, alerting, T0))
        took = time.monotonic() - started
    finally:
        slow.stop()
    assert stats.delivered == 2 and stats.retrying == 1 and stats.deferred == 1
    arrivals = [r.at - started for r in receiver.accepted()]
    assert len(arrivals) == 2  # both healthy alerts went out in the same call ...
    assert max(arrivals) < 0.5, arrivals  # ... long before the dead channel's 1 s timeout
    assert 1.0 <= took < 2.5
    assert states(sessions) == {"dead": Counter(pending=2), "live": Counter(delivered=2)}


def test_after_max_attempts_an_alert_is_failed_and_retry_requeues_it(
    sessions: sessionmaker[Session], receiver: Receiver
) -> None:
    alerting = load_alerting({"channels": {"hook": {"kind": "webhook", "url": receiver.url}}})
    store_alerts(sessions, alerting, 1)
    receiver.mode = "error"
    now = T0
    for attempt in range(1, 4):
        stats = run(
            deliver_due(
                sessions,
                alerting,
                now,
                max_attempts=3,
                base_delay=10,
                max_delay=60,
                rng=random.Random(attempt),
            )
        )
        with sessions.begin() as session:
            alert = session.scalars(select(Alert)).one()
            assert alert.attempts == attempt
            assert alert.last_error is not None and "HTTP 500" in alert.last_error
            if attempt < 3:
                wait = alert.next_attempt_at - now
                ceiling = min(60, 10 * 2 ** (attempt - 1))
                assert timedelta(seconds=ceiling / 2) <= wait <= timedelta(seconds=ceiling)
        now += timedelta(minutes=5)
    assert stats.dead == 1
    assert states(sessions) == {"hook": Counter(failed=1)}
    assert run(deliver_due(sessions, alerting, now + timedelta(days=1))).delivered == 0

    with sessions.begin() as session:
        assert retry_failed(session, [999]) == []
        requeued = retry_failed(session)
    assert len(requeued) == 1
    receiver.mode = "ok"
    assert run(deliver_due(sessions, alerting, now)).delivered == 1
    assert len(receiver.accepted()) == 1
    assert len(receiver.receipts) == 4


def test_an_alert_for_a_removed_channel_fails_with_a_clear_error(
    sessions: sessionmaker[Session], tmp_path: Path, receiver: Receiver
) -> None:
    before = load_alerting({"channels": {"old": {"kind": "webhook", "url": receiver.url}}})
    store_alerts(sessions, before, 1)
    after = load_alerting({"channels": {"new": {"kind": "feed", "directory": str(tmp_path)}}})
    stats = run(deliver_due(sessions, after, T0))
    assert stats.dead == 1
    with sessions.begin() as session:
        alert = session.scalars(select(Alert)).one()
        assert alert.state == "failed"
        assert alert.last_error == (
            f"channel 'old' is not in the config (removed or renamed?); "
            f"fix the config, then: editwatch alerts retry {alert.id}"
        )
    with sessions.begin() as session:
        retry_failed(session)
    assert run(deliver_due(sessions, before, T0)).delivered == 1  # config restored: not lost


def test_a_crash_between_sending_and_marking_resends_once_with_the_same_key(
    sessions: sessionmaker[Session], receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    alerting = load_alerting({"channels": {"hook": {"kind": "webhook", "url": receiver.url}}})
    [key] = store_alerts(sessions, alerting, 1)

    def crash(*args: Any) -> None:
        raise SystemError("the process dies before it marks the alert")

    monkeypatch.setattr(delivery_module, "_mark_delivered", crash)
    with pytest.raises(SystemError):
        run(deliver_due(sessions, alerting, T0))
    monkeypatch.undo()

    assert run(deliver_due(sessions, alerting, T0 + timedelta(minutes=1))).delivered == 0  # leased
    assert run(deliver_due(sessions, alerting, T0 + LEASE)).delivered == 1
    assert run(deliver_due(sessions, alerting, T0 + 2 * LEASE)).delivered == 0
    assert [r.headers["X-Editwatch-Delivery"] for r in receiver.accepted()] == [key, key]


# --- digests -------------------------------------------------------------------------------


def test_hourly_digest_is_one_message_per_channel(
    sessions: sessionmaker[Session], receiver: Receiver, tmp_path: Path
) -> None:
    cfg = {
        "channels": {
            "hook": {"kind": "webhook", "url": receiver.url},
            "atom": {"kind": "feed", "directory": str(tmp_path / "feeds")},
        },
        "rules": [{"channel": "hook", "mode": "hourly"}, {"channel": "atom", "mode": "daily"}],
    }
    alerting = load_alerting(cfg)
    store_alerts(sessions, alerting, 3)
    assert run(deliver_due(sessions, alerting, T0)).delivered == 0  # nothing immediate
    assert run(send_digests(sessions, alerting, "daily", T0 - timedelta(days=1))).delivered == 0

    stats = run(send_digests(sessions, alerting, "hourly", T0))
    assert stats.delivered == 3
    [receipt] = receiver.accepted()
    assert receipt.headers["X-Editwatch-Event"] == "digest"
    body = json.loads(receipt.body)
    assert body["schema"] == "editwatch.digest/1" and body["period"] == "hourly"
    assert [r["headline"] for r in body["reports"]] == [
        f"Article {i % 2} edit {i}" for i in range(3)
    ]
    for item in body["reports"]:
        jsonschema.validate(item, CHANGE_SCHEMA)
    assert states(sessions) == {"hook": Counter(delivered=3), "atom": Counter(pending=3)}

    assert run(send_digests(sessions, alerting, "daily", T0)).delivered == 3
    assert len(feedparser.parse(str(tmp_path / "feeds" / "all.xml")).entries) == 3
    assert run(send_digests(sessions, alerting, "hourly", T0 + timedelta(hours=1))).delivered == 0


def test_a_failed_digest_keeps_all_its_alerts_pending(
    sessions: sessionmaker[Session], receiver: Receiver
) -> None:
    cfg = {
        "channels": {"hook": {"kind": "webhook", "url": receiver.url}},
        "rules": [{"channel": "hook", "mode": "daily"}],
    }
    alerting = load_alerting(cfg)
    store_alerts(sessions, alerting, 2)
    receiver.mode = "error"
    stats = run(send_digests(sessions, alerting, "daily", T0))
    assert (stats.delivered, stats.retrying) == (0, 2)
    receiver.mode = "ok"
    assert run(send_digests(sessions, alerting, "daily", T0 + timedelta(hours=2))).delivered == 2
    keys = [r.headers["X-Editwatch-Delivery"] for r in receiver.receipts]
    assert keys[0] == keys[1] and keys[0].startswith("ew-daily-hook-")  # same alerts, same key


def test_a_channel_bug_is_recorded_and_does_not_stop_the_others(
    sessions: sessionmaker[Session],
    receiver: Receiver,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    cfg = {
        "channels": {
            "hook": {"kind": "webhook", "url": receiver.url},
            "atom": {"kind": "feed", "directory": str(tmp_path / "feeds")},
        }
    }
    alerting = load_alerting(cfg)
    store_alerts(sessions, alerting, 1)

    async def broken(message: Any) -> None:
        raise ValueError("bad feed template")

    monkeypatch.setattr(alerting.channels["atom"], "send", broken)
    stats = run(deliver_due(sessions, alerting, T0))
    assert stats.delivered == 1 and stats.retrying == 1
    with sessions.begin() as session:
        alert = session.scalars(select(Alert).where(Alert.channel == "atom")).one()
        assert (alert.state, alert.last_error) == ("pending", "ValueError: bad feed template")
    assert "channel atom raised unexpectedly" in caplog.text
