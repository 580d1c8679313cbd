"""Commands that read what is stored: history, diff, changes, show, extract."""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import click
from rich.console import RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from sqlalchemy.orm import Session

from crawler.extractors.identity import provisional_key
from monitor.cli.options import AppContext, UsageError, check_url, parse_duration
from monitor.diff.model import KINDS
from monitor.render import formats, get_renderer
from monitor.render.terminal import LEVEL_STYLE, console_on, print_all, write_revision
from monitor.render.unified import short_change
from monitor.report import diff_report, history_entries, revision_view
from storage import Article, Change
from storage.models import utcnow
from storage.queries import (
    changes_feed,
    decompress_html,
    find_article,
    get_revision,
    revision_count,
)

logger = logging.getLogger(__name__)


#: Widest text for reading formats; side-by-side may use the whole terminal up to `WIDE`.
READABLE = 120
WIDE = 240

NO_PAGER = click.option(
    "--no-pager", is_flag=True, help="Never page long output (it is only paged on a terminal)."
)


def want_color() -> bool:
    """Colour only on a terminal, and never with NO_COLOR."""
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def terminal_size() -> os.terminal_size:
    """The terminal's size (COLUMNS and LINES win); 100x24 when there is no terminal."""
    return shutil.get_terminal_size((100, 24))


def emit(text: str, *, pager: bool = True) -> None:
    """Write output; through the pager when it is taller than the terminal.

    Only when stdin and stdout are both a terminal (never in pipes), and not
    with `--no-pager`. The pager is $PAGER, else `less` (given -R for colour).
    """
    tall = text.count("\n") >= terminal_size().lines
    if pager and tall and sys.stdout.isatty() and sys.stdin.isatty():
        click.echo_via_pager(text)
        return
    sys.stdout.write(text)
    sys.stdout.flush()


def print_rich(*renderables: RenderableType) -> None:
    """Print rich renderables to stdout: colour only on a terminal, at the terminal's width."""
    with console_on(sys.stdout, color=want_color(), width=terminal_size().columns) as console:
        print_all(console, renderables)


def tracked(session: Session, url: str) -> Article:
    """The tracked article for a URL or key, or a usage error."""
    article = find_article(session, url) or find_article(session, provisional_key(url))
    if article is None:
        raise UsageError(f"not tracked: {url} (add it with: editwatch add URL)")
    return article


def _kinds_cell(entry: dict[str, Any]) -> str:
    counts = Counter(entry["kinds"])
    if not counts:
        return "first seen" if entry["revision"] == 1 else "-"
    return ", ".join(f"{kind} ({n})" if n > 1 else kind for kind, n in counts.items())


@click.command()
@click.argument("url")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_obj
def history(app: AppContext, url: str, fmt: str) -> None:
    """List the stored revisions of an article and what changed in each."""
    with app.sessions.begin() as session:
        entries = history_entries(session, tracked(session, url))
    if fmt == "json":
        click.echo(json.dumps(entries, ensure_ascii=False, indent=2))
        return
    if not entries:
        click.echo("no revisions yet: run editwatch check")
        return
    table = Table(box=None, header_style="bold")
    for name in ("rev", "fetched (UTC)", "significance", "silent", "changes", "headline"):
        table.add_column(name, overflow="fold")
    for entry in entries:
        table.add_row(
            str(entry["revision"]),
            entry["fetched_at"][:19].replace("T", " "),
            Text(entry["significance"] or "", style=LEVEL_STYLE.get(entry["significance"], "")),
            Text("SILENT", style="bold red") if entry["silent"] else "",
            _kinds_cell(entry),
            entry["headline"],
        )
    print_rich(table)


