"""A bench-only email backend: notes when each message was handed to it, and drops it.

Each message is one line, `<Unix time>\\t<subject>`, appended to the file named by
BENCH_MAIL_LOG; the latency part reads it to time a delivery's 200 to its first email.
"""

from __future__ import annotations

import os
import time

from django.core.mail.backends.base import BaseEmailBackend


class TimingBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        stamp = time.time()
        lines = "".join(f"{stamp:.6f}\t{message.subject}\n" for message in email_messages)
        with open(os.environ["BENCH_MAIL_LOG"], "a", encoding="utf-8") as log:
            log.write(lines)  # one write of whole lines: several workers append safely
        return len(email_messages)


def read(path) -> dict[str, float]:
    """Subject -> when its first message was handed over."""
    first: dict[str, float] = {}
    if not os.path.exists(path):
        return first
    with open(path, encoding="utf-8") as log:
        for line in log:
            stamp, _, subject = line.rstrip("\n").partition("\t")
            if subject and stamp:
                first.setdefault(subject, float(stamp))
    return first
