"""Commands that read what is stored: history, diff, changes, show, extract."""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from monitor.cli.options import AppContext, UsageError, check_url, parse_duration
from crawler.extractors.identity import provisional_key
from monitor.render import formats, get_renderer
from monitor.report import diff_report, history_entries
from storage import Article
from storage.models import utcnow
from storage.queries import changes_feed, find_article, get_revision, revision_count

logger = logging.getLogger(__name__)


def want_color() -> bool:
    """Colour only on a terminal, and never with NO_COLOR."""
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def tracked(session: Session, url: str) -> Article:
    """The tracked article for a URL or key, or a usage error."""
    article = find_article(session, url) or find_article(session, provisional_key(url))
    if article is None:
        raise UsageError(f"not tracked: {url} (add it with: editwatch add URL)")
    return article


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
    for name in ("rev", "fetched (UTC)", "significance", "changes", "headline"):
        table.add_column(name)
    for entry in entries:
        kinds = ", ".join(dict.fromkeys(entry["kinds"])) or ("first seen" if entry["revision"] == 1 else "-")
        if entry["silent"]:
            kinds += " [silent]"
        table.add_row(
            str(entry["revision"]),
            entry["fetched_at"][:19].replace("T", " "),
            entry["significance"] or "",
            kinds,
            entry["headline"],
        )
    Console(soft_wrap=True, no_color=not want_color()).print(table)


@click.command()
@click.argument("url")
@click.option("--from", "from_", type=int, help="Older revision number (default: the one before --to).")
@click.option("--to", type=int, help="Newer revision number (default: the latest).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(formats())),
    help="Output format [default: terminal on a TTY, unified otherwise].",
)
@click.pass_obj
def diff(app: AppContext, url: str, from_: int | None, to: int | None, fmt: str | None) -> None:
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
    width = min(shutil.get_terminal_size((100, 24)).columns, 120)
    get_renderer(fmt, color=want_color(), width=width).write_diff(report, sys.stdout)


@click.command()
@click.option("--since", metavar="DURATION", help="Only changes newer than this (24h, 7d).")
@click.option("--kind", "kinds", metavar="KINDS", help="Comma-separated kinds, e.g. headline,quote_edited.")
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
        rows = [
            {
                "url": change.revision.canonical_url,
                "revision": change.revision.number,
                "detected_at": change.created_at.isoformat(),
                "kind": change.kind,
                "significance": change.significance,
                "field": change.field,
                "before": change.before,
                "after": change.after,
                "silent": change.revision.silent,
            }
            for change in changes_feed(
                session, since=cutoff, kinds=kind_list, min_significance=min_significance
            )
        ]
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(box=None, header_style="bold")
    for name in ("detected (UTC)", "kind", "significance", "rev", "url"):
        table.add_column(name)
    for row in rows:
        table.add_row(
            row["detected_at"][:19].replace("T", " "),
            row["kind"],
            row["significance"],
            str(row["revision"]),
            row["url"],
        )
    Console(soft_wrap=True, no_color=not want_color()).print(table)


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



COMMANDS = (history, diff, changes, extract)
