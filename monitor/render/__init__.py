"""Output formats for diffs, registered by name; adding a format is adding a module."""

from __future__ import annotations

from monitor.render import (  # noqa: F401  (registers the formats)
    html,
    json,
    sidebyside,
    terminal,
    unified,
)
from monitor.render.base import Renderer, formats, get_renderer

__all__ = ["Renderer", "formats", "get_renderer"]
