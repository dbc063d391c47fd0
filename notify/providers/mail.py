"""E-mail over SMTP (production) — the development provider records mail like SMS."""
from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from notify.providers.base import Outgoing, SendResult, failure


class SmtpMail:
    name = "smtp"

    def __init__(self, cfg: Any) -> None:
        self.host, self.port = cfg.SMTP_HOST, int(cfg.SMTP_PORT)
        self.username, self.password = cfg.SMTP_USERNAME, cfg.SMTP_PASSWORD
        self.security = cfg.SMTP_SECURITY
        self.sender = cfg.MAIL_FROM
        self.domain = self.sender.rsplit("@", 1)[-1]

    def _connect(self) -> smtplib.SMTP:
        if self.security == "ssl":
            conn: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=20,
                                                  context=ssl.create_default_context())
        else:
            conn = smtplib.SMTP(self.host, self.port, timeout=20)
            if self.security == "starttls":
                conn.starttls(context=ssl.create_default_context())
        if self.username:
            conn.login(self.username, self.password)
        return conn

    def send(self, batch: list[Outgoing]) -> list[SendResult]:
        if not batch:
            return []
        try:
            conn = self._connect()
        except (OSError, smtplib.SMTPException) as exc:
            return [failure(m, f"SMTP: {exc}", retryable=True) for m in batch]
        results: list[SendResult] = []
        try:
            for m in batch:
                msg = EmailMessage()
                msg["From"], msg["To"], msg["Subject"] = self.sender, m.address, m.subject or ""
                msg["Date"] = formatdate(localtime=False)
                msg["Message-ID"] = f"<notification-{m.notification_id}@{self.domain}>"
                msg.set_content(m.text)
                try:
                    conn.send_message(msg)
                    results.append(SendResult(m.notification_id, ok=True, provider_id=msg["Message-ID"]))
                except smtplib.SMTPRecipientsRefused as exc:
                    results.append(failure(m, f"SMTP recipient refused: {exc.recipients}", retryable=False))
                except smtplib.SMTPResponseException as exc:
                    results.append(failure(m, f"SMTP {exc.smtp_code}: {exc.smtp_error!r}",
                                           retryable=400 <= exc.smtp_code < 500))
                except (OSError, smtplib.SMTPException) as exc:
                    results.append(failure(m, f"SMTP: {exc}", retryable=True))
        finally:
            try:
                conn.quit()
            except (OSError, smtplib.SMTPException):
                pass
        done = {r.notification_id for r in results}
        results.extend(failure(m, "SMTP connection lost", retryable=True) for m in batch if m.notification_id not in done)
        return results

    def already_sent(self, notification_ids: list[int]) -> dict[int, str] | None:
        return None
