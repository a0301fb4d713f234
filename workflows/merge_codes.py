"""Merge codes in step fields: finding, validating and rendering them. The one place for this.

Syntax: ``[BigCommerce | Customer | first_name]``. A code's first segment names its *group*
(``BigCommerce``, ``Store``, ...; see ``register_group``). Whitespace around ``[``, ``]`` and
``|`` is optional (``[BigCommerce|Customer|first_name]`` is the same code) and the group may be
written in any case; the other names are case-sensitive, because they are BigCommerce's JSON
keys. Anything that starts like a code of a registered group (``[BigCommerce |`` ... ``]`` on
one line) is treated as one, so that a typo is reported at save time instead of being sent out
literally. After the full code, formats may follow as more segments
(``[BigCommerce | Order | total_inc_tax | money]``, see ``workflows.merge_filters``).

Rendering is a single pass over the step's text: a value is inserted once and never looked at
again, so a value containing ``[BigCommerce | ...]``, ``{{ ... }}`` or ``{% ... %}`` stays literal
text. How a value is written depends on where it goes, see ``RenderContext``.

Recipients with fallbacks: one recipient may be written ``[A] or [B] or team@example.com``;
``first_recipient`` gives the first that renders non-empty.
"""

from __future__ import annotations

import bisect
import difflib
import html
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any
from urllib.parse import quote

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from integrations.events import MERGE_CODE_SEPARATOR, get_event
from workflows import merge_filters
from workflows.code_groups import (
    CodeGroup,
    Tag,
    code_pattern,
    find_tags,
    group_of,
    groups,
    is_offered,
    offered_codes,
    read_tag,
    register_group,
)
from workflows.merge_filters import FILTERS, FormatContext, Fragment, format_value

__all__ = [
    "CodeGroup",
    "Tag",
    "group_of",
    "groups",
    "is_offered",
    "RenderContext",
    "as_tag",
    "codes_used",
    "find_codes",
    "find_tags",
    "first_recipient",
    "is_recipient",
    "recipient_alternatives",
    "format_value",
    "normalize_code",
    "offered_codes",
    "register_group",
    "render",
    "validate_text",
]
# C0/C1 controls (CR, LF, NUL, ...) and Unicode line/paragraph separators.
_HEADER_UNSAFE_RE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# A tag, from "<" and a letter to its ">" (or as far as it goes), quoted values read whole, so a
# ">" inside one doesn't end the tag.
_HTML_TAG_RE = re.compile(r"""</?[a-zA-Z](?:[^>"']|"[^"]*"|'[^']*')*>?""")
# The attribute whose value the text before a code ends in: its name (after white space or a
# quote), then the value so far, quoted ("..." or '...') or not.
_HTML_ATTRIBUTE_RE = re.compile(
    r"""(?<![^\s"'])([^\s"'<>/=]++)\s*=\s*(?:"([^"]*)|'([^']*)|([^\s"'=<>`]*))\Z"""
)
# How much of a tag is read back from a code; a longer tag is treated as the strictest place (an
# unquoted link), which keeps a long template from making the search slow.
HTML_TAG_WINDOW = 4000
URL_ATTRIBUTES = frozenset(
    {"href", "src", "action", "formaction", "background", "poster", "cite", "xlink:href"}
)
SAFE_URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
# Browsers drop ASCII white space and controls anywhere in a URL's scheme ("java\tscript:").
_URL_IGNORED_RE = re.compile(r"[\x00-\x20]")
_URL_SCHEME_RE = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")
_UNQUOTED_UNSAFE_RE = re.compile(r"[\t\n\f\r ]")


class RenderContext(StrEnum):
    """Where rendered text goes, which decides how each value is written."""

    TEXT = "text"  # plain text (text email bodies): the value as is
    # HTML: the value HTML-escaped. In an unquoted attribute value its white space is escaped
    # too (it would end the value); a value that starts a link attribute (href, src, ...) must
    # be an http(s), mailto or tel address or a relative one, and anything else
    # ("javascript:...") renders as ""; so does a value in a tag but outside any attribute's
    # value. Store data can't turn a link into a script or add an attribute. (send_email then
    # sanitises the whole body, see workflows/email_html.py; a sanitiser can't tell a value
    # from the template, so without these rules a value could still add a link it keeps.)
    HTML = "html"
    URL = "url"  # inside a URL: the value percent-encoded, "/", "&", "?" and spaces too
    # Email or HTTP header: control characters (CR, LF, ...) are removed from values and from
    # the rendered result, so a header can never be split.
    HEADER = "header"
    # Inside a JSON string literal, i.e. the code sits between double quotes in a JSON body:
    # the value is escaped as JSON string content, so the body stays valid JSON whatever the
    # value. Lists/objects become their JSON text inside that string.
    JSON = "json"


