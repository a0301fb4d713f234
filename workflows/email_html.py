"""The HTML of an email body, made safe to send: an allowlist applied by nh3 (ammonia).

``send_email`` renders an HTML body in one pass (``merge_codes.render`` with the HTML context:
each value escaped for where it sits, links started by a value checked), then passes the whole
result through ``sanitize``. The template is written by a team member and the values come from
the store, so neither is trusted here: what survives is the allowlist below, whoever wrote it.

- Kept: common formatting tags, tables and images, with the presentational attributes email
  HTML is built from (``align``, ``width``, ``bgcolor``, ``cellpadding``, ...). Links and images
  keep ``href``/``src`` only with an http(s), mailto or tel address (or a relative one, which
  has no scheme and so can't run anything).
- Removed with their content: ``<script>``, ``<style>``, ``<title>`` (a document's head), and
  the embedding elements (``<iframe>``, ``<object>``, ``<template>``, ``<noscript>``). Every
  other unknown tag is removed and its text kept. Comments are removed, Outlook's conditional
  comments too. No ``on*`` event attribute, ``id`` or ``class`` is on the list.
- Inline ``style`` is kept, because it is how email is styled: most mail clients drop
  ``<style>`` elements, so an email's look lives in its ``style`` attributes. It is limited to
  the layout and typography properties in ``STYLE_PROPERTIES`` (nh3 drops the others, and
  rewrites what it keeps in a normal form: ``color: red;`` becomes ``color:red``; it matches
  property names in lower case only, so ``Color:`` is dropped). None of them
  takes an image or positions the text over the mail client's own screen. nh3 does not look
  inside property values, so before it does, a declaration is dropped if it calls any CSS
  function but ``rgb()``/``rgba()``/``hsl()``/``hsla()`` (``url()``, ``image-set()``,
  ``expression()``, ...) or contains a CSS escape (``\\``, which could spell one): no value in a
  ``style`` can load anything or name a script.
"""

from __future__ import annotations

import re

import nh3

TAGS = frozenset(
    {
        "a",
        "abbr",
        "b",
        "big",
        "blockquote",
        "br",
        "caption",
        "center",
        "code",
        "col",
        "colgroup",
        "dd",
        "del",
        "div",
        "dl",
        "dt",
        "em",
        "font",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "ins",
        "li",
        "ol",
        "p",
        "pre",
        "s",
        "small",
        "span",
        "strike",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "u",
        "ul",
    }
)
# Removed with everything inside them (the other tags off the list keep their text).
REMOVED_WITH_CONTENT = frozenset(
    {"script", "style", "title", "iframe", "object", "template", "noscript"}
)
_CELL = {"width", "height", "bgcolor", "valign", "colspan", "rowspan"}
ATTRIBUTES: dict[str, set[str]] = {
    "*": {"style", "align", "dir", "lang", "title"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height", "border"},
    "table": {"width", "height", "border", "cellpadding", "cellspacing", "bgcolor", "role"},
    "td": _CELL,
    "th": _CELL | {"scope"},
    "tr": {"bgcolor", "valign"},
    "tbody": {"valign"},
    "thead": {"valign"},
    "tfoot": {"valign"},
    "col": {"span", "width"},
    "colgroup": {"span", "width"},
    "font": {"color", "face", "size"},
    "ol": {"start", "type"},
    "ul": {"type"},
    "hr": {"width", "size"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
STYLE_PROPERTIES = frozenset(
    {
        "background",  # a colour: a url() or any other image is dropped before (see above)
        "background-color",
        "border",
        "border-bottom",
        "border-collapse",
        "border-color",
        "border-left",
        "border-radius",
        "border-right",
        "border-spacing",
        "border-style",
        "border-top",
        "border-width",
        "color",
        "direction",
        "display",
        "font",
        "font-family",
        "font-size",
        "font-style",
        "font-variant",
        "font-weight",
        "height",
        "letter-spacing",
        "line-height",
        "list-style-type",
        "margin",
        "margin-bottom",
        "margin-left",
        "margin-right",
        "margin-top",
        "max-width",
        "min-width",
        "mso-line-height-rule",
        "mso-table-lspace",
        "mso-table-rspace",
        "padding",
        "padding-bottom",
        "padding-left",
        "padding-right",
        "padding-top",
        "table-layout",
        "text-align",
        "text-decoration",
        "text-indent",
        "text-transform",
        "vertical-align",
        "white-space",
        "width",
        "word-break",
        "word-spacing",
        "word-wrap",
    }
)
STYLE_FUNCTIONS = frozenset({"rgb", "rgba", "hsl", "hsla"})
# Anything followed by "(" (CSS calls a function by its name and "("), and CSS escapes.
_CSS_CALL_RE = re.compile(r"([\w-]*)\s*\(")
_CSS_ESCAPE = "\\"


def _filter_attribute(tag: str, name: str, value: str) -> str:
    """nh3's hook for each attribute it keeps (entities already decoded): drops the ``style``
    declarations that call a function off ``STYLE_FUNCTIONS`` or hold a CSS escape."""
    if name != "style":
        return value
    # Splitting on ";" may cut inside a quoted string; nh3 then drops the broken pieces. What is
    # kept never holds a call or an escape, whatever the split, as ";" is in neither.
    return ";".join(
        declaration
        for declaration in value.split(";")
        if _CSS_ESCAPE not in declaration
        and all(
            call.group(1).lower() in STYLE_FUNCTIONS for call in _CSS_CALL_RE.finditer(declaration)
        )
    )


_CLEANER = nh3.Cleaner(
    tags=set(TAGS),
    clean_content_tags=set(REMOVED_WITH_CONTENT),
    attributes=ATTRIBUTES,
    attribute_filter=_filter_attribute,
    strip_comments=True,
    link_rel=None,  # nothing added: the email's links are the template's
    url_schemes=set(URL_SCHEMES),
    filter_style_properties=set(STYLE_PROPERTIES),
)


def sanitize(html: str) -> str:
    """``html`` (a fragment or a whole document) with only what the allowlist keeps."""
    return _CLEANER.clean(html)
