"""The account's suppression list: add, remove, find, import and export (CSV).

Addresses are stored normalised (``addresses.normalise``); one row per account and address
(a unique constraint), so adding one twice, or a second unsubscribe, changes nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from workflows.sending.addresses import normalise
from workflows.sending.models import Suppression, SuppressionReason

MAX_IMPORT_ROWS = 10_000
MAX_IMPORT_BYTES = 1024 * 1024  # a CSV's size, uploaded or sent to the API
MAX_SOURCE_LENGTH = 200
CSV_COLUMNS = ("email", "reason", "source", "created_at")


def clean_address(value) -> str:
    """The normalised address, or ``ValidationError`` saying what is wrong."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("an email address is required.")
    address = normalise(value)
    if len(address) > 254:
        raise ValidationError("at most 254 characters.")
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationError(f"'{address[:80]}' is not a valid email address.") from None
    return address


def suppress(
    account_id: int, email: str, reason: str, source: str = ""
) -> tuple[Suppression, bool]:
    """Add the address (normalised) to the account's list; (row, created). An address already
    on the list keeps its first reason."""
    address = normalise(email)
    reason = SuppressionReason(reason)
    existing = Suppression.objects.filter(account_id=account_id, email=address).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            row = Suppression.objects.create(
                account_id=account_id,
                email=address,
                reason=reason,
                source=source[:MAX_SOURCE_LENGTH],
            )
    except IntegrityError:  # added concurrently: the same outcome
        return Suppression.objects.get(account_id=account_id, email=address), False
    return row, True


def search(account_id: int, query: str = ""):
    rows = Suppression.objects.filter(account_id=account_id)
    query = query.strip()
    if query:
        rows = rows.filter(email__icontains=query.lower())
    return rows.order_by("-created_at", "-id")


def remove(account_id: int, pk: int) -> bool:
    deleted, _ = Suppression.objects.filter(account_id=account_id, pk=pk).delete()
    return bool(deleted)


@dataclass
class ParsedImport:
    rows: list[tuple[int, str, str]] = field(default_factory=list)  # (row number, email, reason)
    errors: list[str] = field(default_factory=list)  # "Row 3: ..." per refused row


def parse_csv(text: str) -> ParsedImport:
    """Rows of ``email[,reason]`` (a header row naming ``email`` is allowed); reason defaults
    to ``manual``. Each refused row is reported by number; the others are returned, checked,
    to be added (``suppress``), which a job of the task cluster does (``suppression_import``)."""
    parsed = ParsedImport()
    reader = csv.reader(io.StringIO(text))
    reasons = set(SuppressionReason.values)
    for number, row in enumerate(_csv_rows(reader, parsed), start=1):
        if number > MAX_IMPORT_ROWS:
            parsed.errors.append(f"Row {number}: stopped, at most {MAX_IMPORT_ROWS} rows.")
            break
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if number == 1 and cells[0].lower() == "email":
            continue
        try:
            address = clean_address(cells[0])
        except ValidationError as exc:
            parsed.errors.append(f"Row {number}: {exc.messages[0]}")
            continue
        reason = cells[1].lower() if len(cells) > 1 and cells[1] else SuppressionReason.MANUAL
        if reason not in reasons:
            known = ", ".join(sorted(reasons))
            parsed.errors.append(f"Row {number}: unknown reason '{reason[:40]}'; one of {known}.")
            continue
        parsed.rows.append((number, address, str(reason)))
    return parsed


def _csv_rows(reader, parsed: ParsedImport):
    """The reader's rows until one can't be read (a NUL byte, an open quote at the end)."""
    try:
        yield from reader
    except csv.Error as exc:
        parsed.errors.append(f"Row {reader.line_num}: not readable as CSV ({exc}); stopped.")


def export_csv(rows: Iterable[Suppression]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                no_formula(row.email),
                row.reason,
                no_formula(row.source),
                row.created_at.isoformat(),
            ]
        )
    return out.getvalue()


def no_formula(text: str) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas: quote them."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text
