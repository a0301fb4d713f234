"""Keep the public pages' tokens out of the logs. A survey link (``/s/{token}/``) or an
unsubscribe link (``/u/{token}/``) opens a customer's page to whoever holds it, so a log line
(an access line, Django's "Not Found: …" or "Gone: …") shows ``/s/[token]/`` instead.

The filter sits on the loggers that write request paths (settings.LOGGING, gunicorn.conf.py),
so every handler, tests' included, sees the redacted line."""

from __future__ import annotations

import logging
import re

# A path that starts /s/ or /u/ (after a space, a quote or a host): its next segment.
_TOKEN_IN_PATH = re.compile(r"((?:^|[\s\"'(]|//[^/\s]+))/([su])/[^/\s?#\"']+")


def redact(text: str) -> str:
    return _TOKEN_IN_PATH.sub(r"\1/\2/[token]", text)


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
