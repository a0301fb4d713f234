"""Times in the store's time zone: the send window (weekdays and hours when customer emails may
go out) and a delay's "then until the next allowed weekday at HH:MM".

Pure functions over aware datetimes and ``zoneinfo`` zones. A wall-clock time is turned into an
instant through UTC, so a time that doesn't exist on a spring-forward day (02:30 in New York)
is the first instant the clock reaches it (03:30 daylight time), and one that happens twice on
a fall-back day is its first occurrence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ALL_WEEKDAYS = "0123456"


def store_zone(name: str) -> ZoneInfo:
    """The store's zone; UTC when it is unknown (not read yet, or a name we don't know)."""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def parse_weekdays(text: str) -> frozenset[int]:
    return frozenset(int(char) for char in text if char in ALL_WEEKDAYS)


def weekdays_text(days: frozenset[int] | str) -> str:
    """``Mon–Fri``, ``Sat, Sun``, ``every day``."""
    days = parse_weekdays(days) if isinstance(days, str) else days
    ordered = sorted(days)
    if len(ordered) == 7:
        return "every day"
    if len(ordered) > 2 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{WEEKDAY_NAMES[ordered[0]]}–{WEEKDAY_NAMES[ordered[-1]]}"
    return ", ".join(WEEKDAY_NAMES[day] for day in ordered)


def wall_clock(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The instant (UTC) the store's clock shows `at` on `day`."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def next_at(weekdays: frozenset[int], at: time, after: datetime, zone: ZoneInfo) -> datetime:
    """The first instant at or after `after` when the store's clock shows `at` on one of the
    weekdays."""
    local_day = after.astimezone(zone).date()
    for offset in range(8):
        day = local_day + timedelta(days=offset)
        if day.weekday() in weekdays:
            candidate = wall_clock(day, at, zone)
            if candidate >= after:
                return candidate
    raise ValueError("no weekday given")


@dataclass(frozen=True)
class SendWindow:
    """Weekdays (0 = Monday) and hours [start, end) of the store's clock."""

    weekdays: frozenset[int]
    start_hour: int
    end_hour: int  # 24 = midnight

    @classmethod
    def of(cls, workflow) -> SendWindow | None:
        """The workflow's window, or None when it has none (any time)."""
        days = parse_weekdays(workflow.send_window_weekdays)
        if not days:
            return None
        return cls(days, workflow.send_window_start_hour, workflow.send_window_end_hour)

    def is_open(self, at: datetime, zone: ZoneInfo) -> bool:
        local = at.astimezone(zone)
        return local.weekday() in self.weekdays and self.start_hour <= local.hour < self.end_hour

    def next_opening(self, after: datetime, zone: ZoneInfo) -> datetime:
        """When the window next opens after `after` (`after` itself when it is open)."""
        if self.is_open(after, zone):
            return after
        return next_at(self.weekdays, time(self.start_hour), after, zone)

    def describe(self) -> str:
        end = "24:00" if self.end_hour == 24 else f"{self.end_hour:02d}:00"
        return f"{weekdays_text(self.weekdays)} {self.start_hour:02d}:00–{end} store time"


def store_time(at: datetime, zone: ZoneInfo) -> str:
    """``Mon 09:00 store time`` (with the date and UTC for the log: see `described`)."""
    return f"{at.astimezone(zone):%a %H:%M} store time"


def described(at: datetime, zone: ZoneInfo) -> str:
    """``Mon 09:00 store time (2026-03-09 13:00 UTC)``."""
    return f"{store_time(at, zone)} ({at.astimezone(UTC):%Y-%m-%d %H:%M} UTC)"
