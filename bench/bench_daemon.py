"""Measure the daemon (prints figures; not a unit test).

    .venv/bin/python bench/bench_daemon.py [--articles 100000] [--replica-articles 1000]
        [--batch 500] [--skip-dispatch] [--skip-rss] [--skip-throughput] [-s NAME=VALUE ...]

(a) dispatch query with N tracked articles in SQLite (target < 50 ms), and its plan;
(b) RSS of an idle `editwatch daemon` on that database (target < 300 MB);
(c) checks/s with M replica articles due at once, unchanged pages (target >= 100/s).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, text, update  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from crawler.extractors.identity import provisional_key  # noqa: E402
from storage import Article, Check, open_database  # noqa: E402
from storage.models import utcnow  # noqa: E402
from storage.queries import add_article, claim_due, due_articles  # noqa: E402

logger = logging.getLogger(__name__)

SEED = 68828
FIRST_BENCH_ID = 900000
#: Every replica is 127.0.0.1, one Scrapy download slot, while 1,000 real articles come
#: from many sites, each with its own slot. Without these, per-domain politeness caps the
#: run at AutoThrottle's start delay: 2 requests/s (304s never lower the delay).
MANY_SITES = ("CONCURRENT_REQUESTS_PER_DOMAIN=32", "AUTOTHROTTLE_ENABLED=False")


# ---- (a) the dispatch query ----------------------------------------------------------------


def fill(sessions: sessionmaker[Session], count: int, due_share: float, rng: random.Random) -> None:
    """`count` articles; `due_share` of them overdue, the rest due over the next 30 days."""
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for n in range(count):
        if rng.random() < due_share:
            due = now - timedelta(seconds=rng.uniform(0, 3600))
        else:
            due = now + timedelta(seconds=rng.uniform(60, 30 * 86400))
        rows.append(
            {
                "url": f"https://www.example.org/2020/01/07/story-{n}-a{n}",
                "article_key": f"bench:{n}",
                "site": "generic",
                "added_at": now - timedelta(days=rng.uniform(0, 365)),
                "next_check_at": due,
                "active": rng.random() < 0.95,
                "depth": 0,
            }
        )
    with sessions.begin() as session:
        for start in range(0, len(rows), 10000):
            session.execute(insert(Article), rows[start : start + 10000])


def timed(fn: Any, repeat: int = 20) -> tuple[float, float]:
    """Median and worst wall time of `fn()` in ms, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times)


def bench_dispatch(db_url: str, count: int, batch: int) -> None:
    sessions = open_database(db_url)
    started = time.perf_counter()
    fill(sessions, count, due_share=0.05, rng=random.Random(1))
    print(f"(a) {count:,} articles inserted in {time.perf_counter() - started:.1f}s (5% overdue)")
    now = utcnow()
    with sessions() as session:
        due = session.scalar(
            select(func.count()).where(Article.active.is_(True), Article.next_check_at <= now)
        )
        plan = session.execute(
            text("EXPLAIN QUERY PLAN " + _sql(session, due_articles_query(now, batch)))
        ).all()
        print(f"    due now: {due:,}; plan: {' | '.join(row[-1] for row in plan)}")
        assert any("ix_article_active_due" in row[-1] for row in plan), "index not used"
        for size in (batch, 2000):
            median, worst = timed(lambda s=size: due_articles(session, now, s))
            print(f"    due_articles(batch={size}): median {median:.1f} ms, worst {worst:.1f} ms"
                  f" (target < 50 ms)")  # fmt: skip
        past = now - timedelta(days=1)
        median, worst = timed(lambda: due_articles(session, past, batch))
        print(f"    due_articles, nothing due: median {median:.2f} ms, worst {worst:.2f} ms")
    for size in (batch, 2000):
        median, worst = timed(lambda s=size: _claim_and_undo(sessions, now, s), repeat=10)
        print(f"    claim_due(batch={size}) incl. lease update + rollback: median {median:.1f} ms,"
              f" worst {worst:.1f} ms")  # fmt: skip
    with sessions.begin() as session:  # leave nothing due, for the idle RSS run
        session.execute(update(Article).values(next_check_at=now + timedelta(days=1)))


