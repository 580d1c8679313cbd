"""The `email` channel: SMTP (STARTTLS, implicit TLS or plain) with a text and an HTML part."""

from __future__ import annotations

import asyncio
import logging
import os
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, getaddresses
from typing import Any

from monitor.alerts.base import AlertMessage, Channel, DeliveryError, Options
from monitor.render.html import esc

logger = logging.getLogger(__name__)

SECURITY = ("starttls", "tls", "plain")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "plain": 25}
MESSAGE_ID_DOMAIN = "editwatch.invalid"


class EmailChannel(Channel, kind="email"):
    """E-mail through an SMTP server: a plain-text part (unified word diff) and an HTML part.

    Options: host, port (default by security), security (starttls | tls | plain),
    username and password_env (the NAME of an environment variable holding the
    password; never the password itself), from, to (address or list), timeout
    (seconds, default 30), subject_prefix, unsubscribe (a mailto: or https: URL
    for the List-Unsubscribe header), ca_file (a PEM file of CAs to trust, for a
    relay with a private certificate), verify_tls (default true).
    """

    def __init__(
        self,
        name: str,
        *,
        host: str,
        port: int,
        security: str,
        sender: str,
        recipients: list[str],
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        subject_prefix: str = "",
        unsubscribe: str | None = None,
        verify_tls: bool = True,
        ca_file: str | None = None,
    ) -> None:
        super().__init__(name, timeout=timeout)
        self.host, self.port, self.security = host, port, security
        self.sender, self.recipients = sender, recipients
        self.username = username
        self._password = password
        self.subject_prefix = subject_prefix
        self.unsubscribe = unsubscribe
        self.verify_tls = verify_tls
        self.ca_file = ca_file

    @classmethod
    def from_config(cls, name: str, options: dict[str, Any]) -> EmailChannel:
        """Validate the options; the password comes from the environment variable `password_env`."""
        opts = Options(name, options)
        security = opts.choice("security", SECURITY, "starttls")
        port = opts.number("port", DEFAULT_PORTS[security])
        if port != int(port) or port > 65535:
            raise opts.error("port", f"must be a TCP port number, not {port:g}")
        username = opts.text("username")
        password = opts.secret("password_env")
        if password is not None and username is None:
            raise opts.error("password_env", "given without a username")
        sender = opts.required_str("from")
        recipients = opts.str_list("to", required=True)
        for key, address in [("from", sender), *(("to", r) for r in recipients)]:
            _check_address(opts, key, address)
        unsubscribe = opts.text("unsubscribe")
        if unsubscribe and not unsubscribe.startswith(("mailto:", "https://", "http://")):
            raise opts.error("unsubscribe", "must be a mailto: or http(s) URL")
        channel = cls(
            name,
            host=opts.required_str("host"),
            port=int(port),
            security=security,
            sender=sender,
            recipients=recipients,
            username=username,
            password=password,
            timeout=opts.number("timeout", 30.0),
            subject_prefix=opts.text("subject_prefix", "") or "",
            unsubscribe=unsubscribe,
            verify_tls=opts.flag("verify_tls", True),
            ca_file=_ca_file(opts),
        )
        opts.finish()
        return channel

    def describe(self) -> str:
        """Name the server and recipients (never the password)."""
        login = f" as {self.username}" if self.username else ""
        return (
            f"smtp {self.security} {self.host}:{self.port}{login} -> {', '.join(self.recipients)}"
        )

    def build(self, message: AlertMessage) -> EmailMessage:
        """Build the MIME message: multipart/alternative, text/plain then text/html."""
        mail = EmailMessage()
        mail["Subject"] = self.subject_prefix + message.subject()
        mail["From"] = self.sender
        mail["To"] = ", ".join(self.recipients)
        mail["Date"] = formatdate(localtime=False, usegmt=True)
        mail["Message-ID"] = message_id(message.idempotency_key)
        mail["X-Editwatch-Delivery"] = message.idempotency_key
        mail["List-Id"] = f"editwatch channel {self.name} <{self.name}.{MESSAGE_ID_DOMAIN}>"
        if self.unsubscribe:
            mail["List-Unsubscribe"] = f"<{self.unsubscribe}>"
        footer = self.footer()
        mail.set_content(message.text() + "\n-- \n" + footer + "\n")
        mail.add_alternative(_html_document(message, footer), subtype="html")
        return mail

    def footer(self) -> str:
        """Say why this message came and how to stop it: the channel in the config file."""
        where = self.config_source or "your editwatch config file"
        return (
            f"Sent by editwatch through channel '{self.name}'. To stop these alerts, "
            f"remove that channel or its rules from {where}."
        )

    async def send(self, message: AlertMessage) -> None:
        """Send through SMTP in a worker thread (smtplib blocks); socket timeouts apply."""
        mail = self.build(message)
        await asyncio.to_thread(self._deliver, mail)
        logger.info("e-mail %s sent through %s", message.idempotency_key, self.name)

    def _deliver(self, mail: EmailMessage) -> None:
        where = f"smtp {self.host}:{self.port}"
        try:
            with self._connect() as smtp:
                if self.username and self._password is not None:
                    smtp.login(self.username, self._password)
                refused = smtp.send_message(mail, self.sender, self.recipients)
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(
                f"{where}: login as {self.username} refused ({exc.smtp_code})"
            ) from None
        except smtplib.SMTPRecipientsRefused as exc:
            names = ", ".join(exc.recipients)
            raise DeliveryError(f"{where}: all recipients refused: {names}") from None
        except smtplib.SMTPResponseException as exc:
            reason = exc.smtp_error
            if isinstance(reason, bytes):
                reason = reason.decode("utf-8", "replace")
            raise DeliveryError(f"{where}: {exc.smtp_code} {one_line(str(reason))}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"{where}: {type(exc).__name__}: {one_line(str(exc))}") from None
        if refused:
            logger.warning("%s refused recipients %s", where, ", ".join(refused))

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context(cafile=self.ca_file)
        if not self.verify_tls:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if self.security == "tls":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.security == "starttls":
                smtp.starttls(context=context)
        except BaseException:
            smtp.close()
            raise
        return smtp


def message_id(idempotency_key: str) -> str:
    """Return the Message-ID of an alert: same key, same id, so a resend is recognisable."""
    return f"<{idempotency_key}@{MESSAGE_ID_DOMAIN}>"


def one_line(text: str) -> str:
    """Collapse a server's (possibly multi-line) reply to one line."""
    return " ".join(text.split())


def _ca_file(opts: Options) -> str | None:
    path = opts.text("ca_file")
    if path is not None and not os.path.isfile(os.path.expanduser(path)):
        raise opts.error("ca_file", f"no such file: {path}")
    return os.path.expanduser(path) if path else None


def _check_address(opts: Options, key: str, address: str) -> None:
    parsed = getaddresses([address])
    if len(parsed) != 1 or "@" not in parsed[0][1] or any(c in address for c in "\r\n"):
        raise opts.error(key, f"not an e-mail address: {address!r}")


def _html_document(message: AlertMessage, footer: str) -> str:
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{esc(message.subject())}</title></head>\n"
        '<body style="margin:0;padding:16px;background:#ffffff">\n'
        f"{message.html()}\n"
        '<p style="color:#777;font-size:12px;margin-top:24px;border-top:1px solid #eee;'
        f'padding-top:8px">{esc(footer)}</p>\n'
        "</body></html>\n"
    )
