"""When to check an article next: often while it is fresh or just edited, rarely when quiet."""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from datetime import datetime, timedelta

logger = logging.getLogger(__name__)

#: (age of the last change under, check every) after NewsDiffs; None = stop checking.
DEFAULT_TABLE: tuple[tuple[timedelta, timedelta | None], ...] = (
    (timedelta(hours=3), timedelta(minutes=15)),
    (timedelta(days=1), timedelta(hours=1)),
    (timedelta(days=7), timedelta(hours=3)),
    (timedelta(days=30), timedelta(days=3)),
    (timedelta(days=360), timedelta(days=30)),
)


def check_interval(
    quiet_for: timedelta,
    table: Sequence[tuple[timedelta, timedelta | None]] = DEFAULT_TABLE,
) -> timedelta | None:
    """The interval for an article whose last change is `quiet_for` old (None: stop)."""
    for under, every in table:
        if quiet_for < under:
            return every
    return None


def next_check_at(
    now: datetime,
    last_change_at: datetime,
    *,
    pinned: timedelta | None = None,
    minimum: timedelta = timedelta(0),
    jitter: float = 0.1,
    rng: random.Random | None = None,
    table: Sequence[tuple[timedelta, timedelta | None]] = DEFAULT_TABLE,
) -> datetime | None:
    """The next due time, with +/- `jitter` spread, never sooner than `minimum`."""
    interval = pinned if pinned is not None else check_interval(now - last_change_at, table)
    if interval is None:
        return None
    spread = (rng or random).uniform(-jitter, jitter) if pinned is None else 0.0
    seconds = max(interval.total_seconds() * (1 + spread), minimum.total_seconds())
    return now + timedelta(seconds=seconds)
