"""E-mail: composing a notification's message in its reader's language, and handing it to SMTP.

smtplib is blocking; it runs in a thread so that a worker's event loop (and, in the embedded demo,
the thread beside the server) is never held by a slow mail server.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any

from portal.i18n import gettext as _
from portal.notifications.models import Notification, OutboxMessage
from portal.notifications.text import TenantNames, render, speaking

# A path's full address for a route name and its parameters (the portal's PUBLIC_URL before it).
LinkFor = Callable[[str, Mapping[str, Any]], str | None]


class PermanentFailure(Exception):
    """The server refused the message for good (a 5xx answer): trying again would not help."""


@dataclass(frozen=True)
class SMTPMailer:
    host: str
    port: int
    sender: str
    security: str = "starttls"  # "starttls", "tls" (SMTPS) or "none"
    user: str = ""
    password: str = ""
    timeout: float = 10.0

    async def send(self, message: EmailMessage) -> None:
        await asyncio.to_thread(self._send, message)

    def _send(self, message: EmailMessage) -> None:
        context = ssl.create_default_context()
        try:
            if self.security == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with smtp:
                if self.security == "starttls":
                    smtp.starttls(context=context)
                if self.user:
                    smtp.login(self.user, self.password)
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            if all(code >= 500 for code, _msg in exc.recipients.values()):
                raise PermanentFailure(f"recipient refused: {exc.recipients}") from exc
            raise
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            if exc.smtp_code >= 500:
                raise PermanentFailure(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
            raise


def mailer_from(settings: Any) -> SMTPMailer | None:
    """The SMTP server of the settings, or None when SMTP_HOST is not set (messages stay in the outbox)."""
    if not settings.smtp_host:
        return None
    return SMTPMailer(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.smtp_from,
        security=settings.smtp_security,
        user=settings.smtp_user,
        password=settings.smtp_password,
        timeout=settings.smtp_timeout,
    )


def compose(
    message: OutboxMessage, notification: Notification, names: TenantNames, link_for: LinkFor, sender: str
) -> EmailMessage:
    """The e-mail of one outbox message, in its reader's language."""
    with speaking(message.language):
        text = render(notification.text, notification.params, names)
        url = link_for(notification.route, notification.route_params)
        parts = [text]
        if url:
            parts.append(_("Open it in the portal: %(url)s") % {"url": url})
        parts.append(
            _(
                "The ICM partnership portal sent you this message; you will also find it among your "
                "notifications there. Do not reply to this e-mail."
            )
        )
        subject = " ".join(text.split())
    email = EmailMessage()
    email["Subject"] = subject if len(subject) <= 150 else subject[:149] + "…"
    email["From"] = sender
    email["To"] = message.address
    email["Date"] = formatdate(localtime=False)
    # Stable per message: a copy sent again after a crash between sending and recording it is
    # recognisable as the same message.
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    email["Message-ID"] = f"<notification-{message.notification_id}.{message.id}@{domain}>"
    email.set_content("\n\n".join(parts))
    return email
