"""Real local receivers for alert tests: an SMTP server (aiosmtpd) and an HTTP receiver."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from storage.queries import add_article, compress_html, insert_revision

REPO = Path(__file__).resolve().parents[1]
CHANGE_SCHEMA = json.loads((REPO / "monitor/schemas/editwatch.change-1.json").read_text())
MT_URL = "https://www.themoscowtimes.com/2020/01/07/putin-makes-rare-visit-to-syria-a68828"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(autouse=True)
def no_leftover_threads() -> Iterator[None]:
    """Every server, worker thread and event loop a test starts is gone when it ends."""
    before = set(threading.enumerate())
    yield
    left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert left == [], f"threads left running: {left}"


@pytest.fixture
def apprise_pools() -> Iterator[None]:
    """apprise keeps process-wide worker pools once used; shut them down after the test."""
    yield
    from apprise import apprise as core

    for name in ("_shared_executor", "_coordinator_executor"):
        pool = getattr(core, name, None)
        if pool is not None:
            pool.shutdown(wait=True)
            setattr(core, name, None)


# --- reports -------------------------------------------------------------------------------


def change(
    kind: str = "paragraph_edited",
    significance: str = "minor",
    field_: str = "paragraphs[2]",
    before: str | None = "The president arrived on Tuesday.",
    after: str | None = "The president arrived on Monday.",
) -> dict[str, Any]:
    """One change dict as the diff engine reports it, with word ops when both sides exist."""
    ops: list[dict[str, str]] = []
    if before is not None and after is not None and before != after:
        prefix = 0
        while prefix < min(len(before), len(after)) and before[prefix] == after[prefix]:
            prefix += 1
        prefix = before.rfind(" ", 0, prefix) + 1
        ops = [{"op": "equal", "text": before[:prefix]}] if prefix else []
        ops += [{"op": "delete", "text": before[prefix:]}, {"op": "insert", "text": after[prefix:]}]
    return {
        "kind": kind,
        "significance": significance,
        "field": field_,
        "before": before,
        "after": after,
        "diff": ops,
    }


def report(
    changes: list[dict[str, Any]] | None = None,
    *,
    url: str = MT_URL,
    key: str = "moscowtimes:68828",
    headline: str = "Putin Makes Rare Visit to Syria, Meets Assad",
    silent: bool = False,
    old: int = 1,
    new: int = 2,
) -> dict[str, Any]:
    """A valid `editwatch.change/1` report."""
    changes = [change()] if changes is None else changes
    levels = [c["significance"] for c in changes]
    order = ["typographic", "minor", "major"]
    return {
        "schema": "editwatch.change/1",
        "url": url,
        "article_key": key,
        "headline": headline,
        "from": {
            "revision": old,
            "fetched_at": "2026-01-07T10:00:00+00:00",
            "url": url,
            "status": 200,
        },
        "to": {
            "revision": new,
            "fetched_at": f"2026-01-07T{10 + new:02d}:00:00+00:00",
            "url": url,
            "status": 200,
        },
        "silent": silent,
        "significance": max(levels, key=order.index) if levels else None,
        "changes": changes,
    }


def headline_report(**kwargs: Any) -> dict[str, Any]:
    """A report whose main change is a headline rewrite (plus a paragraph with a <script>)."""
    return report(
        [
            change(
                "paragraph_edited",
                "minor",
                "paragraphs[1]",
                "He said <script>alert(1)</script> nothing.",
                "He said <script>alert(1)</script> something.",
            ),
            change(
                "headline",
                "major",
                "headline",
                "Putin Visits Syria",
                "Putin Makes Rare Visit to Syria, Meets Assad",
            ),
        ],
        **kwargs,
    )


# --- database rows -------------------------------------------------------------------------


def revision_values(fingerprint: str, url: str = MT_URL) -> dict[str, Any]:
    body = b"<html>evidence</html>"
    return {
        "url": url,
        "canonical_url": url,
        "status": 200,
        "headers": {},
        "state": "article",
        "site": "moscowtimes",
        "fingerprint": fingerprint,
        "fields": {"headline": "Putin Makes Rare Visit to Syria"},
        "raw_html_zstd": compress_html(body),
        "raw_size": len(body),
    }


def store_alerts(sessions: Any, alerting: Any, count: int, *, articles: int = 2) -> list[str]:
    """Store `count` new revisions (spread over `articles`) and enqueue their alerts, each in
    its own transaction as the crawler does. Returns the idempotency keys written."""
    from monitor.alerts.outbox import enqueue

    keys = []
    for number in range(count):
        index = number % articles
        url = f"{MT_URL}-{index}"
        with sessions.begin() as session:
            article, _ = add_article(session, url, f"moscowtimes:{index}", site="moscowtimes")
            existing = len(article.revisions)
            if existing == 0:
                insert_revision(session, article, **revision_values(f"{index}-base", url))
            revision = insert_revision(
                session, article, **revision_values(f"{index}-{number}", url)
            )
            body = report(
                url=url,
                key=article.article_key,
                old=revision.number - 1,
                new=revision.number,
                headline=f"Article {index} edit {number}",
            )
            keys.extend(
                a.idempotency_key for a in enqueue(session, revision, article, body, alerting)
            )
    return keys


# --- SMTP ----------------------------------------------------------------------------------


class _MailHandler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.sink.lock:
            self.sink.messages.append(message)
            self.sink.logins.append(session.auth_data.login.decode() if session.auth_data else None)
        return "250 OK"


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (its own CA): (cert.pem, key.pem)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "editwatch test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass
class SmtpSink:
    """aiosmtpd on 127.0.0.1:`port`; with `user`, STARTTLS and then login (AUTH) are required."""

    port: int
    user: str | None = None
    password: str | None = None
    cert: tuple[Path, Path] | None = None
    messages: list[EmailMessage] = field(default_factory=list)
    logins: list[str | None] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    controller: Controller | None = None

    def _auth(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == self.user
            and data.password.decode() == self.password
        )
        return AuthResult(success=ok, auth_data=data if ok else None)

    def start(self) -> SmtpSink:
        kwargs: dict[str, Any] = {}
        if self.user:
            assert self.cert is not None
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*self.cert)
            kwargs = {
                "authenticator": self._auth,
                "auth_required": True,
                "tls_context": context,
                "require_starttls": True,
            }
        self.controller = Controller(
            _MailHandler(self), hostname="127.0.0.1", port=self.port, **kwargs
        )
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def message_ids(self) -> list[str]:
        with self.lock:
            return [str(m["Message-ID"]) for m in self.messages]


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink(free_port()).start()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    return make_certificate(tmp_path)


@pytest.fixture
def smtp_auth_sink(certificate: tuple[Path, Path]) -> Iterator[SmtpSink]:
    sink = SmtpSink(free_port(), user="desk", password="s3cret-pw", cert=certificate).start()
    try:
        yield sink
    finally:
        sink.stop()


# --- HTTP ----------------------------------------------------------------------------------


@dataclass
class Receipt:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    at: float = field(default_factory=time.monotonic)  # when the request arrived


class Receiver:
    """An HTTP receiver in a thread. `mode`: ok | error (500) | hang (sleep `hang` s) | redirect."""

    def __init__(self, hang: float = 1.5) -> None:
        self.mode = "ok"
        self.hang = hang
        self.receipts: list[Receipt] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                arrived = time.monotonic()
                status = {"ok": 200, "error": 500, "hang": 200, "redirect": 302}[receiver.mode]
                if receiver.mode == "hang":
                    time.sleep(receiver.hang)
                    status = 0  # the sender gave up: not an accepted delivery
                with receiver.lock:
                    receiver.receipts.append(
                        Receipt(self.path, dict(self.headers), body, status, arrived)
                    )
                try:
                    self.send_response(status or 200)
                    if status == 302:
                        self.send_header("Location", "/moved")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = False  # server_close() joins every handler thread

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, name="receiver"
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def accepted(self) -> list[Receipt]:
        with self.lock:
            return [r for r in self.receipts if 200 <= r.status < 300]

    def start(self) -> Receiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    try:
        yield server
    finally:
        server.stop()
