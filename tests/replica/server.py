"""Threaded stdlib HTTP server for the Moscow Times replica (`python -m tests.replica`)."""

from __future__ import annotations

import argparse
import logging
import re
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit

from .control import PREFIX, Control
from .render import Renderer
from .routes import Request, Response, Router
from .state import DEFAULT_SITE_DIR, SiteState

logger = logging.getLogger(__name__)

_HOST_RE = re.compile(r"^[A-Za-z0-9.\-]+(?::\d+)?$|^\[[0-9A-Fa-f:.]+\](?::\d+)?$")
_MAX_BODY = 5_000_000


class ReplicaServer(ThreadingHTTPServer):
    """ThreadingHTTPServer carrying the replica's state, router and control API."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], site_dir: Path) -> None:
        self.state = SiteState(site_dir=site_dir)
        self.state.load()
        renderer = Renderer(self.state)
        self.router = Router(self.state, renderer)
        self.control = Control(self.state)
        super().__init__(address, ReplicaHandler)

    @property
    def base_url(self) -> str:
        """`http://HOST:PORT/` of the listening socket."""
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/"


class ReplicaHandler(BaseHTTPRequestHandler):
    """Turns HTTP requests into Router/Control calls."""

    server: ReplicaServer
    server_version = "nginx"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def _base(self) -> str:
        host = self.headers.get("Host", "")
        if host and _HOST_RE.match(host):
            return f"http://{host}/"
        return self.server.base_url

    def _request(self) -> Request:
        parts = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        return Request(self.command, parts.path or "/", parts.query, self._base(), headers)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(min(length, _MAX_BODY)) if length > 0 else b""

    def _dispatch(self) -> None:
        req = self._request()
        try:
            resp = self._respond(req, self._body())
        except Exception:  # a replica bug: answer 500 and keep serving
            logger.exception("error while handling %s %s", req.method, self.path)
            resp = Response(500, b"replica error\n", [("Content-Type", "text/plain")])
        self._send(resp, head=req.method == "HEAD")

    def _respond(self, req: Request, body: bytes) -> Response:
        if req.path.startswith(PREFIX) or req.path + "/" == PREFIX:
            resp = self.server.control.handle(req, body)
        elif req.method not in ("GET", "HEAD"):
            resp = Response(405, b"", [("Allow", "GET, HEAD")])
        else:
            resp = self.server.router.handle(req)
            self.server.state.record(req.method, req.path, resp.status)
        return resp

    def _send(self, resp: Response, head: bool) -> None:
        self.send_response(resp.status)
        for name, value in resp.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if not head and resp.body:
            self.wfile.write(resp.body)

    def do_GET(self) -> None:
        """Serve GET."""
        self._dispatch()

    def do_HEAD(self) -> None:
        """Serve HEAD (headers of the GET response)."""
        self._dispatch()

    def do_POST(self) -> None:
        """Serve POST (control API only)."""
        self._dispatch()

    def log_message(self, format: str, *args: object) -> None:
        """Route access logs to logging (debug) instead of stderr."""
        logger.debug("%s - %s", self.address_string(), format % args)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.replica", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port; 0 picks a free one")
    parser.add_argument("--site", type=Path, default=DEFAULT_SITE_DIR, help="content directory")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Start the server, print one `READY <base url>` line, serve until SIGTERM/SIGINT."""
    args = _parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    server = ReplicaServer((args.host, args.port), args.site.resolve())

    def stop(signum: int, frame: FrameType | None) -> None:
        logger.info("signal %d: shutting down", signum)
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"READY {server.base_url}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0
