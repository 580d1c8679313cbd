"""Drain the outbox: send due alerts, retry with backoff and jitter, dead-letter, digests."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.alerts.base import AlertMessage, Channel, DeliveryError
from monitor.alerts.outbox import DELIVERED, FAILED, PENDING, retry_failed
from monitor.alerts.rules import Alerting
from storage import Alert
from storage.models import utcnow

logger = logging.getLogger(__name__)

__all__ = ["DeliveryStats", "deliver_due", "retry_failed", "send_digests"]

#: A claimed alert is not picked up again (by this or another worker) for this long;
#: after a crash between sending and marking it is retried, so sent at most twice.
LEASE = timedelta(minutes=10)
BATCH = 500
DIGEST_PERIODS = ("hourly", "daily")


@dataclass
class DeliveryStats:
    """What one delivery run did."""

    delivered: int = 0
    retrying: int = 0  # failed this time, due again after a backoff
    dead: int = 0  # failed for the last time: state "failed" (dead letter)
    deferred: int = 0  # not tried: an earlier alert of the same channel failed in this run
    errors: list[str] = field(default_factory=list)

    def add(self, other: DeliveryStats) -> None:
        """Fold another run's counts into this one."""
        self.delivered += other.delivered
        self.retrying += other.retrying
        self.dead += other.dead
        self.deferred += other.deferred
        self.errors.extend(other.errors)


@dataclass(frozen=True)
class _Job:
    """A claimed alert, detached from its session."""

    id: int
    channel: str
    key: str
    attempts: int
    payload: dict[str, Any]


@dataclass(frozen=True)
class _Backoff:
    max_attempts: int
    base_delay: float
    max_delay: float
    rng: random.Random

    def delay(self, attempts: int) -> timedelta:
        """Return the wait after `attempts` failures: exponential, capped, half of it random."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** max(attempts - 1, 0))
        return timedelta(seconds=ceiling / 2 + self.rng.uniform(0, ceiling / 2))


def _claim(
    sessions: sessionmaker[Session], now: datetime, modes: Sequence[str], limit: int = BATCH
) -> list[_Job]:
    """Take due pending alerts of `modes` and lease them (skip rows another worker holds)."""
    with sessions.begin() as session:
        rows = session.scalars(
            select(Alert)
            .where(Alert.state == PENDING, Alert.mode.in_(list(modes)))
            .where(Alert.next_attempt_at <= now)
            .order_by(Alert.next_attempt_at, Alert.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        for row in rows:
            row.next_attempt_at = now + LEASE
        return [_Job(r.id, r.channel, r.idempotency_key, r.attempts, dict(r.payload)) for r in rows]


def _mark_delivered(sessions: sessionmaker[Session], ids: Sequence[int], now: datetime) -> None:
    with sessions.begin() as session:
        for alert in session.scalars(select(Alert).where(Alert.id.in_(list(ids)))):
            alert.state = DELIVERED
            alert.delivered_at = now
            alert.attempts += 1
            alert.last_error = None


def _mark_failed(
    sessions: sessionmaker[Session],
    ids: Sequence[int],
    error: str,
    now: datetime,
    backoff: _Backoff,
    stats: DeliveryStats,
) -> datetime:
    """Count a failed attempt on each alert; back off, or dead-letter. Returns the retry time."""
    retry_at = now + backoff.delay(1)
    with sessions.begin() as session:
        for alert in session.scalars(select(Alert).where(Alert.id.in_(list(ids)))):
            alert.attempts += 1
            alert.last_error = error
            if alert.attempts >= backoff.max_attempts:
                alert.state = FAILED
                stats.dead += 1
                logger.error(
                    "alert %s (%s) failed %s times, giving up: %s",
                    alert.id,
                    alert.channel,
                    alert.attempts,
                    error,
                )
            else:
                retry_at = now + backoff.delay(alert.attempts)
                alert.next_attempt_at = retry_at
                stats.retrying += 1
                logger.warning(
                    "alert %s (%s) attempt %s failed, retry at %s: %s",
                    alert.id,
                    alert.channel,
                    alert.attempts,
                    retry_at.isoformat(),
                    error,
                )
    return retry_at


def _defer(sessions: sessionmaker[Session], ids: Sequence[int], until: datetime) -> None:
    """Put alerts back without counting an attempt (their channel just failed)."""
    if not ids:
        return
    with sessions.begin() as session:
        for alert in session.scalars(select(Alert).where(Alert.id.in_(list(ids)))):
            alert.next_attempt_at = until


def _fail_unknown(
    sessions: sessionmaker[Session], jobs: Sequence[_Job], stats: DeliveryStats
) -> None:
    """Alerts for a channel no longer in the config: dead letters with a clear reason."""
    with sessions.begin() as session:
        for job in jobs:
            alert = session.get(Alert, job.id)
            if alert is None:
                continue
            alert.state = FAILED
            alert.last_error = (
                f"channel {job.channel!r} is not in the config (removed or renamed?); "
                f"fix the config, then: editwatch alerts retry {job.id}"
            )
            stats.dead += 1
            stats.errors.append(f"alert {job.id} ({job.channel}): {alert.last_error}")
            logger.error("alert %s: %s", job.id, alert.last_error)


async def attempt(
    channel: Channel, message: AlertMessage, limit: float, *, test: bool = False
) -> str | None:
    """Send once (or `Channel.test`) within `limit` seconds; None on success, else the error."""
    try:
        sending = channel.test(message) if test else channel.send(message)
        await asyncio.wait_for(sending, timeout=limit)
    except DeliveryError as exc:
        return str(exc)
    except TimeoutError:
        return f"no answer within {limit:g}s"
    except Exception as exc:  # a channel bug must not stop the others: recorded and logged
        logger.exception("channel %s raised unexpectedly", channel.name)
        return f"{type(exc).__name__}: {exc}"
    return None


def _send_limit(channel: Channel, send_timeout: float | None) -> float:
    return send_timeout if send_timeout is not None else channel.timeout * 2


def _split_known(
    alerting: Alerting, jobs: Sequence[_Job]
) -> tuple[dict[str, list[_Job]], list[_Job]]:
    by_channel: dict[str, list[_Job]] = {}
    unknown = []
    for job in jobs:
        if job.channel in alerting.channels:
            by_channel.setdefault(job.channel, []).append(job)
        else:
            unknown.append(job)
    return by_channel, unknown


async def _drain_channel(
    sessions: sessionmaker[Session],
    channel: Channel,
    jobs: Sequence[_Job],
    now: datetime,
    backoff: _Backoff,
    send_timeout: float | None,
) -> DeliveryStats:
    """Send one channel's alerts in order; at the first failure defer the rest."""
    stats = DeliveryStats()
    for index, job in enumerate(jobs):
        message = AlertMessage(channel.name, job.key, job.payload)
        error = await attempt(channel, message, _send_limit(channel, send_timeout))
        if error is None:
            _mark_delivered(sessions, [job.id], now)
            stats.delivered += 1
            continue
        stats.errors.append(f"alert {job.id} ({channel.name}): {error}")
        retry_at = _mark_failed(sessions, [job.id], error, now, backoff, stats)
        rest = [j.id for j in jobs[index + 1 :]]
        _defer(sessions, rest, retry_at)
        stats.deferred += len(rest)
        break
    return stats


