"""JSON-lines log formatter for `--log-format json` (one object per record)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

logger = logging.getLogger(__name__)


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object: time, level, logger, message (+ exception)."""

    def format(self, record: logging.LogRecord) -> str:
        """One JSON object per record."""
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)
