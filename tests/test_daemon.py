"""The daemon as a real subprocess against the replica: schedule, revisions, discovery, stop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from storage import Article, Check, Revision, open_database
from storage.models import utcnow
from storage.queries import add_article, claim_due, release_claims
from tests.conftest import REPO, CliResult, CliRunner
from tests.replica.client import Replica

SEED = 68828
RELATED = {68797, 68790}  # the seed's related-article cards (depth 1)
OTHERS = (68805, 68810, 68815, 68822, 68835)
STOP_WITHIN = 10.0


# ---- helpers shared with test_daemon_kill.py -------------------------------------------------


def ok(result: CliResult) -> CliResult:
    detail = f"exit {result.code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.code == 0, detail
    return result


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, every: float = 0.1) -> Any:
    """Poll until `predicate()` is truthy; its value is returned."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)


class DaemonProcess:
    """`editwatch daemon` in its own process group, logging to a file."""

    def __init__(self, db_url: str, tmp_path: Path, args: Sequence[str], run: int = 0) -> None:
        self.log = tmp_path / f"daemon-{run}.log"
        env = {
            **os.environ,
            "EDITWATCH_DB": db_url,
            "EDITWATCH_CONFIG": str(tmp_path / "no-config.yaml"),
            "PYTHONUNBUFFERED": "1",
        }
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "monitor", "-v", *args],
                cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                start_new_session=True,
            )  # fmt: skip

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, signum: int = signal.SIGTERM, timeout: float = STOP_WITHIN) -> tuple[int, float]:
        """Send `signum`; return (exit code, seconds it took to exit)."""
        started = time.monotonic()
        self.proc.send_signal(signum)
        code = self.proc.wait(timeout=timeout)
        return code, time.monotonic() - started

    def kill(self) -> None:
        """SIGKILL the whole process group (whatever is left of it) and reap it."""
        with suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def group_gone(self) -> bool:
        try:
            os.killpg(self.proc.pid, 0)
        except ProcessLookupError:
            return True
        return False


@contextmanager
def daemon(db_url: str, tmp_path: Path, *args: str, run: int = 0) -> Iterator[DaemonProcess]:
    """A running daemon that is always killed (with its group) when the block ends."""
    process = DaemonProcess(db_url, tmp_path, ["daemon", *args], run)
    try:
        yield process
    finally:
        process.kill()


def beating(sessions: sessionmaker[Session], pid: int) -> bool:
    """Whether the daemon with this pid has written its heartbeat row."""
    from storage import Heartbeat

    with sessions() as session:
        rows = session.scalars(select(Heartbeat).where(Heartbeat.name.endswith(f":{pid}")))
        return any(row.state == "running" for row in rows)


def checks_after(sessions: sessionmaker[Session], article_id: int, since: Any) -> int:
    with sessions() as session:
        query = select(func.count(Check.id)).where(
            Check.article_id == article_id, Check.checked_at > since
        )
        return int(session.scalar(query) or 0)


def article_revisions(sessions: sessionmaker[Session], article_id: int) -> list[Revision]:
    with sessions() as session:
        return list(
            session.scalars(
                select(Revision).where(Revision.article_id == article_id).order_by(Revision.number)
            )
        )


def article_id_of(sessions: sessionmaker[Session], key: str) -> int | None:
    with sessions() as session:
        return session.scalar(select(Article.id).where(Article.article_key == key))


# ---- the daemon end to end -----------------------------------------------------------------


