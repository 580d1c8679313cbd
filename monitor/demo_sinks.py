"""Local receivers for the demo: a minimal SMTP sink and a webhook endpoint on 127.0.0.1."""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import json
import logging
import queue
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

logger = logging.getLogger(__name__)


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) to accept a message: HELO/EHLO, MAIL, RCPT, DATA, QUIT."""

    server: _SmtpServer

    def _reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        self._reply("220 editwatch-demo ESMTP")
        while True:
            raw = self.rfile.readline(65536)
            if not raw:
                return
            verb = raw.decode("utf-8", "replace").strip().split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.wfile.write(b"250-editwatch-demo\r\n250 8BITMIME\r\n")
            elif verb in ("HELO", "MAIL", "RCPT", "RSET", "NOOP"):
                self._reply("250 OK")
            elif verb == "DATA":
                self._reply("354 end with <CR><LF>.<CR><LF>")
                self.server.inbox.put(("email", self._read_data()))
                self._reply("250 queued")
            elif verb == "QUIT":
                self._reply("221 bye")
                return
            else:
                self._reply("502 not implemented")

    def _read_data(self) -> bytes:
        lines = []
        while (line := self.rfile.readline(1 << 20)) not in (b".\r\n", b".\n", b""):
            lines.append(line[1:] if line.startswith(b"..") else line)
        return b"".join(lines)


class _SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, inbox: queue.Queue[tuple[str, Any]]) -> None:
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.inbox = inbox


class _WebhookHandler(BaseHTTPRequestHandler):
    server: _WebhookServer

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        expected = "sha256=" + hmac.new(self.server.secret, body, hashlib.sha256).hexdigest()
        signed = hmac.compare_digest(expected, self.headers.get("X-Editwatch-Signature", ""))
        self.server.inbox.put(("webhook", (dict(self.headers), body, signed)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the demo prints what arrives itself."""


class _WebhookServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, inbox: queue.Queue[tuple[str, Any]], secret: bytes) -> None:
        super().__init__(("127.0.0.1", 0), _WebhookHandler)
        self.inbox = inbox
        self.secret = secret


@contextmanager
def demo_sinks(secret: str) -> Iterator[tuple[int, int, queue.Queue[tuple[str, Any]]]]:
    """Run both receivers in threads; yield (smtp port, webhook port, inbox)."""
    inbox: queue.Queue[tuple[str, Any]] = queue.Queue()
    smtp, webhook = _SmtpServer(inbox), _WebhookServer(inbox, secret.encode())
    servers: list[socketserver.TCPServer] = [smtp, webhook]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    try:
        yield smtp.server_address[1], webhook.server_address[1], inbox
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
        for thread in threads:
            thread.join(timeout=5)


def describe_delivery(kind: str, payload: Any) -> list[str]:
    """What a person should see of one received alert."""
    if kind == "email":
        message = email.message_from_bytes(payload, policy=email.policy.default)
        parts = [part.get_content_type() for part in message.walk() if not part.is_multipart()]
        return [
            f"[smtp]    to {message['To']}: {message['Subject']}",
            f"          parts: {', '.join(parts)}; Message-ID {message['Message-ID']}",
        ]
    headers, body, signed = payload
    report = json.loads(body)
    kinds = ", ".join(dict.fromkeys(c["kind"] for c in report.get("changes", [])))
    lower = {k.lower(): v for k, v in headers.items()}
    return [
        f"[webhook] {lower.get('x-editwatch-event')} {lower.get('x-editwatch-delivery')}: "
        f"{report.get('schema')} revision {report['from']['revision']} -> "
        f"{report['to']['revision']} ({kinds}); signature {'verified' if signed else 'BAD'}"
    ]
