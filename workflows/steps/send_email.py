"""The ``send_email`` step: one email through Django's configured backend (``EMAIL_URL``).

Header safety: ``to`` and ``subject`` are rendered in the HEADER context (control characters,
CR/LF included, removed from values and result), every rendered recipient must be one valid
address, and a merge value can never add a recipient: each comma-separated item of ``to`` is
one address, whatever its value contains.

HTML bodies: values are inserted in one pass, each escaped for where it sits (see
``merge_codes.RenderContext.HTML``), and the rendered body is then sanitised by
``workflows.email_html`` (an nh3 allowlist); the plain-text alternative is made from that
sanitised body.

An HTML email is sent as ``multipart/alternative``: the plain text made from the sanitised
body, and the body inside the default layout (``workflows.email_layout``: the store's name,
``[Store | name]``, else the authentication's). A plain-text email stays one text part.

Customer emails (the sending gate gave an unsubscribe link in the context) carry the RFC 8058
``List-Unsubscribe`` headers and a visible link: where the body has ``[Unsubscribe | url]``,
or in a footer added when it has none (the layout's, in HTML).

Each sent email is returned in the outcome (``EmailCopy``), which the engine records on the run.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.message import make_msgid
from django.core.validators import validate_email
from django.utils.html import strip_tags

from workflows import email_html
from workflows.email_layout import render_layout
from workflows.merge_codes import (
    RenderContext,
    find_codes,
    first_recipient,
    is_recipient,
    render,
)
from workflows.sending import unsubscribe

from .base import (
    EmailCopy,
    FieldErrors,
    StepContext,
    StepKind,
    StepOutcome,
    StepStatus,
    clean_text,
)

MAX_TO_LENGTH = 1000
MAX_SUBJECT_LENGTH = 500
MAX_BODY_LENGTH = 50_000
MAX_RECIPIENTS = 50
FORMATS = ("text", "html")
_CONTROL_RE = re.compile("[\x00-\x1f\x7f\u2028\u2029]")
# Block-level ends become line breaks in the plain-text alternative of an HTML email.
_BLOCK_END_RE = re.compile(r"<br\s*/?>|</(?:p|div|li|tr|h[1-6]|table|ul|ol)\s*>", re.IGNORECASE)
# A sanitised link (nh3 writes attributes in double quotes): its text, then its address.
_LINK_RE = re.compile(r'<a\b[^>]*?\bhref="([^"]+)"[^>]*>(.*?)</a>', re.IGNORECASE | re.DOTALL)
_BLANK_LINES_RE = re.compile(r"\n\s*\n\s*\n+")
_UNSUBSCRIBE_RE = re.compile(r"\[[ \t]*unsubscribe[ \t]*\|[ \t]*url[ \t]*\]", re.IGNORECASE)
STORE_NAME_CODE = "Store | name"


@dataclass(frozen=True)
class Composed:
    """An email's rendered content: what is sent, previewed and recorded."""

    subject: str
    text: str
    html: str  # the whole HTML document; "" for a plain-text email