def as_tag(code: str) -> str:
    """How a code is written in a step field: ``[BigCommerce | Customer | first_name]``."""
    return f"[{code}]"


def normalize_code(text: str) -> str | None:
    """The code name in ``text`` (bracketed or not, any spacing), or ``None`` if it is not one
    code alone (formats included: a condition names a code, not a formatted value).

    ``"[ BigCommerce|Order|id ]"`` -> ``"BigCommerce | Order | id"``.
    """
    stripped = text.strip()
    if not stripped.startswith("["):
        stripped = f"[{stripped}]"
    match = code_pattern().fullmatch(stripped)
    if match is None:
        return None
    tag = read_tag(match)
    return tag.code if not tag.filters else None


def find_codes(text: str) -> list[str]:
    """The codes named in ``text``, normalised, each once, in order of first appearance."""
    return list(dict.fromkeys(tag.code for tag in find_tags(text)))


def unknown_codes(text: str, event_key: str) -> list[str]:
    """The codes in ``text`` that the event does not offer (``KeyError`` for an unknown event)."""
    offered_codes(event_key)  # an unknown event is a KeyError even for a text without codes
    return [code for code in find_codes(text) if not is_offered(code, event_key)]


def validate_text(text: str, event_key: str) -> None:
    """Raise ``ValidationError`` if ``text`` names codes the event does not offer, or writes a
    format wrongly.

    The message lists the unknown codes (with a close match when there is one, or the format
    meant when a known code is followed by a misspelt one) and the codes the event offers.
    """
    unknown = unknown_codes(text, event_key)
    if unknown:
        raise unknown_codes_error(unknown, event_key)
    problems = [
        f"{_written(tag)}: {message}"
        for tag in find_tags(text)
        for name, argument in tag.filters
        if (message := merge_filters.problem(name, argument))
    ]
    if problems:
        raise ValidationError(
            "%(problems)s", code="bad_merge_format", params={"problems": " ".join(problems)}
        )


def unknown_codes_error(unknown: list[str], event_key: str) -> ValidationError:
    """The ``ValidationError`` for codes the event does not offer (shared with conditions)."""
    event = get_event(event_key)
    offered = offered_codes(event_key)
    described = [as_tag(code) + _hint(code, offered) for code in unknown]
    # The text goes in params, never in the message itself: "%" in user text stays harmless.
    return ValidationError(
        "Unknown merge code(s) for the %(event)s event: %(unknown)s. Valid codes: %(valid)s.",
        code="unknown_merge_code",
        params={
            "event": event.name,
            "unknown": ", ".join(described),
            "valid": ", ".join(as_tag(code) for code in offered),
        },
    )


def _hint(code: str, offered: Sequence[str]) -> str:
    """ "did you mean" help: a close code, or the format meant after a known code."""
    known = set(offered)
    segments = code.split(MERGE_CODE_SEPARATOR)
    for cut in range(len(segments) - 1, 1, -1):
        head = MERGE_CODE_SEPARATOR.join(segments[:cut])
        if head in known:
            rest = segments[cut].split(":", 1)[0].strip().lower()
            close = difflib.get_close_matches(rest, list(FILTERS), n=1, cutoff=0.6)
            meant = f"; did you mean '{close[0]}'?" if close else ""
            return f" (an unknown format after {as_tag(head)}{meant} Formats: {', '.join(FILTERS)})"
    close = difflib.get_close_matches(code, offered, n=1, cutoff=0.8)
    return f" (did you mean {as_tag(close[0])}?)" if close else ""


def _written(tag: Tag) -> str:
    parts = [tag.code] + [name if arg is None else f"{name}:{arg}" for name, arg in tag.filters]
    return as_tag(MERGE_CODE_SEPARATOR.join(parts))


def codes_used(texts: Iterable[str]) -> frozenset[str]:
    """The codes that rendering ``texts`` reads: those named (bracketed, or a whole text that
    is one code, as a condition's), and those their formats need (a date, the store's time
    zone)."""
    used: set[str] = set()
    for text in texts:
        for tag in find_tags(text):
            used.add(tag.code)
            for name, _argument in tag.filters:
                used.update(FILTERS[name].needs)
        bare = normalize_code(text) if "[" not in text else None
        if bare is not None:
            used.add(bare)
    return frozenset(used)


