"""Merge codes in step fields: finding, validating and rendering them. The one place for this.

Syntax: ``[BigCommerce | Customer | first_name]``. Whitespace around ``[``, ``]`` and ``|`` is
optional (``[BigCommerce|Customer|first_name]`` is the same code) and the ``BigCommerce`` prefix
may be written in any case; the resource and field names are case-sensitive, because they are
BigCommerce's JSON keys. Anything that starts like a code (``[BigCommerce |`` ... ``]`` on one line)
is treated as one, so that a typo is reported at save time instead of being sent out literally.

Rendering is a single pass over the step's text: a value is inserted once and never looked at
again, so a value containing ``[BigCommerce | ...]``, ``{{ ... }}`` or ``{% ... %}`` stays literal
text. How a value is written depends on where it goes, see ``RenderContext``.
"""

from __future__ import annotations

import bisect
import difflib
import html
import json
import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any
from urllib.parse import quote

from django.core.exceptions import ValidationError

from integrations.events import MERGE_CODE_PREFIX, MERGE_CODE_SEPARATOR, get_event

# "[" prefix "|" rest "]" on one line; the rest may not contain brackets, so codes never nest.
_CODE_RE = re.compile(r"\[[ \t]*(?i:" + MERGE_CODE_PREFIX + r")[ \t]*\|([^\[\]\r\n]*)\]")
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
    """The code name in ``text`` (bracketed or not, any spacing), or ``None`` if it is not one.

    ``"[ BigCommerce|Order|id ]"`` -> ``"BigCommerce | Order | id"``.
    """
    stripped = text.strip()
    if not stripped.startswith("["):
        stripped = f"[{stripped}]"
    match = _CODE_RE.fullmatch(stripped)
    return _name(match) if match else None


def find_codes(text: str) -> list[str]:
    """The codes named in ``text``, normalised, each once, in order of first appearance."""
    return list(dict.fromkeys(_name(match) for match in _CODE_RE.finditer(text)))


def unknown_codes(text: str, event_key: str) -> list[str]:
    """The codes in ``text`` that the event does not offer (``KeyError`` for an unknown event)."""
    known = set(get_event(event_key).merge_codes)
    return [code for code in find_codes(text) if code not in known]


def validate_text(text: str, event_key: str) -> None:
    """Raise ``ValidationError`` if ``text`` names codes the event does not offer.

    The message lists the unknown codes (with a close match when there is one) and the codes
    the event offers.
    """
    unknown = unknown_codes(text, event_key)
    if unknown:
        raise unknown_codes_error(unknown, event_key)


def unknown_codes_error(unknown: list[str], event_key: str) -> ValidationError:
    """The ``ValidationError`` for codes the event does not offer (shared with conditions)."""
    event = get_event(event_key)
    described = []
    for code in unknown:
        close = difflib.get_close_matches(code, event.merge_codes, n=1, cutoff=0.8)
        hint = f" (did you mean {as_tag(close[0])}?)" if close else ""
        described.append(as_tag(code) + hint)
    # The text goes in params, never in the message itself: "%" in user text stays harmless.
    return ValidationError(
        "Unknown merge code(s) for the %(event)s event: %(unknown)s. Valid codes: %(valid)s.",
        code="unknown_merge_code",
        params={
            "event": event.name,
            "unknown": ", ".join(described),
            "valid": ", ".join(as_tag(code) for code in event.merge_codes),
        },
    )


def format_value(value: Any) -> str:
    """A merge-data value as text: ``None`` -> "", booleans -> "true"/"false", numbers and
    lists/objects as (compact) JSON, strings as they are."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, list, dict)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def render(text: str, merge_data: Mapping[str, Any], *, context: RenderContext) -> str:
    """Replace every code in ``text`` by its value from ``merge_data``, written for ``context``.

    Codes missing from ``merge_data`` render as "" (saving a step rejects unknown codes, so this
    only happens with stale data). Values are never rendered again.
    """
    context = RenderContext(context)

    tags = _tag_starts_and_ends(text) if context is RenderContext.HTML else None

    def replace(match: re.Match[str]) -> str:
        value = format_value(merge_data.get(_name(match)))
        if tags is not None:
            return _encode_html(value, text, match.start(), tags)
        return _encode(value, context)

    rendered = _CODE_RE.sub(replace, text)
    if context is RenderContext.HEADER:
        # The step's own text must not split a header either.
        rendered = _HEADER_UNSAFE_RE.sub("", rendered)
    return rendered


def _tag_starts_and_ends(text: str) -> tuple[list[int], list[int]]:
    starts, ends = [], []
    for tag in _HTML_TAG_RE.finditer(text):
        starts.append(tag.start())
        ends.append(tag.end())
    return starts, ends


def _encode_html(value: str, text: str, at: int, tags: tuple[list[int], list[int]]) -> str:
    """`value` escaped for where the template `text` has its code at `at`: element text, an
    attribute's value (see ``RenderContext.HTML``), or elsewhere in a tag, where a value could
    only add attributes (``onclick=...``) and renders as ""."""
    starts, ends = tags
    i = bisect.bisect_right(starts, at) - 1
    if i < 0 or ends[i] <= at:  # element text
        return html.escape(value, quote=True)
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


def _name(match: re.Match[str]) -> str:
    parts = [part.strip() for part in match.group(1).split("|")]
    return MERGE_CODE_SEPARATOR.join([MERGE_CODE_PREFIX, *parts])
