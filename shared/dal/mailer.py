"""Amazon SES: one email sent as simple content (a subject, a text part and an HTML part). moto's SES
implements ``SendEmail`` (not templates), and records what it sent, which the tests and the local
stack's ``GET /_local/emails`` read."""

from __future__ import annotations

from typing import Any

from shared.notifications.templates import Email


class SesMailer:
    def __init__(self, client: Any, sender: str, configuration_set: str | None = None) -> None:
        self._ses = client
        self._sender = sender
        self._configuration_set = configuration_set

    def send(self, to: str, email: Email) -> str:
        """Send; SES's message id."""
        extra = {"ConfigurationSetName": self._configuration_set} if self._configuration_set else {}
        response = self._ses.send_email(
            Source=self._sender,
            Destination={"ToAddresses": [to]},
            Message={
                "Subject": {"Data": email.subject, "Charset": "UTF-8"},
                "Body": {
                    "Text": {"Data": email.text, "Charset": "UTF-8"},
                    "Html": {"Data": email.html, "Charset": "UTF-8"},
                },
            },
            **extra,
        )
        return str(response["MessageId"])
