"""Formats written after a merge code, in the code's own syntax, so that a merchant needs no
template language: ``[BigCommerce | Order | total_inc_tax | money]``.

A format is one more ``|`` segment after the *full* code, and only these names count as one
(no code has a segment of these names, a test keeps it so), so the syntax stays unambiguous:

- ``money`` / ``money:EUR`` — a number as money in the event's currency (the order's
  ``currency_code``, the cart's ``currency | code``), or in the one named, with Babel, in the
  customer's locale (the order's ``customer_locale``, the cart's ``locale``; else English).
- ``date`` / ``date:%d %B %Y`` — an RFC-2822 or ISO-8601 date in the store's time zone
  (``Store | timezone``), as a medium date of the locale, or with ``strftime`` directives.
- ``default:there`` — the text after the colon when the value is empty (null, "", [], {}).
- ``list`` — a list as readable text, one item a line ("2 × Mug (SM-13) — $27.72"); in an
  HTML email, a table.

Formats apply left to right (``| date | default:soon``); one that does not fit the value (money
of a word) leaves it as it is. An empty value stays empty for all but ``default``.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, is_currency

from workflows.dates import is_calendar_day, parse_date

# Where the formatting context comes from, in merge data.
CURRENCY_CODES = ("BigCommerce | Order | currency_code", "BigCommerce | Cart | currency | code")
LOCALE_CODES = ("BigCommerce | Order | customer_locale", "BigCommerce | Cart | locale")
TIMEZONE_CODE = "Store | timezone"
DEFAULT_LOCALE = "en"
MAX_ARGUMENT_LENGTH = 100
_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_CURRENCY_RE = re.compile(r"[A-Z]{3}")
# strftime directives a date format may use (glibc's "-" flag drops the padding: %-d).
_DATE_FORMAT_RE = re.compile(r"(?:[^%]|%-?[aAbBdeHIjmMpSyYzZGuVUwW%])*")


@dataclass(frozen=True)
class Fragment:
    """A formatted value that has an HTML form of its own (a table) besides its text."""

    text: str
    html: str

    def __bool__(self) -> bool:
        return bool(self.text)


@dataclass(frozen=True)
class FormatContext:
    """What formats need to know about the run: its currency, locale and time zone."""

    currency: str | None
    locale: Locale
    timezone: tzinfo

    @classmethod
    def of(cls, merge_data: Mapping[str, Any]) -> FormatContext:
        currency = next((merge_data.get(c) for c in CURRENCY_CODES if merge_data.get(c)), None)
        if not (isinstance(currency, str) and is_currency(currency)):
            currency = None
        return cls(currency, _locale(merge_data), _timezone(merge_data.get(TIMEZONE_CODE)))


@dataclass(frozen=True)
class Filter:
    name: str
    argument: str  # "none", "optional" or "required"
    example: str
    help: str
    apply: Callable[[Any, str | None, FormatContext], Any]
    check: Callable[[str], str | None] = lambda argument: None  # a problem with the argument
    needs: tuple[str, ...] = ()  # codes the format reads besides its own (fetched with it)


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, (str, list, dict)) and len(value) == 0)


def parse_segment(segment: str) -> tuple[str, str | None] | None:
    """``"date:%d %B %Y"`` -> ``("date", "%d %B %Y")``; ``None`` if it names no format."""
    name, colon, argument = segment.partition(":")
    name = name.strip().lower()
    if name not in FILTERS:
        return None
    return name, (argument.strip() if colon else None)


def problem(name: str, argument: str | None) -> str | None:
    """What is wrong with one format as written, or ``None``."""
    spec = FILTERS[name]
    if argument is None:
        return (
            f"'{name}' needs text after a colon ({spec.example})."
            if spec.argument == "required"
            else None
        )
    if spec.argument == "none":
        return f"'{name}' takes nothing after it; write just '{name}'."
    if not argument and spec.argument == "required":
        return f"'{name}' needs text after the colon ({spec.example})."
    if len(argument) > MAX_ARGUMENT_LENGTH:
        return f"'{name}:' takes at most {MAX_ARGUMENT_LENGTH} characters."
    return spec.check(argument)


def apply(value: Any, filters: tuple[tuple[str, str | None], ...], ctx: FormatContext) -> Any:
    """``value`` through each format in turn."""
    for name, argument in filters:
        value = FILTERS[name].apply(value, argument, ctx)
    return value


# --- the formats ----------------------------------------------------------------------------


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return None
    if isinstance(value, str) and _NUMBER_RE.fullmatch(value.strip()):
        return Decimal(value.strip())
    return None


def money(value: Any, currency: str | None, ctx: FormatContext) -> Any:
    number = _decimal(value)
    if number is None or not number.is_finite():
        return value
    currency = currency or ctx.currency
    if currency is None:
        return format_decimal(number, format="#,##0.00", locale=ctx.locale)
    return format_currency(number, currency, locale=ctx.locale)


def _check_currency(argument: str) -> str | None:
    if _CURRENCY_RE.fullmatch(argument) and is_currency(argument):
        return None
    return f"'{argument}' is not a currency code; write three capitals such as USD or EUR."


def date(value: Any, pattern: str | None, ctx: FormatContext) -> Any:
    moment = parse_date(value)
    if moment is None:
        return value
    if not is_calendar_day(moment):  # a plain date names a day, not an instant: keep it
        moment = moment.astimezone(ctx.timezone)
    if pattern:
        return moment.strftime(pattern)
    return format_date(moment.date(), format="medium", locale=ctx.locale)


def _check_date_format(argument: str) -> str | None:
    if _DATE_FORMAT_RE.fullmatch(argument):
        return None
    return (
        f"'{argument}' is not a date format: use %d (day), %B or %b (month name), %m (month), "
        "%Y (year), %H:%M (time), %A (weekday) and plain text."
    )


def default(value: Any, text: str | None, ctx: FormatContext) -> Any:
    return text if is_empty(value) else value


def as_list(value: Any, _argument: str | None, ctx: FormatContext) -> Any:
    if not isinstance(value, list):
        return value
    if not value:
        return ""
    if not all(isinstance(item, dict) for item in value):
        text = ", ".join(_text(item) for item in value)
        return Fragment(text, html.escape(text))
    columns = _columns(value)
    lines = [_line(item, ctx) for item in value]
    return Fragment("\n".join(lines), _table(value, columns, ctx))


# Item lists (line items, shipped items) read as a receipt; other objects show their keys.
_ITEM_COLUMNS = (("name", "Item"), ("sku", "SKU"), ("quantity", "Qty"), ("total", "Price"))


def _columns(items: list[dict]) -> list[tuple[str, str]]:
    if all("name" in item for item in items):
        columns = []
        for key, title in _ITEM_COLUMNS:
            source = "price" if key == "total" and not any(i.get("total") for i in items) else key
            if any(not is_empty(item.get(source)) for item in items):
                columns.append((source, title))
        return columns
    keys = dict.fromkeys(key for item in items for key in item)
    return [(key, key.replace("_", " ").capitalize()) for key in keys]


def _line(item: dict, ctx: FormatContext) -> str:
    if "name" not in item:
        return "; ".join(f"{key}: {_text(value)}" for key, value in item.items())
    text = _text(item.get("name"))
    if item.get("quantity") is not None:
        text = f"{_text(item['quantity'])} × {text}"
    if item.get("sku"):
        text += f" ({_text(item['sku'])})"
    price = item.get("total") if item.get("total") is not None else item.get("price")
    if price is not None:
        text += f" — {_text(money(price, None, ctx))}"
    return text


def _table(items: list[dict], columns: list[tuple[str, str]], ctx: FormatContext) -> str:
    cell = 'style="text-align:left;padding:4px 8px;border-bottom:1px solid #dddddd"'
    head = "".join(f"<th {cell}>{html.escape(title)}</th>" for _key, title in columns)
    rows = []
    for item in items:
        cells = []
        for key, _title in columns:
            value = item.get(key)
            if key in ("price", "total"):
                value = money(value, None, ctx)
            cells.append(f"<td {cell}>{html.escape(_text(value))}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return (
        '<table style="border-collapse:collapse;width:100%">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def format_value(value: Any) -> str:
    """A merge-data value as text: ``None`` -> "", booleans -> "true"/"false", numbers and
    lists/objects as (compact) JSON, strings as they are."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Fragment):
        return value.text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, list, dict)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


_text = format_value


FILTERS: dict[str, Filter] = {
    spec.name: spec
    for spec in (
        Filter(
            "money",
            "optional",
            "money or money:EUR",
            "A number as money in the order's (or cart's) currency.",
            money,
            _check_currency,
        ),
        Filter(
            "date",
            "optional",
            "date or date:%d %B %Y",
            "A date in the store's time zone; after a colon, strftime directives.",
            date,
            _check_date_format,
            needs=(TIMEZONE_CODE,),
        ),
        Filter(
            "default",
            "required",
            "default:there",
            "This text when the value is empty.",
            default,
        ),
        Filter(
            "list",
            "none",
            "list",
            "A list as lines of text; a table in an HTML email.",
            as_list,
        ),
    )
}


def _locale(merge_data: Mapping[str, Any]) -> Locale:
    for code in LOCALE_CODES:
        tag = merge_data.get(code)
        if isinstance(tag, str) and tag.strip():
            try:
                return Locale.parse(tag.strip().replace("-", "_"))
            except (UnknownLocaleError, ValueError, TypeError):
                continue
    return Locale.parse(DEFAULT_LOCALE)


def _timezone(name: Any) -> tzinfo:
    if isinstance(name, str) and name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return UTC
