"""Sending SMS. The backend is a setting; the development one writes the message to the log."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger("grassroots.sms")


class BaseSmsBackend:
    def send(self, mobile: str, text: str) -> None:
        raise NotImplementedError


class LogSmsBackend(BaseSmsBackend):
    """Development and demo: the text goes to the log, nothing leaves the machine."""

    def send(self, mobile: str, text: str) -> None:
        log.warning("SMS to %s: %s", mobile, text)


class OutboxSmsBackend(BaseSmsBackend):
    """Tests: messages are kept in `outbox`."""

    outbox: list[tuple[str, str]] = []

    def send(self, mobile: str, text: str) -> None:
        self.outbox.append((mobile, text))


def send_sms(mobile: str, text: str) -> None:
    import_string(settings.SMS_BACKEND)().send(mobile, text)