@click.command()
@click.argument("url")
@click.option(
    "--from", "from_", type=int, help="Older revision number (default: the one before --to)."
)
@click.option("--to", type=int, help="Newer revision number (default: the latest).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(formats())),
    help="Output format [default: terminal on a TTY, unified otherwise].",
)
@NO_PAGER
@click.pass_obj
def diff(
    app: AppContext,
    url: str,
    from_: int | None,
    to: int | None,
    fmt: str | None,
    no_pager: bool,
) -> None:
    """Show what changed between two revisions of an article (default: the last two)."""
    with app.sessions.begin() as session:
        article = tracked(session, url)
        count = revision_count(session, article.id)
        if count < 2 and from_ is None:
            raise UsageError(f"{url} has {count} revision(s); nothing to compare yet")
        new_number = to if to is not None else count
        old_number = from_ if from_ is not None else new_number - 1
        old = get_revision(session, article.id, old_number)
        new = get_revision(session, article.id, new_number)
        if old is None or new is None:
            missing = old_number if old is None else new_number
            raise UsageError(f"no revision {missing} of {url} (it has 1 to {count})")
        report = diff_report(article, old, new)
    fmt = fmt or ("terminal" if want_color() else "unified")
    columns = terminal_size().columns
    width = min(columns, WIDE if fmt == "side-by-side" else READABLE)
    out = io.StringIO()
    get_renderer(fmt, color=want_color(), width=width).write_diff(report, out)
    emit(out.getvalue(), pager=not no_pager)


@click.command()
@click.argument("url")
@click.option(
    "--revision",
    "number",
    type=int,
    help="Revision number; negative counts back from the latest [default: the latest].",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "html"]),
    default="text",
    show_default=True,
    help="text: as the reader saw it; json: stored fields and metadata; html: the page as fetched.",
)
@NO_PAGER
@click.pass_obj
def show(app: AppContext, url: str, number: int | None, fmt: str, no_pager: bool) -> None:
    """Show one stored revision of an article as the reader saw it (default: the latest).

    `--format html` writes the raw HTML exactly as it was fetched, the evidence.
    """
    with app.sessions.begin() as session:
        article = tracked(session, url)
        count = revision_count(session, article.id)
        if count == 0:
            raise UsageError(f"{url} has no revisions yet: run editwatch check")
        revision = get_revision(session, article.id, count if number is None else number)
        if revision is None:
            raise UsageError(f"no revision {number} of {url} (it has 1 to {count})")
        if fmt == "html":
            raw = decompress_html(revision.raw_html_zstd)
        view = revision_view(article, revision)
    if fmt == "html":
        sys.stdout.buffer.write(raw)
        sys.stdout.buffer.flush()
    elif fmt == "json":
        click.echo(json.dumps(view, ensure_ascii=False, indent=2))
    else:
        out = io.StringIO()
        width = min(terminal_size().columns, READABLE)
        write_revision(view, out, color=want_color(), width=width)
        emit(out.getvalue(), pager=not no_pager)


def change_row(change: Change) -> dict[str, Any]:
    """One entry of the changes feed (JSON), with the article it belongs to."""
    revision = change.revision
    return {
        "url": revision.canonical_url,
        "article_key": revision.article.article_key,
        "headline": revision.fields.get("headline", ""),
        "revision": revision.number,
        "detected_at": change.created_at.isoformat(),
        "kind": change.kind,
        "significance": change.significance,
        "field": change.field,
        "before": change.before,
        "after": change.after,
        "diff": change.data.get("diff") or [],
        "silent": revision.silent,
    }


def _group_heading(row: dict[str, Any]) -> list[RenderableType]:
    """Headline, URL (never folded, so it can be copied) and revision of one group of changes."""
    lines: list[RenderableType] = [Text(row["headline"] or row["url"], style="bold")]
    if row["headline"]:
        lines.append(Text(row["url"], style="dim", no_wrap=True, overflow="ignore"))
    when = row["detected_at"][:16].replace("T", " ")
    meta = Text(f"revision {row['revision']} · detected {when} UTC", style="dim")
    if row["silent"]:
        meta.append(" · ")
        meta.append("SILENT EDIT", style="bold red")
    lines.append(meta)
    return lines


