"""Alert rules from the config: which channel gets which changes, immediately or in a digest."""

from __future__ import annotations

import fnmatch
import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from monitor.alerts.base import Channel, ConfigError, build_channel
from monitor.diff import SIGNIFICANCE_RANK

logger = logging.getLogger(__name__)

MODES = ("immediate", "hourly", "daily")  # most urgent first
DEFAULT_MIN_SIGNIFICANCE = "minor"
RULE_KEYS = (
    "channel",
    "kinds",
    "min_significance",
    "silent_only",
    "site",
    "url_pattern",
    "articles",
    "mode",
)


@cache
def known_kinds() -> frozenset[str]:
    """Return the change kinds of the documented report schema (what rules can name)."""
    schema_file = resources.files("monitor") / "schemas" / "editwatch.change-1.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    return frozenset(schema["$defs"]["change"]["properties"]["kind"]["enum"])


def _normal_url(url: str) -> str:
    return url.strip().split("#", 1)[0].rstrip("/")


@dataclass(frozen=True)
class Rule:
    """One `rules:` entry: which reports go to one channel, and how soon.

    A report matches when one of its changes has a listed kind (any, if none
    listed) at `min_significance` or above, and every other condition holds.

    `site` is a glob (case-insensitive) on the site adapter's name or the URL's host;
    `url_pattern` is a glob on the whole article URL, or a regular expression
    (searched) when written `re:<regex>`; `articles` lists article URLs or keys.
    """

    channel: str
    kinds: frozenset[str] | None = None
    min_significance: str = DEFAULT_MIN_SIGNIFICANCE
    silent_only: bool = False
    site: str | None = None
    url_pattern: re.Pattern[str] | None = None
    articles: frozenset[str] = field(default_factory=frozenset)
    mode: str = "immediate"

    def matches(self, report: Mapping[str, Any], article_key: str, site: str | None) -> bool:
        """Tell whether this rule wants an alert for `report`."""
        if self.silent_only and not report.get("silent"):
            return False
        url = str(report.get("url") or "")
        if self.articles and not (
            article_key in self.articles
            or str(report.get("article_key") or "") in self.articles
            or _normal_url(url) in self.articles
        ):
            return False
        if self.site is not None:
            host = (urlsplit(url).hostname or "").lower()
            names = [n for n in (site, host) if n]
            if not any(fnmatch.fnmatchcase(n.lower(), self.site) for n in names):
                return False
        if self.url_pattern is not None and not self.url_pattern.search(url):
            return False
        floor = SIGNIFICANCE_RANK[self.min_significance]
        return any(
            SIGNIFICANCE_RANK.get(str(change.get("significance")), -1) >= floor
            and (self.kinds is None or change.get("kind") in self.kinds)
            for change in report.get("changes") or []
        )


@dataclass(frozen=True)
class Alerting:
    """The configured channels by name and the rules that route changes to them."""

    channels: dict[str, Channel]
    rules: list[Rule]

    def match(
        self, report: Mapping[str, Any], article_key: str, site: str | None
    ) -> list[tuple[str, str]]:
        """`match(self.rules, ...)`."""
        return match(self.rules, report, article_key, site)


def match(
    rules: Iterable[Rule], report: Mapping[str, Any], article_key: str, site: str | None
) -> list[tuple[str, str]]:
    """(channel, mode) pairs for a report, each channel once, with its most urgent mode.

    Pure: no I/O. Channels come in the order their first matching rule appears.
    """
    chosen: dict[str, str] = {}
    for rule in rules:
        if not rule.matches(report, article_key, site):
            continue
        current = chosen.get(rule.channel)
        if current is None or MODES.index(rule.mode) < MODES.index(current):
            chosen[rule.channel] = rule.mode
    return list(chosen.items())


