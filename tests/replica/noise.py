"""Per-request non-editorial noise; every method is deterministic when noise is off."""

from __future__ import annotations

import logging
import random
from datetime import date, timedelta
from typing import TypeVar

from .dates import parse_dt, to_iso

logger = logging.getLogger(__name__)

T = TypeVar("T")


class Noise:
    """Random choices for one request (a fresh RNG per request when enabled)."""

    def __init__(
        self, enabled: bool, rng: random.Random | None = None, *, modified: bool = False
    ) -> None:
        self.enabled = enabled
        self.modified_enabled = enabled and modified
        self.rng = rng or random.Random()

    def token(self, length: int = 16) -> str:
        """A per-request hex token (constant when noise is off)."""
        if not self.enabled:
            return "0" * length
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(length))

    def bust(self, url: str) -> str:
        """Append a cache-busting `?t=` query to a static URL."""
        if not self.enabled:
            return url
        return f"{url}?t={self.rng.randint(1_500_000_000, 1_900_000_000)}"

    def version(self, default: int) -> int:
        """The `?v=` deploy version of main.css / main.js."""
        return self.rng.randint(100, 999) if self.enabled else default

    def chance(self, p: float) -> bool:
        """True with probability p (never when noise is off)."""
        return self.enabled and self.rng.random() < p

    def subset(self, items: list[T], minimum: int, maximum: int) -> list[T]:
        """A random-size prefix-preserving subset (the first `maximum` when off)."""
        if not self.enabled:
            return items[:maximum]
        k = self.rng.randint(min(minimum, len(items)), min(maximum, len(items)))
        chosen = sorted(self.rng.sample(range(len(items)), k))
        return [items[i] for i in chosen]

    def shuffled(self, items: list[T], k: int) -> list[T]:
        """A random sample of k in random order (the first k when off)."""
        if not self.enabled:
            return items[:k]
        return self.rng.sample(items, min(k, len(items)))

    def render_date(self, today: date) -> date:
        """The related-card render date: today, or a recent day when noisy."""
        if not self.enabled:
            return today
        return today - timedelta(days=self.rng.randint(0, 30))

    def modified(self, iso: str) -> str:
        """`article:modified_time` jitter on some requests (the DB `timestamp` column)."""
        if not self.modified_enabled or not self.chance(0.4):
            return iso
        return to_iso(parse_dt(iso) + timedelta(seconds=self.rng.randint(1, 86_400)))