@pytest.mark.slow
def test_daemon_follows_revisions_discovers_related_and_stops_on_sigterm(
    replica: Replica, editwatch: CliRunner, db_url: str, tmp_path: Path
) -> None:
    url = replica.article_url(SEED)
    ok(editwatch("add", url, "--every", "1s"))
    sessions = open_database(db_url)
    seed_id = article_id_of(sessions, f"moscowtimes:{SEED}") or 1
    with daemon(db_url, tmp_path, "--tick", "0.5s", "--lease", "2s") as proc:
        wait_for(lambda: beating(sessions, proc.pid), 20, "the heartbeat")
        wait_for(lambda: article_revisions(sessions, seed_id), 20, "the first revision")
        for n in range(2, 8):  # 5 only moves modified_time: no revision for it
            replica.set_revision(SEED, n)
            changed_at = utcnow()
            wait_for(
                partial(_checked_twice_since, sessions, seed_id, changed_at),
                20,
                f"two checks of revision {n}\n{proc.output()[-3000:]}",
            )
        related = wait_for(lambda: _related_tracked(editwatch), 20, "the related articles")
        wait_for(
            lambda: all(article_revisions(sessions, a["id"]) for a in related), 20, "their checks"
        )
        status = ok(editwatch("status", "--format", "json")).json()
        _check_running_status(status)
        text = ok(editwatch("status")).stdout
        assert "daemon: running" in text and "3 tracked" in text
        code, took = proc.stop(signal.SIGTERM)
        assert code == 0, proc.output()[-3000:]
        assert took < STOP_WITHIN
        assert proc.group_gone()
    _check_seed_history(editwatch, url, sessions, seed_id)
    for article in related:
        assert article["found_on"] == seed_id and article["depth"] == 1
        assert len(article_revisions(sessions, article["id"])) == 1  # noise is not an edit
    after = ok(editwatch("status", "--format", "json")).json()
    assert after["daemon_alive"] is False
    assert after["daemons"][0]["state"] == "stopped"
    assert "daemon: not running (stopped" in ok(editwatch("status")).stdout


def _checked_twice_since(sessions: sessionmaker[Session], article_id: int, since: Any) -> bool:
    return checks_after(sessions, article_id, since) >= 2


def _related_tracked(editwatch: CliRunner) -> list[dict[str, Any]]:
    listing = ok(editwatch("list", "--format", "json")).json()
    found = [a for a in listing if a["depth"] == 1]
    keys = {a["article_key"] for a in found}
    return found if keys >= {f"moscowtimes:{i}" for i in RELATED} else []


def _check_running_status(status: dict[str, Any]) -> None:
    assert status["daemon_alive"] is True
    assert status["articles"] == 3 and status["active"] == 3
    assert 0 <= status["due_now"] <= 3
    assert status["checks"]["last_hour"].get("new") == 3
    assert status["checks"]["last_hour"].get("changed") == 5
    assert status["checks"]["last_hour"].get("unchanged", 0) >= 6
    assert status["errors"] == {"last_hour": 0, "last_day": 0}
    assert status["recent_errors"] == []
    assert status["outbox_backlog"] == 0
    assert len(status["next_runs"]) == 3
    assert status["next_check_at"] == status["next_runs"][0]["next_check_at"]
    assert [d["alive"] for d in status["daemons"]] == [True]


def _check_seed_history(
    editwatch: CliRunner, url: str, sessions: sessionmaker[Session], seed_id: int
) -> None:
    revisions = article_revisions(sessions, seed_id)
    assert [r.number for r in revisions] == [1, 2, 3, 4, 5, 6]  # scripted 1-4, 6, 7
    fingerprints = [r.fingerprint for r in revisions]
    assert len(set(fingerprints)) == len(fingerprints)
    history = ok(editwatch("history", url, "--format", "json")).json()
    assert [entry["revision"] for entry in history] == [1, 2, 3, 4, 5, 6]
    assert "headline" in history[1]["kinds"]
    assert "quote_edited" in history[2]["kinds"]
    assert "caption" in history[3]["kinds"]
    assert {"paragraph_added", "paragraph_removed"} & set(history[4]["kinds"])
    assert revisions[5].silent  # 7: the comma fixed without a visible update


