"""`--format terminal`: coloured word diff (rich), unchanged paragraphs folded; `show` text."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TextIO

from rich.console import Console, RenderableType
from rich.padding import Padding
from rich.text import Text

from monitor.render.base import Renderer
from monitor.render.unified import change_note, fold_text, header_lines, layout, marked_text

logger = logging.getLogger(__name__)

LEVEL_STYLE = {"major": "bold white on red", "minor": "black on yellow", "typographic": "dim"}
DELETED = "red strike"
INSERTED = "green bold"
FOLD = "dim"


def make_console(out: TextIO, *, color: bool, width: int) -> Console:
    """A rich console on `out`: ANSI styles only when `color`, lines wrapped at `width`."""
    return Console(
        file=out,
        width=width,
        color_system="standard" if color else None,
        force_terminal=color,
        no_color=not color,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=False,
    )


def tidy(text: str) -> str:
    """Drop the trailing spaces rich pads lines and table cells with."""
    return "".join(line.rstrip() + "\n" for line in text.splitlines())


@contextmanager
def console_on(out: TextIO, *, color: bool, width: int) -> Iterator[Console]:
    """A console that writes to `out` when the block ends, trailing spaces removed."""
    buffer = io.StringIO()
    yield make_console(buffer, color=color, width=width)
    out.write(tidy(buffer.getvalue()))


def change_text(change: Mapping[str, Any], color: bool = True) -> Text:
    """The change as one rich Text: deleted words struck in red, inserted in green.

    Without colour the words carry [-deleted-]{+inserted+} marks instead, so
    plain output still tells them apart.
    """
    if not color:
        return Text(marked_text(change))
    text = Text()
    ops = change.get("diff") or []
    if ops:
        for op in ops:
            style = {"delete": DELETED, "insert": INSERTED}.get(op["op"], "")
            text.append(op["text"], style=style)
        return text
    before, after = change.get("before"), change.get("after")
    if before is not None and before == after:
        return Text(before)
    if before:
        text.append(before, style=DELETED)
    if before and after:
        text.append("  →  ")
    if after:
        text.append(after, style=INSERTED)
    return text


def side_text(change: Mapping[str, Any], side: str, color: bool = True) -> Text:
    """One side ("before" or "after") of a change, its own changed words highlighted."""
    keep = "delete" if side == "before" else "insert"
    style = DELETED if side == "before" else INSERTED
    open_mark, close_mark = ("[-", "-]") if side == "before" else ("{+", "+}")
    text = Text()
    ops = change.get("diff") or []
    if ops:
        for op in ops:
            if op["op"] == "equal":
                text.append(op["text"])
            elif op["op"] == keep:
                text.append(op["text"] if color else f"{open_mark}{op['text']}{close_mark}", style)
        return text
    value = change.get(side)
    if value is None:
        return text
    if value == change.get("before") == change.get("after"):
        return Text(value)
    return Text(value, style=style) if color else Text(f"{open_mark}{value}{close_mark}")


def change_label(change: Mapping[str, Any], color: bool = True) -> Text:
    """Kind and significance as labels, then the field; plain text gets a `@@` line."""
    kind, level, field = change["kind"], change["significance"], change["field"]
    note = change_note(change)
    if not color:
        return Text(f"@@ {kind} ({level}) {field}" + (f"  ({note})" if note else ""))
    label = Text()
    label.append(f" {kind} ", style="bold reverse")
    label.append(" ")
    label.append(f" {level} ", style=LEVEL_STYLE.get(level, ""))
    label.append(f"  {field}", style="dim")
    if note:
        label.append(f"  {note}", style="italic")
    return label


def print_header(console: Console, report: Mapping[str, Any]) -> None:
    """The title lines: headline, URL, the two revisions, the silent-edit warning."""
    title, *rest = header_lines(report)
    console.print(Text(title, style="bold"))
    for line in rest:
        style = "bold white on red" if line.startswith("SILENT") else "dim"
        console.print(Text(line, style=style))


class TerminalRenderer(Renderer, format="terminal"):
    """Colour on a terminal: one labelled block per changed field, inline word diff."""

    def write_diff(self, report: dict[str, Any], out: TextIO) -> None:
        """Write the report, unchanged body paragraphs folded to one dim line each run."""
        with console_on(out, color=self.color, width=self.width) as console:
            self._write(console, report)

    def _write(self, console: Console, report: dict[str, Any]) -> None:
        print_header(console, report)
        if not report["changes"]:
            console.print("\nno changes")
            return
        for item in layout(report):
            console.print()
            if isinstance(item, int):
                console.print(Text(f"   {fold_text(item)}", style=FOLD))
                continue
            console.print(change_label(item, self.color))
            console.print(change_text(item, self.color))


def when(stamp: Any) -> str:
    """An ISO 8601 time as "2020-01-07 13:42 +03:00" (kept as given when it does not parse)."""
    try:
        moment = datetime.fromisoformat(str(stamp))
    except ValueError:
        return str(stamp)
    offset = moment.strftime("%z")
    offset = f" {offset[:3]}:{offset[3:]}" if offset else ""
    return f"{moment:%Y-%m-%d %H:%M}{offset}"


def _url_line(url: str, style: str = "dim", indent: int = 0) -> Text:
    """A URL on its own line, never folded (so it can be copied from the terminal)."""
    return Text(" " * indent + url, style=style, no_wrap=True, overflow="ignore")


def print_all(console: Console, renderables: Iterable[RenderableType]) -> None:
    """Print each renderable; a `no_wrap` Text (a URL) is left whole for the terminal to wrap."""
    for renderable in renderables:
        whole = isinstance(renderable, Text) and renderable.no_wrap is True
        console.print(renderable, soft_wrap=whole)


def _revision_header(console: Console, view: Mapping[str, Any]) -> None:
    fields = view.get("fields") or {}
    if fields.get("label"):
        console.print(Text(str(fields["label"]).upper(), style="dim"))
    console.print(Text(fields.get("headline") or view.get("url") or "", style="bold"))
    if fields.get("subtitle"):
        console.print(Text(fields["subtitle"], style="italic"))
    if fields.get("authors"):
        console.print(Text("By " + ", ".join(fields["authors"])))
    names = (("Published", "published_at"), ("Updated", "updated_at"))
    dates = [f"{name} {when(fields[key])}" for name, key in names if fields.get(key)]
    if fields.get("modified_at"):
        dates.append(f"modified (metadata) {when(fields['modified_at'])}")
    if dates:
        console.print(Text(" · ".join(dates), style="dim"))
    status = view.get("status")
    meta = f"revision {view.get('revision')} · fetched {when(view.get('fetched_at'))}"
    console.print(Text(meta + (f" · HTTP {status}" if status is not None else ""), style="dim"))
    console.print(_url_line(str(view.get("fetched_url") or view.get("url") or "")), soft_wrap=True)
    if view.get("silent"):
        console.print(
            Text(
                "SILENT EDIT: changed since the revision before without a new update time",
                style="bold red",
            )
        )


def _image(console: Console, image: Mapping[str, Any]) -> None:
    line = Text(f"[{image.get('role') or 'image'} image] ", style="dim")
    line.append(image.get("caption") or "(no caption)")
    if image.get("credit"):
        line.append(f"  Credit: {image['credit']}", style="italic")
    console.print(line)
    console.print(_url_line(str(image.get("src", "")), indent=2), soft_wrap=True)


def block_quote_slots(quotes: list[Mapping[str, Any]], paragraphs: int) -> dict[int, list[Any]]:
    """Quote blocks by the paragraph index they stand before (`paragraphs`: after the last).

    Stored quotes keep page order but a quote block has no paragraph index, so it
    goes just after the paragraph of the inline quote before it (else just
    before the paragraph of the one after it, else at the end).
    """
    slots: dict[int, list[Any]] = {}
    previous: int | None = None
    for k, quote in enumerate(quotes):
        if quote.get("kind") != "block":
            if isinstance(quote.get("paragraph"), int):
                previous = quote["paragraph"]
            continue
        following = [q["paragraph"] for q in quotes[k + 1 :] if isinstance(q.get("paragraph"), int)]
        slot = previous + 1 if previous is not None else following[0] if following else paragraphs
        slots.setdefault(min(slot, paragraphs), []).append(quote)
    return slots


def _quote_block(console: Console, quote: Mapping[str, Any]) -> None:
    console.print(
        Padding(Text.assemble(("> ", "dim"), (quote.get("text", ""), "italic")), (0, 0, 0, 2))
    )
    if quote.get("speaker"):
        console.print(Text(f"      — {quote['speaker']}", style="dim"))
    console.print()


def _body(console: Console, fields: Mapping[str, Any]) -> None:
    paragraphs = list(fields.get("paragraphs") or [])
    slots = block_quote_slots(list(fields.get("quotes") or []), len(paragraphs))
    if fields.get("intro") and fields.get("intro") != fields.get("subtitle"):
        console.print(Text(fields["intro"], style="italic"))
        console.print()
    for index in range(len(paragraphs) + 1):
        for quote in slots.get(index, []):
            _quote_block(console, quote)
        if index < len(paragraphs):
            console.print(Text(paragraphs[index]))
            console.print()


def _links(console: Console, fields: Mapping[str, Any]) -> None:
    if fields.get("related"):
        console.print(Text("Related", style="bold"))
        for link in fields["related"]:
            console.print(Text(f"  • {link.get('title') or link.get('url', '')}"))
            console.print(_url_line(str(link.get("url", "")), indent=4), soft_wrap=True)
        console.print()
    if fields.get("tags"):
        console.print(Text("Tags: ", style="bold") + Text(", ".join(fields["tags"])))


def write_revision(view: Mapping[str, Any], out: TextIO, *, color: bool, width: int) -> None:
    """Write one stored revision as the reader saw it (`editwatch show`)."""
    fields = view.get("fields") or {}
    images = list(fields.get("images") or [])
    with console_on(out, color=color, width=width) as console:
        _revision_header(console, view)
        console.print()
        if view.get("state") != "article":
            console.print(Text(f"The page was gone at this check ({view.get('state')}).", "bold"))
            return
        for image in (i for i in images if i.get("role") == "featured"):
            _image(console, image)
            console.print()
        _body(console, fields)
        others = [i for i in images if i.get("role") != "featured"]
        if others:
            console.print(Text("Images", style="bold"))
            for image in others:
                _image(console, image)
            console.print()
        _links(console, fields)