class SendEmailStep(StepKind):
    type = "send_email"
    label = "Send email"
    has_side_effect = True
    sends_customer_email = True
    fields = ("to", "subject", "body", "format")

    def clean(self, config: dict, event_key: str, errors: FieldErrors) -> dict:
        common = {"event_key": event_key, "errors": errors}
        to = clean_text(config, "to", max_length=MAX_TO_LENGTH, **common)
        if to and not errors.has("to"):
            for message in _recipient_template_problems(to):
                errors.add("to", message)
        subject = clean_text(config, "subject", max_length=MAX_SUBJECT_LENGTH, **common)
        if subject and _CONTROL_RE.search(subject):
            errors.add("subject", "must be one line (no line breaks or control characters).")
        body = clean_text(config, "body", max_length=MAX_BODY_LENGTH, strip=False, **common)
        fmt = config.get("format") or "text"
        if fmt not in FORMATS:
            errors.add("format", f"must be one of {', '.join(FORMATS)}.")
        return {"to": to, "subject": subject, "body": body, "format": fmt}

    def execute(self, config: dict, ctx: StepContext) -> StepOutcome:
        intended, problem = render_recipients(config["to"], ctx.merge_data)
        if ctx.is_test:
            if not ctx.test_recipient:
                return _failed(
                    "Test event: the email was not sent: your user has no email address."
                )
            recipients = [ctx.test_recipient]
            real = f"it to {', '.join(intended)}" if problem is None else f"nothing: {problem}"
            sent_note = (
                f"Test event: sent only to you ({ctx.test_recipient}); "
                f"a real event would have sent {real}"
            )
        elif problem is not None:
            return _failed(f"Not sent. {problem}")
        else:
            recipients = intended
            # The full address is shown: the run's merge data, on the same page, holds it too.
            sent_note = f"Sent to {', '.join(recipients)}"

        content = compose(
            config, ctx.merge_data, store_name=ctx.store_name, unsubscribe_url=ctx.unsubscribe_url
        )
        message_id, problem = send(content, recipients, ctx.unsubscribe_url)
        if problem:
            return _failed(f"Not sent: {problem}")
        return StepOutcome(
            StepStatus.SUCCEEDED,
            sent_note,
            message_id=message_id,
            email=EmailCopy(tuple(recipients), content.subject, content.text, content.html),
        )

    def codes_needed(self, config: dict) -> tuple[str, ...]:
        """An HTML email's layout shows the store's name."""
        return (STORE_NAME_CODE,) if config.get("format") == "html" else ()

    def customer_recipients_possible(self, config: dict) -> bool:
        return any(find_codes(item) for item in _items(config.get("to") or ""))

    def customer_recipients(self, config: dict, merge_data: Any) -> list[str]:
        """The rendered addresses of the items of ``to`` that name merge codes (an item with
        fallbacks, ``[A] or [B]``, included)."""
        coded = ", ".join(item for item in _items(config["to"]) if find_codes(item))
        if not coded:
            return []
        recipients, _problem = render_recipients(coded, merge_data)
        return recipients


def render_recipients(template: str, merge_data: Any) -> tuple[list[str], str | None]:
    """The rendered addresses of ``to``, or a problem naming the template item at fault."""
    recipients: list[str] = []
    for item in _items(template):
        address = first_recipient(item, merge_data)
        if not address:
            guest = " (guest customer?)" if "Customer" in item else ""
            return [], f"The recipient '{item}' rendered empty{guest}."
        try:
            validate_email(address)
        except ValidationError:
            shown = address if len(address) <= 80 else address[:79] + "…"
            return [], f"The recipient '{item}' rendered as '{shown}', not a valid email address."
        if address.lower() not in (known.lower() for known in recipients):
            recipients.append(address)
    if not recipients:
        return [], "There is no recipient."
    if len(recipients) > MAX_RECIPIENTS:
        return [], f"Too many recipients ({len(recipients)}); at most {MAX_RECIPIENTS}."
    return recipients, None


def compose(
    config: dict, merge_data: Any, *, store_name: str = "", unsubscribe_url: str | None = None
) -> Composed:
    """The email's subject and bodies; values are rendered once, for where they go, and an
    HTML body is sanitised after rendering, then put in the layout. ``store_name`` is used
    when the merge data has no ``[Store | name]``."""
    subject = render(config["subject"], merge_data, context=RenderContext.HEADER)
    if config.get("format") != "html":
        template = with_unsubscribe_link(config["body"], unsubscribe_url)
        return Composed(subject, render(template, merge_data, context=RenderContext.TEXT), "")
    in_body = _UNSUBSCRIBE_RE.search(config["body"]) is not None
    template = _UNSUBSCRIBE_RE.sub(
        lambda _match: html.escape(unsubscribe_url or "", quote=True), config["body"]
    )
    body = email_html.sanitize(render(template, merge_data, context=RenderContext.HTML))
    footer_link = None if in_body else unsubscribe_url
    name = merge_data.get(STORE_NAME_CODE)
    name = name if isinstance(name, str) and name.strip() else store_name
    document = render_layout(subject, body, name, footer_link)
    text = text_alternative(body)
    if footer_link:
        text = text.rstrip() + _text_footer(footer_link)
    return Composed(subject, text, document)