@pytest.mark.slow
def test_sigterm_abandons_slow_checks_in_time_and_a_restart_takes_them_first(
    replica: Replica, editwatch: CliRunner, db_url: str, tmp_path: Path
) -> None:
    urls = [replica.article_url(article) for article in (SEED, *RELATED, *OTHERS)]
    ok(editwatch("add", *urls, "--every", "1h"))
    sessions = open_database(db_url)
    slow = ["-s", "DOWNLOAD_DELAY=2", "-s", "DOWNLOAD_DELAY_JITTER=0"]
    slow += ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "EDITWATCH_FOLLOW_DEPTH=0"]
    with daemon(db_url, tmp_path, "--tick", "0.5s", *slow) as proc:  # a 10-minute lease
        wait_for(lambda: _checked(sessions) >= 1, 30, f"a first check\n{proc.output()[-3000:]}")
        code, took = proc.stop(signal.SIGTERM)
        assert code == 0 and took < STOP_WITHIN, proc.output()[-3000:]
        assert "abandoning" in proc.output()
        assert proc.group_gone()
    done = _checked(sessions)
    assert done < len(urls)
    with sessions() as session:  # abandoned claims are due now, not in ten minutes
        due = session.scalar(
            select(func.count(Article.id)).where(Article.next_check_at <= utcnow())
        )
    assert due == len(urls) - done
    with daemon(db_url, tmp_path, "--tick", "0.5s", run=1) as proc:
        wait_for(lambda: _checked(sessions) == len(urls), 30, proc.output()[-3000:])
        assert proc.stop(signal.SIGTERM)[0] == 0


def _checked(sessions: sessionmaker[Session]) -> int:
    """Articles with at least one check."""
    with sessions() as session:
        return int(session.scalar(select(func.count(func.distinct(Check.article_id)))) or 0)


# ---- the lease, without a crawl ------------------------------------------------------------


def test_claims_lease_due_articles_and_release_only_unfinished_ones(db_url: str) -> None:
    sessions = open_database(db_url)
    now = utcnow()
    with sessions.begin() as session:
        for n in range(5):
            article, _ = add_article(session, f"https://example.org/a{n}", f"k{n}")
            article.next_check_at = now - timedelta(minutes=n)
        add_article(session, "https://example.org/later", "later")[0].next_check_at = (
            now + timedelta(hours=1)
        )
    lease = now + timedelta(seconds=30)
    with sessions.begin() as session:
        claims = claim_due(session, now, 3, lease)
    assert [c.url for c in claims] == [f"https://example.org/a{n}" for n in (4, 3, 2)]
    with sessions.begin() as session:  # leased: not due any more
        assert [c.url for c in claim_due(session, now, 10, lease)] == [
            "https://example.org/a1",
            "https://example.org/a0",
        ]
    with sessions.begin() as session:  # one claim finished: its check rescheduled it
        finished = session.get(Article, claims[0].id)
        assert finished is not None
        finished.next_check_at = now + timedelta(minutes=15)
    with sessions.begin() as session:
        assert release_claims(session, [c.id for c in claims], lease, now) == 2
    with sessions.begin() as session:  # in flight: renewed, not handed out again
        due = claim_due(session, now, 1, lease, in_flight={claims[1].id})
        assert [c.id for c in due] == [claims[2].id]
        assert session.get(Article, claims[1].id).next_check_at == lease  # type: ignore[union-attr]
    with sessions.begin() as session:
        assert claim_due(session, now, 10, lease) == []


def test_status_json_without_a_daemon(editwatch: CliRunner) -> None:
    status = ok(editwatch("status", "--format", "json")).json()
    assert status["schema"] == "editwatch.status/1"
    assert status["daemon_alive"] is False and status["daemons"] == []
    assert status["articles"] == 0 and status["next_runs"] == [] and status["next_check_at"] is None
    assert "daemon: not running (never ran)" in ok(editwatch("status")).stdout
    json.dumps(status)


def test_daemon_rejects_bad_options(editwatch: CliRunner) -> None:
    result = editwatch("daemon", "--tick", "0s")
    assert result.code == 2 and "--tick must be longer than zero" in result.stderr
    result = editwatch("daemon", "-s", "NOVALUE")
    assert result.code == 2 and "NAME=VALUE" in result.stderr
