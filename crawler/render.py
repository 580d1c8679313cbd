"""Per-run crawl settings from the user config: headless rendering and the User-Agent."""

from __future__ import annotations

import fnmatch
import logging
import os
import re
import shutil
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from scrapy.settings import BaseSettings

from crawler.sites import site_policy

logger = logging.getLogger(__name__)

#: Where a system Chromium is looked for, in order (after `EDITWATCH_CHROMIUM`).
CHROMIUM_CANDIDATES = (
    "/usr/bin/chromium",
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
)
#: Headless flags that work as root in a container, and keep the browser off the network
#: except for the page it is asked to load.
LAUNCH_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
#: Sub-resources a rendered article does not need (their URLs stay in the DOM).
SKIPPED_RESOURCES = frozenset({"image", "media", "font"})
PLAYWRIGHT_HANDLER = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"
USER_AGENT_TEMPLATE = "editwatch/0.1 (+{contact}; news revision monitor)"


def find_chromium(environ: Mapping[str, str] | None = None) -> str | None:
    """The system Chromium to drive: `EDITWATCH_CHROMIUM`, else the first candidate found.

    An `EDITWATCH_CHROMIUM` that does not exist is not replaced by a guess.
    """
    environ = os.environ if environ is None else environ
    chosen = environ.get("EDITWATCH_CHROMIUM", "").strip()
    if chosen:
        found = shutil.which(chosen)
        return os.path.abspath(found) if found else None
    for candidate in CHROMIUM_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


def missing_chromium_message(environ: Mapping[str, str] | None = None) -> str:
    """One line that says what to install or set when no browser was found."""
    environ = os.environ if environ is None else environ
    chosen = environ.get("EDITWATCH_CHROMIUM", "").strip()
    if chosen:
        return f"cannot render the page: EDITWATCH_CHROMIUM={chosen} is not an executable"
    return (
        "cannot render the page: no Chromium found (install the Debian package chromium,"
        " or set EDITWATCH_CHROMIUM to the browser's path)"
    )


def url_matches(pattern: str, url: str) -> bool:
    """`re:REGEX` searches the URL; anything else is a shell glob over the whole URL."""
    if pattern.startswith("re:"):
        return re.search(pattern[3:], url) is not None
    return fnmatch.fnmatchcase(url, pattern)


def check_url_patterns(patterns: Any, where: str) -> list[str]:
    """A list of URL patterns from the config; a bad one raises ValueError naming `where`."""
    if patterns is None:
        return []
    if isinstance(patterns, str):
        patterns = [patterns]
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise ValueError(f"{where} must be a list of URL patterns (glob or re:REGEX)")
    for pattern in patterns:
        if pattern.startswith("re:"):
            try:
                re.compile(pattern[3:])
            except re.error as exc:
                raise ValueError(f"{where}: bad regular expression {pattern!r}: {exc}") from None
    return list(patterns)


def wants_render(config: Mapping[str, Any], url: str) -> bool:
    """Whether `url` is fetched through the browser.

    Yes when its site is `render: true`, or when it matches a `render_urls:`
    pattern (single articles marked for rendering).
    """
    if site_policy(config, urlsplit(url).hostname or "").render:
        return True
    try:
        patterns = check_url_patterns(config.get("render_urls"), "render_urls")
    except ValueError:  # reported once, by ConfigAddon
        return False
    return any(url_matches(pattern, url) for pattern in patterns)


def render_configured(config: Mapping[str, Any]) -> bool:
    """Whether any site or article in the config asks for rendering."""
    sites = config.get("sites") or {}
    if isinstance(sites, Mapping) and any(
        isinstance(entry, Mapping) and entry.get("render") for entry in sites.values()
    ):
        return True
    return bool(config.get("render_urls"))