def build_message(
    content: Composed, recipients: list[str], unsubscribe_url: str | None = None
) -> EmailMessage | EmailMultiAlternatives:
    """The email of ``content`` for ``recipients``; with ``unsubscribe_url`` (a customer
    email) it carries the RFC 8058 unsubscribe headers."""
    sender = settings.DEFAULT_FROM_EMAIL
    headers = {"Message-ID": make_msgid(domain=_sender_domain(sender))}
    if unsubscribe_url:
        headers.update(unsubscribe.headers(unsubscribe_url))
    if not content.html:
        return EmailMessage(content.subject, content.text, sender, recipients, headers=headers)
    message = EmailMultiAlternatives(
        content.subject, content.text, sender, recipients, headers=headers
    )
    message.attach_alternative(content.html, "text/html")
    return message


def send(
    content: Composed, recipients: list[str], unsubscribe_url: str | None = None
) -> tuple[str, str]:
    """Hand the email of ``content`` to the email backend: ``(message id, "")`` once it took
    it, else ``("", why not)`` in words (the backend's error, any secret masked)."""
    message = build_message(content, recipients, unsubscribe_url)
    try:
        sent = message.send(fail_silently=False)
    except Exception as exc:  # any backend (SMTP, console, ...) may fail its own way
        return "", _describe_error(exc)
    if not sent:
        return "", "the email backend accepted no message."
    return message_id_of(message), ""


def with_unsubscribe_link(body: str, url: str | None) -> str:
    """A plain-text body (template) with ``[Unsubscribe | url]`` replaced by `url` (or removed
    when there is none), and a footer with the link when a customer email's body has no such
    code. The link is our own address, put in before merge values are, so no value can become
    one."""
    if url is None:
        return _UNSUBSCRIBE_RE.sub("", body)
    if _UNSUBSCRIBE_RE.search(body):
        return _UNSUBSCRIBE_RE.sub(lambda _match: url, body)
    return body.rstrip() + _text_footer(url)


def _text_footer(url: str) -> str:
    return f"\n\n--\nDon't want these emails? Unsubscribe: {url}\n"


def message_id_of(message: EmailMessage) -> str:
    """The provider's id of a sent message (anymail reports it), else our Message-ID header."""
    status = getattr(message, "anymail_status", None)
    provider_id = getattr(status, "message_id", None)  # a set when recipients' ids differ
    if provider_id is not None and provider_id != "" and not isinstance(provider_id, set):
        return str(provider_id)
    return str(message.extra_headers.get("Message-ID", ""))


def _sender_domain(sender: str) -> str | None:
    domain = sender.rpartition("@")[2].strip(" >")
    return domain or None


def text_alternative(html_body: str) -> str:
    """A readable plain-text version of an HTML body (tags removed, entities decoded)."""
    with_urls = _LINK_RE.sub(_link_text, html_body)
    text = html.unescape(strip_tags(_BLOCK_END_RE.sub("\n", with_urls)))
    return _BLANK_LINES_RE.sub("\n\n", text).strip() + "\n"


def _link_text(match: re.Match) -> str:
    url, label = match.group(1), match.group(2)
    shown = html.unescape(url)
    if shown.startswith("mailto:") or html.unescape(strip_tags(label)).strip() == shown:
        return label
    return f"{label} ({url})"


def _items(template: str) -> list[str]:
    return [item.strip() for item in template.split(",")]


def _recipient_template_problems(template: str) -> list[str]:
    """Each comma-separated item must be one merge code or one valid address."""
    problems = []
    for item in _items(template):
        if not item:
            problems.append("has an empty recipient (check the commas).")
        elif not is_recipient(item):
            try:
                validate_email(item)
            except ValidationError:
                shown = item if len(item) <= 80 else item[:79] + "…"
                problems.append(
                    f"'{shown}' is neither a valid email address nor a single merge code; "
                    "separate recipients with commas."
                )
    return problems


def _describe_error(exc: Exception) -> str:
    text = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
    password = getattr(settings, "EMAIL_HOST_PASSWORD", "")
    if password:
        text = text.replace(password, "********")  # belt and braces: never echo the secret
    return text if len(text) <= 300 else text[:299] + "…"


def _failed(detail: str) -> StepOutcome:
    return StepOutcome(StepStatus.FAILED, detail)