def render(text: str, merge_data: Mapping[str, Any], *, context: RenderContext) -> str:
    """Replace every code in ``text`` by its value from ``merge_data``, formatted as its tag
    says and written for ``context``.

    Codes missing from ``merge_data`` render as "" (saving a step rejects unknown codes, so this
    only happens with stale data). Values are never rendered again.
    """
    context = RenderContext(context)

    tags = _tag_starts_and_ends(text) if context is RenderContext.HTML else None
    formatting: list[FormatContext] = []  # made once, on the first format

    def replace(match: re.Match[str]) -> str:
        tag = read_tag(match)
        value = merge_data.get(tag.code)
        if tag.filters:
            if not formatting:
                formatting.append(FormatContext.of(merge_data))
            value = merge_filters.apply(value, tag.filters, formatting[0])
        if tags is not None:
            return _encode_html(value, text, match.start(), tags)
        return _encode(format_value(value), context)

    rendered = code_pattern().sub(replace, text)
    if context is RenderContext.HEADER:
        # The step's own text must not split a header either.
        rendered = _HEADER_UNSAFE_RE.sub("", rendered)
    return rendered


# --- recipients with fallbacks --------------------------------------------------------------

# " or " between alternatives, outside any bracket (a format's text may say "or").
_OR_RE = re.compile(r"\s+or\s+", re.IGNORECASE)
_BRACKETED_RE = re.compile(r"\[[^\[\]]*\]")


def recipient_alternatives(recipient: str) -> list[str]:
    """``"[A] or [B] or x@example.com"`` -> ``["[A]", "[B]", "x@example.com"]``."""
    masked = _BRACKETED_RE.sub(lambda m: "x" * len(m.group()), recipient)
    parts, start = [], 0
    for separator in _OR_RE.finditer(masked):
        parts.append(recipient[start : separator.start()].strip())
        start = separator.end()
    parts.append(recipient[start:].strip())
    return parts


def is_recipient(recipient: str) -> bool:
    """Whether one recipient is written right: alternatives joined by "or", each one code
    (formats allowed) or one email address."""
    for alternative in recipient_alternatives(recipient):
        match = code_pattern().fullmatch(alternative)
        if match is not None:
            continue
        try:
            validate_email(alternative)
        except ValidationError:
            return False
    return True


def first_recipient(to_template: str, merge_data: Mapping[str, Any]) -> str:
    """One recipient (one item of a comma-separated ``to``): its first alternative that renders
    non-empty, rendered for an email header; "" when all are empty (a guest without an email,
    say)."""
    for alternative in recipient_alternatives(to_template):
        address = render(alternative, merge_data, context=RenderContext.HEADER).strip()
        if address:
            return address
    return ""


def _tag_starts_and_ends(text: str) -> tuple[list[int], list[int]]:
    starts, ends = [], []
    for tag in _HTML_TAG_RE.finditer(text):
        starts.append(tag.start())
        ends.append(tag.end())
    return starts, ends


def _encode_html(value: Any, text: str, at: int, tags: tuple[list[int], list[int]]) -> str:
    """`value` escaped for where the template `text` has its code at `at`: element text, an
    attribute's value (see ``RenderContext.HTML``), or elsewhere in a tag, where a value could
    only add attributes (``onclick=...``) and renders as "". A formatted list's own HTML (its
    table, every value in it escaped) goes only in element text."""
    starts, ends = tags
    i = bisect.bisect_right(starts, at) - 1
    if i < 0 or ends[i] <= at:  # element text
        return value.html if isinstance(value, Fragment) else html.escape(format_value(value))
    value = format_value(value)
    tag_start = starts[i]
    if at - tag_start > HTML_TAG_WINDOW:
        name, double, single, unquoted = "href", None, None, ""
    else:
        attribute = _HTML_ATTRIBUTE_RE.search(text, tag_start, at)
        if attribute is None:
            return ""
        name, double, single, unquoted = attribute.groups()
    so_far = next(part for part in (double, single, unquoted) if part is not None)
    if name.lower() in URL_ATTRIBUTES and not so_far.strip() and not is_safe_link(value):
        return ""
    escaped = html.escape(value, quote=True)
    if unquoted is not None:
        escaped = _UNQUOTED_UNSAFE_RE.sub(lambda space: f"&#{ord(space.group())};", escaped)
    return escaped


def is_safe_link(url: str) -> bool:
    """Whether `url` may start a link in an email: http(s), mailto, tel, or no scheme."""
    scheme = _URL_SCHEME_RE.match(_URL_IGNORED_RE.sub("", url))
    return scheme is None or scheme.group(1).lower() in SAFE_URL_SCHEMES


def _encode(value: str, context: RenderContext) -> str:
    if context is RenderContext.URL:
        return quote(value, safe="")
    if context is RenderContext.HEADER:
        return _HEADER_UNSAFE_RE.sub("", value)
    if context is RenderContext.JSON:
        return json.dumps(value, ensure_ascii=False)[1:-1]
    return value