def render_settings(
    config: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Scrapy settings for rendering, only when the config asks for it.

    Empty when nothing is rendered (no browser, no Playwright driver). Without a
    Chromium the settings carry `EDITWATCH_RENDER_ERROR` instead, and each render
    page ends in an error check with that line.
    """
    if not render_configured(config):
        return {}
    executable = find_chromium(environ)
    if executable is None:
        return {"EDITWATCH_RENDER_ERROR": missing_chromium_message(environ)}
    return {
        "EDITWATCH_RENDER": True,
        "DOWNLOAD_HANDLERS": {"http": PLAYWRIGHT_HANDLER, "https": PLAYWRIGHT_HANDLER},
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": {
            "executable_path": executable,
            "headless": True,
            "args": list(LAUNCH_ARGS),
        },
        "PLAYWRIGHT_ABORT_REQUEST": "crawler.render.skip_resource",
        "PLAYWRIGHT_BROWSER_PROVIDER": "crawler.render.LazyBrowserProvider",
        "PLAYWRIGHT_MAX_CONTEXTS": 1,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": 4,
    }


def _lazy_browser_provider() -> type:
    """scrapy-playwright's browser provider, starting Playwright at the first rendered page.

    The stock provider starts the Playwright driver as each crawl starts; the
    daemon crawls each batch, and most batches have no page to render. Built on
    first use so that crawls without rendering never import Playwright.
    """
    from scrapy_playwright.provider import PlaywrightBrowserProvider

    class LazyBrowserProvider(PlaywrightBrowserProvider):  # type: ignore[misc]
        async def start(self) -> None:
            """Nothing yet: the driver starts with the first browser."""

        async def launch_browser(self) -> Any:
            if self.playwright is None:
                await super().start()
            return await super().launch_browser()

        async def launch_persistent_context(self, context_kwargs: dict[str, Any]) -> Any:
            if self.playwright is None:
                await super().start()
            return await super().launch_persistent_context(context_kwargs)

    return LazyBrowserProvider


def __getattr__(name: str) -> Any:
    """`crawler.render.LazyBrowserProvider` (PLAYWRIGHT_BROWSER_PROVIDER), made on demand."""
    if name == "LazyBrowserProvider":
        provider = _lazy_browser_provider()
        globals()[name] = provider
        return provider
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def skip_resource(request: Any) -> bool:
    """PLAYWRIGHT_ABORT_REQUEST: do not download images, video or fonts of a rendered page."""
    return str(request.resource_type) in SKIPPED_RESOURCES


def user_agent(config: Mapping[str, Any]) -> str | None:
    """`editwatch/0.1 (+CONTACT; news revision monitor)` from `contact:` in the config."""
    contact = config.get("contact")
    if contact is None:
        return None
    text = str(contact).strip()
    if not text or any(c in text for c in "();\r\n"):
        raise ValueError(f"contact must be a URL or an e-mail address, not {contact!r}")
    return USER_AGENT_TEMPLATE.format(contact=text)


def check_config(config: Mapping[str, Any]) -> None:
    """Raise ValueError (one line) for a `contact:` or `render_urls:` that cannot be used."""
    user_agent(config)
    check_url_patterns(config.get("render_urls"), "render_urls")


class ConfigAddon:
    """Scrapy add-on: apply the user config (`EDITWATCH_CONFIG`) to the crawl's settings.

    The browser download handler is configured only when some site or article is
    marked `render`; `contact:` becomes the User-Agent. Values set on the command
    line (overrides) win over both.
    """

    def update_settings(self, settings: BaseSettings) -> None:
        """Add the rendering and User-Agent settings that the config asks for."""
        config = settings.getdict("EDITWATCH_CONFIG")
        try:
            check_config(config)
        except ValueError as exc:  # commands check first; a crawl never dies of it
            logger.warning("config ignored for this crawl: %s", exc)
            return
        overrides = render_settings(config)
        agent = user_agent(config)
        if agent:
            overrides["USER_AGENT"] = agent
        for name, value in overrides.items():
            # Above crawler.settings ("project"), below per-run overrides ("cmdline").
            settings.set(name, value, priority="project")
        if overrides.get("EDITWATCH_RENDER"):
            logger.debug("rendering with %s", overrides["PLAYWRIGHT_LAUNCH_OPTIONS"])
