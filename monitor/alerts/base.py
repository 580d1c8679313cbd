"""The alert-channel plugin family: a base class, its registry, errors and option parsing."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urlsplit

from monitor.alerts.message import AlertMessage

logger = logging.getLogger(__name__)

__all__ = [
    "AlertMessage",
    "Channel",
    "ConfigError",
    "DeliveryError",
    "Options",
    "build_channel",
    "channel_kinds",
]

_REGISTRY: dict[str, type[Channel]] = {}
CHANNEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
DEFAULT_TIMEOUT = 30.0


class ConfigError(ValueError):
    """The alerting config is wrong; the message is one line: which channel, which key, what."""


class DeliveryError(RuntimeError):
    """A channel could not deliver one message; the message is one line for the user and logs."""


class Channel:
    """Base of alert channels; subclasses register with `class X(Channel, kind="name")`.

    A subclass's docstring is its help text. `from_config` validates the
    options and raises `ConfigError`; `send` raises `DeliveryError`.
    """

    kind: ClassVar[str]
    #: Where the channel is configured (a file path), for "how to unsubscribe" footers.
    config_source: str | None = None

    def __init_subclass__(cls, kind: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__doc__:
            raise TypeError(f"alert channel kind {kind!r} needs a docstring (it is the help text)")
        cls.kind = kind
        _REGISTRY[kind] = cls

    def __init__(self, name: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.name = name
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}: {self.describe()}>"

    @classmethod
    def from_config(cls, name: str, options: dict[str, Any]) -> Channel:
        """Build the channel from its config options (without `kind`); raise `ConfigError`."""
        raise NotImplementedError

    def describe(self) -> str:
        """Where messages go, for listings and logs; never contains a secret."""
        return self.kind

    async def send(self, message: AlertMessage) -> None:
        """Deliver one message or raise `DeliveryError` (one line)."""
        raise NotImplementedError

    async def test(self, message: AlertMessage) -> None:
        """Check the channel end to end with a sample message (`alerts test`); default: send it."""
        await self.send(message)


def channel_kinds() -> dict[str, type[Channel]]:
    """Return the registered channel kinds by name."""
    return dict(_REGISTRY)


def build_channel(name: str, options: Any) -> Channel:
    """Build a channel from one `channels:` entry (`{kind: ..., ...options}`)."""
    if not isinstance(name, str) or not CHANNEL_NAME.fullmatch(name):
        raise ConfigError(f"channel name {name!r} must be 1-64 letters, digits, '.', '_' or '-'")
    if not isinstance(options, Mapping):
        raise ConfigError(f"channel {name!r}: must be a mapping with a 'kind' key")
    options = dict(options)
    kind = options.pop("kind", None)
    if kind is None:
        raise ConfigError(f"channel {name!r}: missing key 'kind' (one of {_known()})")
    cls = _REGISTRY.get(str(kind))
    if cls is None:
        raise ConfigError(f"channel {name!r}: unknown kind {kind!r} (known: {_known()})")
    return cls.from_config(name, options)


def _known() -> str:
    return ", ".join(sorted(_REGISTRY))


class Options:
    """Typed access to one channel's options; every problem is a one-line `ConfigError`."""

    def __init__(self, channel: str, options: Mapping[str, Any]) -> None:
        self.channel = channel
        self.options = dict(options)
        self._used: set[str] = set()

    def error(self, key: str, problem: str) -> ConfigError:
        """Make a `ConfigError` naming this channel and `key`."""
        return ConfigError(f"channel {self.channel!r}: {key}: {problem}")

    def _get(self, key: str, required: bool) -> Any:
        self._used.add(key)
        value = self.options.get(key)
        if value is None and required:
            raise ConfigError(f"channel {self.channel!r}: missing key {key!r}")
        return value

    def text(self, key: str, default: str | None = None, *, required: bool = False) -> str | None:
        """Read a string option."""
        value = self._get(key, required)
        if value is None:
            return default
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, f"must be a non-empty string, not {value!r}")
        return value.strip()

    def required_str(self, key: str) -> str:
        """Read a string option that must be present."""
        value = self.text(key, required=True)
        assert value is not None
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        """One of `choices`."""
        value = self.text(key, default) or default
        if value not in choices:
            raise self.error(key, f"must be one of {', '.join(choices)}, not {value!r}")
        return value

    def number(self, key: str, default: float, *, minimum: float = 0.0) -> float:
        """Read a number option above `minimum` (so timeouts are positive)."""
        value = self._get(key, False)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= minimum:
            raise self.error(key, f"must be a number above {minimum:g}, not {value!r}")
        return float(value)

    def flag(self, key: str, default: bool) -> bool:
        """Read a true/false option."""
        value = self._get(key, False)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.error(key, f"must be true or false, not {value!r}")
        return value

    def str_list(self, key: str, *, required: bool = False) -> list[str]:
        """Read a string or a list of strings."""
        value = self._get(key, required)
        if value is None:
            return []
        items = [value] if isinstance(value, str) else value
        if (
            not isinstance(items, list)
            or not items
            or not all(isinstance(item, str) and item.strip() for item in items)
        ):
            raise self.error(key, f"must be a string or a list of strings, not {value!r}")
        return [item.strip() for item in items]

    def secret(self, key: str, *, required: bool = False) -> str | None:
        """Read the environment variable whose NAME the option `key` holds."""
        var = self.text(key, required=required)
        if var is None:
            return None
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", var):
            raise self.error(key, f"must name an environment variable, not {var!r}")
        value = os.environ.get(var)
        if not value:
            raise self.error(key, f"environment variable {var} is not set")
        return value

    def http_url(self, key: str) -> str:
        """Read a required absolute http(s) URL with a host."""
        url = self.required_str(key)
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018  (raises ValueError on a bad port)
        except ValueError as exc:
            raise self.error(key, f"malformed URL ({exc})") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise self.error(key, "must be an absolute http:// or https:// URL with a host")
        return url

    def finish(self) -> None:
        """Reject keys nobody asked for (typos would otherwise be silently ignored)."""
        unknown = sorted(set(self.options) - self._used)
        if unknown:
            raise ConfigError(f"channel {self.channel!r}: unknown option {unknown[0]!r}")