def _changes_table(rows: list[dict[str, Any]], header: bool) -> Table:
    """The changes of one revision: kind, significance, silent flag, before → after."""
    table = Table(box=None, header_style="bold", show_header=header, pad_edge=False)
    table.add_column("kind", min_width=max(len(k) for k in KINDS), no_wrap=True)
    table.add_column("significance", min_width=len("significance"), no_wrap=True)
    table.add_column("silent", min_width=len("silent"), no_wrap=True)
    table.add_column("before → after", ratio=1, overflow="fold")
    for row in rows:
        table.add_row(
            row["kind"],
            Text(row["significance"], style=LEVEL_STYLE.get(row["significance"], "")),
            Text("SILENT", style="bold red") if row["silent"] else "",
            short_change(row, limit=80),
        )
    return table


def changes_view(rows: list[dict[str, Any]], revision_ids: list[int]) -> list[RenderableType]:
    """The changes feed as a table per revision, each under its article's headline and URL."""
    groups: list[list[dict[str, Any]]] = []
    for k, row in enumerate(rows):
        if k and revision_ids[k - 1] == revision_ids[k]:
            groups[-1].append(row)
        else:
            groups.append([row])
    view: list[RenderableType] = []
    for k, group in enumerate(groups):
        if k:
            view.append("")
        view.extend(_group_heading(group[0]))
        view.append(Padding(_changes_table(group, header=k == 0), (0, 0, 0, 2)))
    return view


@click.command()
@click.option("--since", metavar="DURATION", help="Only changes newer than this (24h, 7d).")
@click.option(
    "--kind", "kinds", metavar="KINDS", help="Comma-separated kinds, e.g. headline,quote_edited."
)
@click.option(
    "--min-significance", type=click.Choice(["typographic", "minor", "major"]), default=None
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_obj
def changes(
    app: AppContext, since: str | None, kinds: str | None, min_significance: str | None, fmt: str
) -> None:
    """The feed of changes across all tracked articles, newest first."""
    cutoff = utcnow() - parse_duration(since) if since else None
    kind_list = [k.strip() for k in kinds.split(",") if k.strip()] if kinds else []
    with app.sessions.begin() as session:
        found = list(
            changes_feed(session, since=cutoff, kinds=kind_list, min_significance=min_significance)
        )
        # Newest revision first; within one revision, the article's reading order.
        found.sort(key=lambda c: (c.created_at, c.revision_id, -c.position), reverse=True)
        rows = [change_row(change) for change in found]
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no changes" + (f" in the last {since}" if since else ""))
        return
    print_rich(*changes_view(rows, [change.revision_id for change in found]))


@click.command()
@click.argument("file_or_url")
@click.option("--url", "page_url", help="The page's URL, when reading a saved file.")
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="json")
def extract(file_or_url: str, page_url: str | None, fmt: str) -> None:
    """Show what editwatch reads from a page: a saved HTML file or a URL fetched now."""
    from crawler.extractors import ExtractionError, extract_page
    from monitor.fetch import fetch_once

    if file_or_url.startswith(("http://", "https://")):
        url = check_url(file_or_url)
        body = fetch_once(url)
    else:
        path = Path(file_or_url)
        try:
            body = path.read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror}") from None
        url = page_url or path.resolve().as_uri()
    try:
        extraction = extract_page(url, body)
    except ExtractionError as exc:
        raise UsageError(f"{file_or_url}: {exc}") from None
    data = {
        "site": extraction.site,
        "canonical_url": extraction.canonical_url,
        "article_key": extraction.article_key,
        "state": extraction.state,
        "fields": extraction.fields.to_dict(),
    }
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    fields = extraction.fields
    click.echo(f"{fields.headline}\n{fields.subtitle}\nby {', '.join(fields.authors)}\n")
    click.echo("\n\n".join(fields.paragraphs))


COMMANDS = (history, diff, show, changes, extract)
