"""Logging for a bot that must not leak: no tokens, no names, no phone numbers, no messages.

Handlers log events and ids only. As a second line of defence every record passes a filter
that blanks the bot token and anything that looks like a phone number, because HTTP client
loggers print request URLs, and those contain the token.
"""

from __future__ import annotations

import logging
import re
import traceback

_PHONE = re.compile(r"(?<!\d)(?:\+31|0)[\d \-]{8,12}\d(?!\d)")
_TOKEN = re.compile(r"\b\d{6,12}:[A-Za-z0-9_-]{30,}\b")
_RECEIVED = "Received data"


class RedactingFilter(logging.Filter):
    def __init__(self, secrets: list[str]):
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[token]")
        text = _TOKEN.sub("[token]", text)
        return _PHONE.sub("[phone]", text)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("telegram") and _RECEIVED in str(record.msg):
            # python-telegram-bot logs an update it cannot parse whole (webhook body, polling
            # batch): what residents wrote. Keep that it happened, not the data.
            record.msg = str(record.msg).split(_RECEIVED)[0] + _RECEIVED + " left out of the log"
            record.args = ()
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            # The exception's message can hold what a resident wrote: keep type and frames only.
            error = record.exc_info[1]
            frames = traceback.extract_tb(error.__traceback__)[-4:]
            where = " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}"
                                for f in reversed(frames))
            message += f" | {type(error).__name__} at {where}"
            record.exc_info = None
            record.exc_text = None
        record.msg = self.redact(message)
        record.args = ()
        return True


def configure_logging(secrets: list[str], level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its lines carry the token
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    # python-telegram-bot logs whole updates (what residents wrote) at DEBUG: never below INFO.
    logging.getLogger("telegram").setLevel(max(level, logging.INFO))
