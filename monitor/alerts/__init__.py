"""Alerts: channels registered by kind, rules from the config, a transactional outbox, delivery."""

from __future__ import annotations

from monitor.alerts import apprise, email, feed, webhook  # noqa: F401  (registers the kinds)
from monitor.alerts.base import (
    AlertMessage,
    Channel,
    ConfigError,
    DeliveryError,
    build_channel,
    channel_kinds,
)
from monitor.alerts.rules import Alerting, Rule, load_alerting, match

__all__ = [
    "AlertMessage",
    "Alerting",
    "Channel",
    "ConfigError",
    "DeliveryError",
    "Rule",
    "build_channel",
    "channel_kinds",
    "load_alerting",
    "match",
]
