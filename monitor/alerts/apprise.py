"""The `apprise` channel: any service apprise supports (Slack, Telegram, Matrix, ntfy, ...)."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from monitor.alerts.base import AlertMessage, Channel, ConfigError, DeliveryError, Options

logger = logging.getLogger(__name__)

_LOUD = {logging.WARNING, logging.ERROR, logging.CRITICAL}


@contextmanager
def _quiet_imports() -> Iterator[None]:
    # apprise loads its plugins on first use; one of them imports the deprecated `imghdr`.
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="'imghdr' is deprecated", category=DeprecationWarning
        )
        yield


def _load_apprise(channel: str) -> Any:
    try:
        import apprise
    except ImportError:
        raise ConfigError(
            f"channel {channel!r}: kind apprise needs the apprise package (pip install apprise)"
        ) from None
    return apprise


class AppriseChannel(Channel, kind="apprise"):
    """A short text notification through apprise URLs (one or several).

    Options: urls (an apprise URL or a list, e.g. `ntfy://ntfy.sh/mytopic`,
    `tgram://BOT/CHAT`), or url_env (the NAME of an environment variable holding
    URLs separated by spaces or commas, for URLs that carry tokens), and timeout
    (seconds, default 30). Title: the alert subject; body: the changes in short.
    """

    def __init__(self, name: str, *, urls: list[str], timeout: float = 30.0) -> None:
        super().__init__(name, timeout=timeout)
        self._urls = urls
        self._apprise = _build(name, urls)

    @classmethod
    def from_config(cls, name: str, options: dict[str, Any]) -> AppriseChannel:
        """Validate every URL with apprise itself (secrets in URLs never appear in errors)."""
        opts = Options(name, options)
        urls = opts.str_list("urls")
        from_env = opts.secret("url_env")
        if from_env:
            urls.extend(u for u in from_env.replace(",", " ").split() if u)
        if not urls:
            raise ConfigError(f"channel {name!r}: missing key 'urls' (or 'url_env')")
        channel = cls(name, urls=urls, timeout=opts.number("timeout", 30.0))
        opts.finish()
        return channel

    def describe(self) -> str:
        """Name the services by scheme only (apprise URLs carry tokens)."""
        schemes = [url.split("://", 1)[0] for url in self._urls]
        return "apprise " + ", ".join(f"{scheme}://…" for scheme in schemes)

    async def send(self, message: AlertMessage) -> None:
        """Notify every URL; any service failing fails the delivery."""
        with _quiet_imports():
            result = await self._apprise.async_notify(
                body=message.short_text(), title=message.subject(), timeout=self.timeout
            )
        if result:
            logger.info("apprise %s delivered through %s", message.idempotency_key, self.name)
            return
        raise DeliveryError(f"apprise: {_failure(result)}")


def _build(name: str, urls: list[str]) -> Any:
    apprise = _load_apprise(name)
    notifier = apprise.Apprise()
    for index, url in enumerate(urls):
        with apprise.LogCapture(level=logging.WARNING) as captured, _quiet_imports():
            added = notifier.add(url)
        if not added:
            scheme = url.split("://", 1)[0] if "://" in url else "?"
            lines = [line for line in captured.getvalue().splitlines() if line.strip()]
            reason = lines[-1].split(" - ", 2)[-1] if lines else "not understood"
            raise ConfigError(
                f"channel {name!r}: urls[{index}] ({scheme}://…) "
                f"is not a valid apprise URL: {reason}"
            )
    return notifier


def _failure(result: Any) -> str:
    """One line from an AppriseResult: each failed service, its status and last warning."""
    problems = []
    for service in getattr(result, "results", ()):
        if bool(service):
            continue
        warnings_seen = [
            entry.message
            for entry in service.logs()
            if logging.getLevelName(str(entry.level)) in _LOUD
        ]
        detail = f": {warnings_seen[-1]}" if warnings_seen else ""
        problems.append(f"{service.name} {service.status.name.lower()}{detail}")
    if not problems:
        status = getattr(getattr(result, "status", None), "name", "failure")
        return f"notification {status.lower()}"
    return "; ".join(" ".join(p.split()) for p in problems)
