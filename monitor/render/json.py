"""`--format json`: the documented `editwatch.change/1` object."""

from __future__ import annotations

import json
import logging
from typing import Any, TextIO

from monitor.render.base import Renderer

logger = logging.getLogger(__name__)


class JsonRenderer(Renderer, format="json"):
    """Versioned JSON (schema editwatch.change/1), for programs."""

    def write_diff(self, report: dict[str, Any], out: TextIO) -> None:
        """Write the report as indented UTF-8 JSON."""
        json.dump(report, out, ensure_ascii=False, indent=2)
        out.write("\n")