def due_articles_query(now: datetime, batch: int) -> Any:
    return (
        select(Article)
        .where(Article.active.is_(True), Article.next_check_at <= now)
        .order_by(Article.next_check_at)
        .limit(batch)
    )


def _sql(session: Session, query: Any) -> str:
    compiled = query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    return str(compiled)


def _claim_and_undo(sessions: sessionmaker[Session], now: datetime, batch: int) -> None:
    with sessions() as session:
        claim_due(session, now, batch, now + timedelta(minutes=10))
        session.rollback()


# ---- (b) idle RSS --------------------------------------------------------------------------


def rss_mb(pid: int) -> tuple[float, float]:
    """VmRSS and VmHWM (peak) of a process, in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


@contextlib.contextmanager
def daemon(db_url: str, args: Sequence[str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = {**os.environ, "EDITWATCH_DB": db_url, "EDITWATCH_CONFIG": str(log.parent / "none")}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "monitor", "-v", "daemon", *args],
            cwd=ROOT, env=env, stdout=out, stderr=out, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def bench_rss(db_url: str, workdir: Path, settle: float = 8.0) -> None:
    with daemon(db_url, ["--tick", "1s"], workdir / "idle.log") as proc:
        time.sleep(settle)
        assert proc.poll() is None, (workdir / "idle.log").read_text()[-2000:]
        rss, peak = rss_mb(proc.pid)
    print(f"(b) idle daemon after {settle:.0f}s: VmRSS {rss:.0f} MB, peak {peak:.0f} MB"
          f" (target < 300 MB)")  # fmt: skip


# ---- (c) throughput ------------------------------------------------------------------------


def make_replica_articles(replicas: Sequence[Any], count: int) -> list[str]:
    """`count` distinct published articles (copies of the seed), spread over the replicas."""
    base = replicas[0].article(SEED)["content"]
    base["related"] = []  # no discovery: only the articles under test are checked
    base["blocks"] = [b for b in base["blocks"] if b.get("type") not in ("article", "link")]
    urls = []
    for n in range(count):
        replica = replicas[n % len(replicas)]
        article_id = FIRST_BENCH_ID + n
        content = {**base, "id": article_id, "slug": f"bench-story-number-{n}",
                   "headline": f"Bench story number {n}", "revisions": []}  # fmt: skip
        replica.set_article(article_id, content)
        urls.append(replica.article_url(article_id))
    return urls


def run_until_checked(
    db_url: str,
    workdir: Path,
    args: Sequence[str],
    expected: int,
    name: str,
    servers: Sequence[int] = (),
) -> tuple[float, float]:
    """Run the daemon until `expected` new checks exist; (checks/s from first dispatch, span).

    `servers` are the replica pids, whose CPU time is reported next to the daemon's.
    """
    sessions = open_database(db_url)
    served = sum(cpu_seconds(pid) for pid in servers)
    with sessions() as session:
        before = session.scalar(select(func.max(Check.id))) or 0
    with daemon(db_url, args, workdir / f"{name}.log") as proc:
        deadline = time.monotonic() + 600
        while _started_at(sessions, proc.pid) is None and proc.poll() is None:
            time.sleep(0.01)
        startup = cpu_seconds(proc.pid)  # ready: the crawler is built, the first dispatch next
        while _checks_after(sessions, before) < expected:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((workdir / f"{name}.log").read_text()[-3000:])
            time.sleep(0.2)
        started = _started_at(sessions, proc.pid)
        cpu = cpu_seconds(proc.pid) - startup
    served = sum(cpu_seconds(pid) for pid in servers) - served
    with sessions() as session:
        first, last = session.execute(
            select(func.min(Check.checked_at), func.max(Check.checked_at)).where(Check.id > before)
        ).one()
        results = dict(
            session.execute(
                select(Check.result, func.count()).where(Check.id > before).group_by(Check.result)
            ).all()
        )
    started = started or first
    span = (last - started).total_seconds()
    print(f"    {name}: {expected} checks in {span:.1f}s = {expected / span:.0f} checks/s "
          f"(first→last check {(last - first).total_seconds():.1f}s) {results}; "
          f"CPU per check: daemon {cpu / expected * 1000:.1f} ms (after a start-up of "
          f"{startup:.1f}s), replicas {served / expected * 1000:.1f} ms")  # fmt: skip
    return expected / span, span


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _checks_after(sessions: sessionmaker[Session], before: int) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count(Check.id)).where(Check.id > before)) or 0)


def _started_at(sessions: sessionmaker[Session], pid: int) -> datetime | None:
    """When the daemon was ready: its first heartbeat, written just before the first dispatch."""
    from storage import Heartbeat

    with sessions() as session:
        query = select(Heartbeat.started_at).where(Heartbeat.name.endswith(f":{pid}"))
        return session.scalar(query)


def make_due(db_url: str) -> None:
    sessions = open_database(db_url)
    with sessions.begin() as session:
        session.execute(update(Article).values(next_check_at=utcnow() - timedelta(seconds=1)))


def bench_throughput(
    workdir: Path, count: int, servers: int, batch: int, extra: Sequence[str]
) -> None:
    from tests.replica.client import Replica

    with contextlib.ExitStack() as stack:
        replicas = [stack.enter_context(Replica.start()) for _ in range(servers)]
        started = time.perf_counter()
        urls = make_replica_articles(replicas, count)
        print(
            f"(c) {count} articles on {servers} replica server(s), created in "
            f"{time.perf_counter() - started:.1f}s; daemon: --batch {batch} {' '.join(extra)}"
        )
        for conditional in (True, False):
            for replica in replicas:
                replica.set_options(conditional=conditional)
            db_url = f"sqlite:///{workdir / f'throughput-{conditional}.db'}"
            sessions = open_database(db_url)
            with sessions.begin() as session:
                for url in urls:
                    add_article(session, url, provisional_key(url), interval_seconds=3600)
            label = "conditional GET (304)" if conditional else "full pages (200, noise on)"
            print(f"  {label}:")
            args = ["--tick", "1s", "--batch", str(batch), *extra]
            pids = [replica.proc.pid for replica in replicas]
            run_until_checked(db_url, workdir, args, count, "first check (new)", pids)
            make_due(db_url)
            run_until_checked(db_url, workdir, args, count, "all due, unchanged", pids)


def _daemon_overrides(values: Sequence[str]) -> list[str]:
    args: list[str] = []
    for value in values:
        args += ["-s", value]
    return args


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--replica-articles", type=int, default=1000)
    parser.add_argument("--replicas", type=int, default=8, help="replica servers for (c)")
    parser.add_argument("--batch", type=int, default=500, help="the daemon's --batch")
    parser.add_argument("--skip-dispatch", action="store_true")
    parser.add_argument("--skip-rss", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("-s", "--set", dest="settings", action="append", default=[],
                        help="Scrapy setting for the throughput daemon (NAME=VALUE)")  # fmt: skip
    options = parser.parse_args()
    print(f"cores: {os.cpu_count()}, python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="bench-daemon-") as tmp:
        workdir = Path(tmp)
        db_url = f"sqlite:///{workdir / 'dispatch.db'}"
        if not options.skip_dispatch:
            bench_dispatch(db_url, options.articles, options.batch)
        if not options.skip_rss:
            if options.skip_dispatch:
                fill(open_database(db_url), options.articles, 0.0, random.Random(1))
            bench_rss(db_url, workdir)
        if not options.skip_throughput:
            extra = _daemon_overrides(options.settings or list(MANY_SITES))
            bench_throughput(
                workdir, options.replica_articles, options.replicas, options.batch, extra
            )


if __name__ == "__main__":
    main()
