"""The `webhook` channel: POST the `editwatch.change/1` JSON, signed with HMAC-SHA256."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import http.client
import json
import logging
import ssl
from typing import Any
from urllib.parse import urlsplit

from monitor.alerts.base import AlertMessage, Channel, DeliveryError, Options

logger = logging.getLogger(__name__)

USER_AGENT = "editwatch-webhook/1"
_MAX_RESPONSE = 64 * 1024


def signature(secret: str, body: bytes) -> str:
    """Return the `X-Editwatch-Signature` value: `sha256=<hex HMAC-SHA256 of body>`."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(secret: str, body: bytes, header: str) -> bool:
    """Check a signature as a receiver should: recompute, compare in constant time."""
    return hmac.compare_digest(signature(secret, body), header)


def encode_body(message: AlertMessage) -> bytes:
    """Return the exact bytes posted (and signed): the payload as UTF-8 JSON."""
    return json.dumps(message.payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class WebhookChannel(Channel, kind="webhook"):
    """An HTTP POST of the change report as `editwatch.change/1` JSON (digests: editwatch.digest/1).

    Options: url (http or https), secret_env (the NAME of an environment variable
    holding the shared secret; with it every request carries
    `X-Editwatch-Signature: sha256=<HMAC-SHA256 of the body>`), timeout (seconds,
    default 10), verify_tls (default true). Headers: `X-Editwatch-Event: change`
    (or `digest`), `X-Editwatch-Delivery: <idempotency key>`. Redirects are not
    followed: a 3xx, like any non-2xx answer, is a failed delivery.
    """

    def __init__(
        self,
        name: str,
        *,
        url: str,
        secret: str | None = None,
        timeout: float = 10.0,
        verify_tls: bool = True,
    ) -> None:
        super().__init__(name, timeout=timeout)
        self.url = url
        self._secret = secret
        self.verify_tls = verify_tls

    @classmethod
    def from_config(cls, name: str, options: dict[str, Any]) -> WebhookChannel:
        """Validate the URL and read the secret from the environment variable `secret_env`."""
        opts = Options(name, options)
        channel = cls(
            name,
            url=opts.http_url("url"),
            secret=opts.secret("secret_env"),
            timeout=opts.number("timeout", 10.0),
            verify_tls=opts.flag("verify_tls", True),
        )
        opts.finish()
        return channel

    def describe(self) -> str:
        """Name the target without credentials, query or deep path (which may carry tokens)."""
        parts = urlsplit(self.url)
        signed = "signed" if self._secret else "unsigned"
        return f"POST {parts.scheme}://{_redacted(self.url)} ({signed})"

    def headers(self, message: AlertMessage, body: bytes) -> dict[str, str]:
        """Return the request headers for one message."""
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Editwatch-Event": "digest" if message.is_digest else "change",
            "X-Editwatch-Delivery": message.idempotency_key,
        }
        if self._secret is not None:
            headers["X-Editwatch-Signature"] = signature(self._secret, body)
        return headers

    async def send(self, message: AlertMessage) -> None:
        """POST in a worker thread (http.client blocks; its socket timeout applies)."""
        body = encode_body(message)
        await asyncio.to_thread(self._post, body, self.headers(message, body))
        logger.info("webhook %s delivered through %s", message.idempotency_key, self.name)

    def _post(self, body: bytes, headers: dict[str, str]) -> None:
        parts = urlsplit(self.url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        where = f"POST {_redacted(self.url)}"
        connection = self._connection(parts.scheme, parts.hostname or "", parts.port)
        try:
            connection.request("POST", target, body=body, headers=headers)
            response = connection.getresponse()
            response.read(_MAX_RESPONSE)
            status, reason = response.status, response.reason
            location = response.getheader("Location")
        except (OSError, http.client.HTTPException) as exc:
            raise DeliveryError(f"{where}: {type(exc).__name__}: {exc}") from None
        finally:
            connection.close()
        if 300 <= status < 400:
            raise DeliveryError(
                f"{where}: HTTP {status} redirect to {location or '?'} (redirects are not followed)"
            )
        if not 200 <= status < 300:
            raise DeliveryError(f"{where}: HTTP {status} {reason}")

    def _connection(self, scheme: str, host: str, port: int | None) -> http.client.HTTPConnection:
        if scheme == "https":
            context = ssl.create_default_context()
            if not self.verify_tls:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            return http.client.HTTPSConnection(host, port, timeout=self.timeout, context=context)
        return http.client.HTTPConnection(host, port, timeout=self.timeout)


def _redacted(url: str) -> str:
    """Host, port and the first path segment only: webhook URLs often carry tokens in the rest."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    segments = [s for s in parts.path.split("/") if s]
    path = f"/{segments[0]}" + ("/…" if len(segments) > 1 else "") if segments else "/"
    return f"{parts.hostname}{port}{path}"
