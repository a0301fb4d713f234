"""Dates in merge data: BigCommerce's v2 resources write RFC-2822 dates ("Tue, 20 Nov 2012
00:00:00 +0000"), its v3 resources ISO-8601 ("2019-06-25T17:11:12Z"); a merchant writes either
in a condition, or a plain ISO date ("2024-05-01"). One parser for formatting and conditions.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

# Anchored shapes first, so that ordinary words and numbers are never taken for dates.
_RFC_2822_RE = re.compile(
    r"(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d{1,2}:\d{2}(?::\d{2})?"
    r"\s+(?:[+-]\d{4}|GMT|UTC?|[A-Z]{3})"
)
_ISO_8601_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
_DATE_ONLY_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(value: Any) -> datetime | None:
    """``value`` as a datetime, or ``None`` if it is not an RFC-2822 or ISO-8601 date.

    A value with a time but no offset is taken as UTC. A plain date ("2024-05-01") gives a
    *naive* midnight: it names a calendar day, not an instant (see ``is_calendar_day``).
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if _RFC_2822_RE.fullmatch(text):
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    elif _ISO_8601_RE.fullmatch(text):
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
        if _DATE_ONLY_RE.fullmatch(text):
            return parsed
    else:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def is_calendar_day(moment: datetime) -> bool:
    """Whether a parsed date was a plain date (no time, no offset)."""
    return moment.tzinfo is None


def as_instant(moment: datetime) -> datetime:
    """An aware datetime to compare with others: a plain date is midnight UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
