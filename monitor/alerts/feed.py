"""The `feed` channel: Atom feeds of changes in a directory (one for all articles, one each)."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import tempfile
import threading
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from monitor.alerts.base import AlertMessage, Channel, DeliveryError, Options
from monitor.alerts.message import report_subject
from monitor.render.html import html_fragment, kind_label

logger = logging.getLogger(__name__)

ATOM = "http://www.w3.org/2005/Atom"
ET.register_namespace("", ATOM)
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SLUG = re.compile(r"[^A-Za-z0-9._-]+")


def _q(tag: str) -> str:
    return f"{{{ATOM}}}{tag}"


def _text(value: object) -> str:
    """Text that XML 1.0 can carry (control characters dropped)."""
    return _INVALID_XML.sub("", str(value))


def article_slug(report: dict[str, Any]) -> str:
    """Return the per-article feed's file stem, from the article key (or URL)."""
    key = str(report.get("article_key") or report.get("url") or "article")
    return _SLUG.sub("-", key).strip("-.")[:120] or "article"


def entry_id(report: dict[str, Any]) -> str:
    """Return an entry id stable per revision pair: a resend replaces, never duplicates."""
    key = _SLUG.sub("-", str(report.get("article_key") or report.get("url")))
    return f"urn:editwatch:{key}:r{report['from']['revision']}-r{report['to']['revision']}"


class FeedChannel(Channel, kind="feed"):
    """Atom feeds written to a directory: `all.xml` for every article, `articles/<key>.xml` each.

    Options: directory (created if missing), title (default "editwatch: changes"),
    max_entries (per feed, default 200), base_url (where the directory is served,
    for the feeds' self links). Files are replaced atomically (temp file + rename),
    so a web server or feed reader never sees half a feed.
    """

    def __init__(
        self,
        name: str,
        *,
        directory: Path,
        title: str = "editwatch: changes",
        max_entries: int = 200,
        base_url: str | None = None,
    ) -> None:
        super().__init__(name, timeout=30.0)
        self.directory = directory
        self.title = title
        self.max_entries = max_entries
        self.base_url = base_url.rstrip("/") + "/" if base_url else None
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, name: str, options: dict[str, Any]) -> FeedChannel:
        """Validate the options (the directory is created on first write)."""
        opts = Options(name, options)
        directory = Path(opts.required_str("directory")).expanduser()
        max_entries = opts.number("max_entries", 200)
        if max_entries != int(max_entries):
            raise opts.error("max_entries", f"must be a whole number, not {max_entries:g}")
        base_url = opts.http_url("base_url") if opts.options.get("base_url") is not None else None
        channel = cls(
            name,
            directory=directory,
            title=opts.text("title", "editwatch: changes") or "editwatch: changes",
            max_entries=int(max_entries),
            base_url=base_url,
        )
        opts.finish()
        return channel

    def describe(self) -> str:
        """Name the feed directory."""
        return f"atom feeds in {self.directory}"

    def paths(self, report: dict[str, Any]) -> tuple[Path, Path]:
        """Return the all-articles feed and this article's feed."""
        one = self.directory / "articles" / f"{article_slug(report)}.xml"
        return self.directory / "all.xml", one

    async def send(self, message: AlertMessage) -> None:
        """Add one entry per report to both feeds."""
        await asyncio.to_thread(self._write_all, message)

    async def test(self, message: AlertMessage) -> None:
        """Check the directory is writable without adding a test entry to the real feeds."""
        await asyncio.to_thread(self._check_writable)

    def _check_writable(self) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.directory, prefix=".editwatch-test-"):
                pass
        except OSError as exc:
            raise DeliveryError(f"feed directory {self.directory}: {exc.strerror or exc}") from None

    def _write_all(self, message: AlertMessage) -> None:
        with self._lock:
            try:
                for report in message.reports:
                    everything, one = self.paths(report)
                    entry = self._entry(report)
                    self._update(everything, "all", self.title, entry)
                    title = f"{self.title}: {report.get('headline') or report.get('url')}"
                    self._update(one, f"articles/{one.name}", title, entry)
            except OSError as exc:
                raise DeliveryError(f"feed {self.directory}: {exc.strerror or exc}") from None

    def _entry(self, report: dict[str, Any]) -> ET.Element:
        entry = ET.Element(_q("entry"))
        ET.SubElement(entry, _q("id")).text = entry_id(report)
        ET.SubElement(entry, _q("title")).text = _text(report_subject(report))
        ET.SubElement(entry, _q("updated")).text = _rfc3339(report["to"]["fetched_at"])
        url = str(report.get("url") or "")
        if url.lower().startswith(("http://", "https://")):
            ET.SubElement(entry, _q("link"), rel="alternate", type="text/html", href=_text(url))
        for kind in dict.fromkeys(c.get("kind", "") for c in report.get("changes") or []):
            ET.SubElement(entry, _q("category"), term=_text(kind), label=kind_label(kind))
        content = ET.SubElement(entry, _q("content"), type="html")
        content.text = _text(html_fragment(report))
        return entry

    def _update(self, path: Path, relative: str, title: str, entry: ET.Element) -> None:
        new_id = entry.findtext(_q("id"))
        entries = [e for e in _read_entries(path) if e.findtext(_q("id")) != new_id]
        entries.append(entry)
        entries.sort(key=lambda e: e.findtext(_q("updated")) or "", reverse=True)
        feed = ET.Element(_q("feed"))
        ET.SubElement(feed, _q("id")).text = f"urn:editwatch:feed:{self.name}:{relative}"
        ET.SubElement(feed, _q("title")).text = _text(title)
        newest = entries[0].findtext(_q("updated")) or _rfc3339(datetime.now(UTC).isoformat())
        ET.SubElement(feed, _q("updated")).text = newest
        author = ET.SubElement(feed, _q("author"))
        ET.SubElement(author, _q("name")).text = "editwatch"
        ET.SubElement(feed, _q("generator")).text = "editwatch"
        if self.base_url:
            href = self.base_url + relative
            ET.SubElement(feed, _q("link"), rel="self", type="application/atom+xml", href=href)
        feed.extend(entries[: self.max_entries])
        _atomic_write(path, ET.tostring(feed, encoding="utf-8", xml_declaration=True))


def _read_entries(path: Path) -> list[ET.Element]:
    try:
        root = ET.parse(path).getroot()
    except FileNotFoundError:
        return []
    except ET.ParseError as exc:
        logger.warning("feed %s is not valid XML (%s); starting it afresh", path, exc)
        return []
    return root.findall(_q("entry"))


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _rfc3339(stamp: str) -> str:
    """Format an ISO timestamp as Atom wants it (naive ones are taken as UTC)."""
    moment = datetime.fromisoformat(stamp)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