def load_alerting(config: Mapping[str, Any], *, source: str | None = None) -> Alerting:
    """Channels and rules from the config (`channels:` mapping, `rules:` list).

    Without a `rules:` key every channel gets every change of at least minor
    significance, immediately. `source` (the config file's path) is named in
    "how to stop these alerts" footers. Raises `ConfigError` (one line).
    """
    raw_channels = config.get("channels") or {}
    if not isinstance(raw_channels, Mapping):
        raise ConfigError("channels: must be a mapping of channel name to its options")
    channels: dict[str, Channel] = {}
    for name, options in raw_channels.items():
        channel = build_channel(name, options)
        channel.config_source = source
        channels[name] = channel
    if "rules" not in config:
        return Alerting(channels, [Rule(channel=name) for name in channels])
    raw_rules = config.get("rules") or []
    if not isinstance(raw_rules, list):
        raise ConfigError("rules: must be a list of rules")
    rules = [parse_rule(index, data, channels) for index, data in enumerate(raw_rules)]
    unused = sorted(set(channels) - {rule.channel for rule in rules})
    if unused:
        logger.warning("alert channels without a rule (they get nothing): %s", ", ".join(unused))
    return Alerting(channels, rules)


def parse_rule(index: int, data: Any, channels: Mapping[str, Channel]) -> Rule:
    """Validate one rule from the config."""
    where = f"rules[{index}]"
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where}: must be a mapping with at least a 'channel' key")
    unknown = sorted(set(data) - set(RULE_KEYS))
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(RULE_KEYS)})")
    channel = data.get("channel")
    if channel is None:
        raise ConfigError(f"{where}: missing key 'channel'")
    if channel not in channels:
        raise ConfigError(f"{where}: channel {channel!r} is not defined under channels:")
    return Rule(
        channel=str(channel),
        kinds=_kinds(where, data.get("kinds")),
        min_significance=_choice(
            where,
            "min_significance",
            data.get("min_significance"),
            tuple(SIGNIFICANCE_RANK),
            DEFAULT_MIN_SIGNIFICANCE,
        ),
        silent_only=_flag(where, "silent_only", data.get("silent_only")),
        site=_site(where, data.get("site")),
        url_pattern=_pattern(where, data.get("url_pattern")),
        articles=frozenset(
            _normal_url(a) for a in _strings(where, "articles", data.get("articles"))
        ),
        mode=_choice(where, "mode", data.get("mode"), MODES, "immediate"),
    )


def _strings(where: str, key: str, value: Any) -> list[str]:
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, Sequence) or not all(isinstance(i, str) and i.strip() for i in items):
        raise ConfigError(f"{where}: {key}: must be a string or a list of strings, not {value!r}")
    return [item.strip() for item in items]


def _kinds(where: str, value: Any) -> frozenset[str] | None:
    kinds = _strings(where, "kinds", value)
    if not kinds:
        return None
    unknown = sorted(set(kinds) - known_kinds())
    if unknown:
        raise ConfigError(
            f"{where}: kinds: unknown change kind {unknown[0]!r} "
            f"(known: {', '.join(sorted(known_kinds()))})"
        )
    return frozenset(kinds)


def _choice(where: str, key: str, value: Any, choices: tuple[str, ...], default: str) -> str:
    if value is None:
        return default
    if value not in choices:
        raise ConfigError(f"{where}: {key}: must be one of {', '.join(choices)}, not {value!r}")
    return str(value)


def _flag(where: str, key: str, value: Any) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: {key}: must be true or false, not {value!r}")
    return value


def _site(where: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: site: must be a site name or host glob, not {value!r}")
    return value.strip().lower()


def _pattern(where: str, value: Any) -> re.Pattern[str] | None:
    """`re:<regex>` is a regular expression (searched); anything else a glob on the whole URL."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: url_pattern: must be a glob or re:<regex>, not {value!r}")
    if value.startswith("re:"):
        try:
            return re.compile(value[3:])
        except re.error as exc:
            raise ConfigError(f"{where}: url_pattern: bad regular expression: {exc}") from None
    return re.compile(fnmatch.translate(value.strip()), re.IGNORECASE)