async def deliver_due(
    sessions: sessionmaker[Session],
    alerting: Alerting,
    now: datetime | None = None,
    *,
    max_attempts: int = 8,
    base_delay: float = 30,
    max_delay: float = 3600,
    rng: random.Random | None = None,
    send_timeout: float | None = None,
) -> DeliveryStats:
    """Send every pending immediate alert that is due, channels concurrently.

    Each alert is marked delivered in its own short transaction right after it
    is sent. A failure counts an attempt and backs off exponentially with jitter
    (`base_delay` * 2^(attempts-1), at most `max_delay`); after `max_attempts`
    the alert is failed (dead letter). Each send is limited to `send_timeout`
    seconds (default: twice the channel's timeout), so a dead channel holds up
    no other.
    """
    now = now or utcnow()
    backoff = _Backoff(max_attempts, base_delay, max_delay, rng or random.Random())
    jobs = _claim(sessions, now, ["immediate"])
    by_channel, unknown = _split_known(alerting, jobs)
    stats = DeliveryStats()
    _fail_unknown(sessions, unknown, stats)
    runs = await asyncio.gather(
        *(
            _drain_channel(sessions, alerting.channels[name], group, now, backoff, send_timeout)
            for name, group in by_channel.items()
        )
    )
    for run in runs:
        stats.add(run)
    if jobs:
        logger.info(
            "alert delivery: %s delivered, %s to retry, %s failed, %s deferred",
            stats.delivered,
            stats.retrying,
            stats.dead,
            stats.deferred,
        )
    return stats


def digest_key(period: str, channel: str, ids: Sequence[int]) -> str:
    """Return the idempotency key of a digest: the same alerts give the same key."""
    digest = hashlib.sha256(",".join(map(str, sorted(ids))).encode()).hexdigest()[:16]
    return f"ew-{period}-{channel}-{digest}"


async def _send_digest(
    sessions: sessionmaker[Session],
    channel: Channel,
    period: str,
    jobs: Sequence[_Job],
    now: datetime,
    backoff: _Backoff,
    send_timeout: float | None,
) -> DeliveryStats:
    stats = DeliveryStats()
    jobs = sorted(jobs, key=lambda job: job.id)
    ids = [job.id for job in jobs]
    message = AlertMessage.digest(
        channel.name, digest_key(period, channel.name, ids), period, [j.payload for j in jobs]
    )
    error = await attempt(channel, message, _send_limit(channel, send_timeout))
    if error is None:
        _mark_delivered(sessions, ids, now)
        stats.delivered += len(ids)
        logger.info("%s digest of %s alerts sent through %s", period, len(ids), channel.name)
    else:
        stats.errors.append(f"{period} digest ({channel.name}): {error}")
        _mark_failed(sessions, ids, error, now, backoff, stats)
    return stats


async def send_digests(
    sessions: sessionmaker[Session],
    alerting: Alerting,
    period: str,
    now: datetime | None = None,
    *,
    max_attempts: int = 8,
    base_delay: float = 30,
    max_delay: float = 3600,
    rng: random.Random | None = None,
    send_timeout: float | None = None,
) -> DeliveryStats:
    """One message per channel summarising its pending `period` ("hourly"/"daily") alerts.

    The alerts of one digest are marked delivered (or failed) together.
    """
    if period not in DIGEST_PERIODS:
        raise ValueError(f"digest period must be hourly or daily, not {period!r}")
    now = now or utcnow()
    backoff = _Backoff(max_attempts, base_delay, max_delay, rng or random.Random())
    jobs = _claim(sessions, now, [period])
    by_channel, unknown = _split_known(alerting, jobs)
    stats = DeliveryStats()
    _fail_unknown(sessions, unknown, stats)
    runs = await asyncio.gather(
        *(
            _send_digest(
                sessions, alerting.channels[name], period, group, now, backoff, send_timeout
            )
            for name, group in by_channel.items()
        )
    )
    for run in runs:
        stats.add(run)
    return stats
