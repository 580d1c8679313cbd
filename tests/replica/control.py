"""JSON control endpoints under `/__replica__/` (state lives in server memory)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any

from . import widgets
from .overrides import OverrideError
from .routes import Request, Response
from .state import Article, SiteState

logger = logging.getLogger(__name__)

PREFIX = "/__replica__/"
_ARTICLE_OP = re.compile(r"^articles/(\d+)(?:/([a-z]+))?$")


def json_response(payload: Any, status: int = 200) -> Response:
    """A JSON response (never cached)."""
    body = json.dumps(payload, ensure_ascii=False, indent=1).encode("utf-8")
    headers = [("Content-Type", "application/json; charset=utf-8"), ("Cache-Control", "no-store")]
    return Response(status, body, headers)


class Control:
    """Dispatches control requests to SiteState mutations."""

    def __init__(self, state: SiteState) -> None:
        self.state = state

    def _article_json(self, art: Article, base: str) -> dict[str, Any]:
        return {**art.summary(), "url": widgets.canonical(base, art.content)}

    def handle(self, req: Request, body: bytes) -> Response:
        """Handle one `/__replica__/...` request."""
        name = req.path[len(PREFIX) :].strip("/")
        try:
            payload = json.loads(body.decode("utf-8")) if body.strip() else {}
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return json_response({"error": f"bad JSON body: {exc}"}, 400)
        try:
            return self._dispatch(req, name, payload)
        except OverrideError as exc:
            return json_response({"error": str(exc)}, 400)

    def _dispatch(self, req: Request, name: str, payload: Any) -> Response:
        simple: dict[tuple[str, str], Callable[[], Any]] = {
            ("GET", "health"): lambda: {"ok": True},
            ("GET", "stats"): self.state.stats,
            ("POST", "stats/clear"): lambda: self.state.clear_stats() or {"ok": True},
            ("GET", "state"): lambda: self._overview(req.base),
            ("POST", "reset"): lambda: self.state.load() or self._overview(req.base),
            ("POST", "options"): lambda: {"options": self.state.set_options(_mapping(payload))},
        }
        action = simple.get((req.method, name))
        if action is not None:
            return json_response(action())
        match = _ARTICLE_OP.match(name)
        if match is None:
            return json_response({"error": f"no control endpoint {req.path}"}, 404)
        article_id, op = int(match.group(1)), match.group(2) or ""
        if req.method == "GET" and not op:
            art = self.state.article(article_id)
            return json_response({**self._article_json(art, req.base), "content": art.content})
        if req.method != "POST":
            return json_response({"error": "use POST for article operations"}, 405)
        return self._article_op(req, article_id, op, payload)

    def _article_op(self, req: Request, article_id: int, op: str, payload: Any) -> Response:
        state = self.state
        ops: dict[str, Callable[[], Article]] = {
            "revision": lambda: state.set_revision(article_id, int(_mapping(payload)["n"])),
            "content": lambda: state.set_article(article_id, _mapping(payload)),
            "patch": lambda: state.patch_article(article_id, _mapping(payload)),
            "publish": lambda: state.set_live(article_id, True),
            "unpublish": lambda: state.set_live(article_id, False),
            "slug": lambda: state.set_slug(article_id, str(_mapping(payload)["slug"])),
        }
        if op not in ops:
            return json_response({"error": f"unknown article operation {op!r}"}, 404)
        try:
            art = ops[op]()
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, OverrideError):
                raise
            return json_response({"error": f"bad request for {op}: {exc!r}"}, 400)
        logger.info("article %s: %s", article_id, op)
        return json_response(self._article_json(art, req.base))

    def _overview(self, base: str) -> dict[str, Any]:
        with self.state.lock:
            return {
                "options": dict(self.state.options),
                "articles": [self._article_json(a, base) for a in self.state.articles.values()],
            }


def _mapping(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise OverrideError("the request body must be a JSON object")
    return payload
