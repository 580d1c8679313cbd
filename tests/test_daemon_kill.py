"""Kill test: SIGKILL the daemon at random moments while pages change; nothing lost or doubled."""

from __future__ import annotations

import random
import signal
import time
import xml.etree.ElementTree as ET
from collections import Counter
from functools import partial
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from storage import Alert, Change, Check, Revision, open_database
from tests.conftest import CliRunner
from tests.replica.client import Replica
from tests.test_daemon import (
    SEED,
    DaemonProcess,
    article_id_of,
    article_revisions,
    beating,
    ok,
    wait_for,
)

pytestmark = pytest.mark.slow

EDITED = (SEED, 68835, 68815)  # each gets a fresh headline before every run
KILLS = 20
ATOM = "{http://www.w3.org/2005/Atom}"
# AutoThrottle's first-request delay (0.5 s a request until latencies come in) is lowered
# so that each short run gets through several checks before it is killed.
DAEMON_ARGS = (
    "--tick", "0.2s", "--lease", "1s", "--deliver-every", "0.3s",
    "-s", "AUTOTHROTTLE_START_DELAY=0.02",
)  # fmt: skip


def test_sigkill_at_random_moments_loses_and_doubles_nothing(
    replica: Replica, editwatch: CliRunner, db_url: str, tmp_path: Path
) -> None:
    rng = random.Random(20200107)
    config = _alert_config(tmp_path)
    urls = [replica.article_url(article) for article in EDITED]
    ok(editwatch("add", *urls, "--every", "0.3s"))
    sessions = open_database(db_url)
    headlines = {article: [replica.article(article)["headline"]] for article in EDITED}
    run = 0
    for run in range(1, KILLS + 1):
        for article in EDITED:
            headlines[article].append(f"{headlines[article][0]} (edit {run})")
            replica.patch_article(article, {"set": {"headline": headlines[article][-1]}})
        proc = DaemonProcess(db_url, tmp_path, _args(config), run)
        try:
            _kill_at_a_random_moment(proc, sessions, rng)
        finally:
            proc.kill()
    _final_run(db_url, tmp_path, config, sessions, headlines, run + 1)
    ids = {article: article_id_of(sessions, f"moscowtimes:{article}") for article in EDITED}
    for article, article_id in ids.items():
        assert article_id is not None
        _check_revisions(sessions, article_id, headlines[article])
    _check_changes(sessions)
    _check_outbox(sessions, tmp_path / "feeds")


def _kill_at_a_random_moment(
    proc: DaemonProcess, sessions: sessionmaker[Session], rng: random.Random
) -> None:
    """SIGKILL while it starts up (one run in five) or while it checks and delivers."""
    before = _check_count(sessions)
    if rng.random() < 0.2:
        time.sleep(rng.uniform(0.0, 1.5))
    else:
        wait_for(lambda: _check_count(sessions) > before or not proc.alive(), 20, "a check")
        time.sleep(rng.uniform(0.0, 1.2))
    assert proc.alive(), proc.output()[-3000:]
    proc.proc.send_signal(signal.SIGKILL)
    proc.proc.wait(timeout=10)


def _check_count(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count(Check.id))) or 0)


def _args(config: Path) -> list[str]:
    return ["--config", str(config), "daemon", *DAEMON_ARGS]


def _alert_config(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    config = {"channels": {"atom": {"kind": "feed", "directory": str(tmp_path / "feeds")}}}
    path.write_text(yaml.safe_dump(config))
    return path


def _final_run(
    db_url: str,
    tmp_path: Path,
    config: Path,
    sessions: sessionmaker[Session],
    headlines: dict[int, list[str]],
    run: int,
) -> None:
    """One undisturbed run: it catches up with the last edits, then stops on SIGTERM."""
    proc = DaemonProcess(db_url, tmp_path, _args(config), run)
    try:
        wait_for(lambda: beating(sessions, proc.pid), 20, "the final run's heartbeat")
        for article, seen in headlines.items():
            key = f"moscowtimes:{article}"
            article_id = wait_for(partial(article_id_of, sessions, key), 10, "the article")
            wait_for(
                partial(_shows, sessions, article_id, seen[-1]),
                30,
                f"the last edit of {article}\n{proc.output()[-3000:]}",
            )
        wait_for(lambda: _pending_now(sessions) == 0, 20, "the outbox to drain")
        code, took = proc.stop(signal.SIGTERM)
        assert code == 0 and took < 10, proc.output()[-3000:]
        assert proc.group_gone()
    finally:
        proc.kill()


def _shows(sessions: sessionmaker[Session], article_id: int, headline: str) -> bool:
    return _latest_headline(sessions, article_id) == headline


def _latest_headline(sessions: sessionmaker[Session], article_id: int) -> str | None:
    revisions = article_revisions(sessions, article_id)
    return revisions[-1].fields.get("headline") if revisions else None


def _pending_now(sessions: sessionmaker[Session]) -> int:
    """Pending alerts not leased by a killed run's delivery (those wait out the lease)."""
    from storage.models import utcnow

    with sessions() as session:
        query = select(func.count(Alert.id)).where(
            Alert.state == "pending", Alert.next_attempt_at <= utcnow()
        )
        return int(session.scalar(query) or 0)


def _check_revisions(
    sessions: sessionmaker[Session], article_id: int, headlines: list[str]
) -> None:
    """Every stored revision is one edit, once, in order; contiguous numbers; no repeats."""
    revisions = article_revisions(sessions, article_id)
    assert [r.number for r in revisions] == list(range(1, len(revisions) + 1))
    fingerprints = [r.fingerprint for r in revisions]
    assert len(set(fingerprints)) == len(fingerprints), "a content fingerprint stored twice"
    positions = [headlines.index(r.fields["headline"]) for r in revisions]
    assert positions == sorted(set(positions)), f"edits out of order or doubled: {positions}"
    assert positions[-1] == len(headlines) - 1  # the last edit was caught
    assert len(revisions) >= KILLS // 2, "too few edits were captured to mean anything"


def _check_changes(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        pairs = session.execute(select(Change.revision_id, Change.position)).all()
        assert len(pairs) == len(set(pairs))
        headline_changes = session.execute(
            select(Change.article_id, Change.after).where(Change.kind == "headline")
        ).all()
        doubled = [pair for pair, n in Counter(headline_changes).items() if n > 1]
        assert not doubled, f"one edit stored as two revisions: {doubled}"
        for revision in session.scalars(select(Revision)):
            kinds = [c.kind for c in revision.changes]
            assert (revision.number == 1) == (not kinds)
            if revision.number > 1:
                assert "headline" in kinds


def _check_outbox(sessions: sessionmaker[Session], feeds: Path) -> None:
    """One alert per (revision, channel) for every edit revision; delivered ones are in the feed."""
    with sessions() as session:
        alerts = session.scalars(select(Alert)).all()
        edits = session.scalars(select(Revision.id).where(Revision.number > 1)).all()
        assert sorted(a.revision_id for a in alerts) == sorted(edits)
        assert {a.channel for a in alerts} == {"atom"}
        assert all(a.state in ("pending", "delivered") for a in alerts)
        delivered = {a.idempotency_key for a in alerts if a.state == "delivered"}
        assert len(delivered) >= len(alerts) // 2, "most alerts should have been delivered"
    entries = ET.parse(feeds / "all.xml").getroot().findall(f"{ATOM}entry")
    ids = [entry.findtext(f"{ATOM}id") for entry in entries]
    assert len(ids) == len(set(ids)), "an alert appears twice in the feed"
    assert len(ids) >= len(delivered)
