"""HTML email bodies: values inserted in one pass, then the whole body sanitised (nh3).

Every email goes through the ``send_email`` step to Django's locmem backend (``mailoutbox``);
the HTML part is then read back with the standard library's parser, which lists anything unsafe
in it: a tag off the allowlist (``<script>``, ``<style>``, ...), a comment, an ``on*``
attribute, a link or image whose address has a scheme other than http(s), mailto or tel, or a
``style`` that could load something.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from tests.factories import SHIPMENT, make_ctx, sample_merge_data
from workflows import email_html
from workflows.email_layout import render_layout
from workflows.steps import STEP_KINDS

send_email = STEP_KINDS["send_email"]
FIRST_NAME = "[BigCommerce | Customer | first_name]"
SAFE_SCHEMES = {"http", "https", "mailto", "tel"}
_SCHEME_RE = re.compile(r"([a-z][a-z0-9+.-]*):")
_STYLE_LOADS_RE = re.compile(r"url|image-set|expression|javascript|\\", re.IGNORECASE)


class _Inspector(HTMLParser):
    """Reads an HTML part: its unsafe parts, and its text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.unsafe: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in email_html.TAGS:
            self.unsafe.append(f"<{tag}>")
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.unsafe.append(f"{name}= on <{tag}>")
            if name in ("href", "src"):
                scheme = _SCHEME_RE.match(re.sub(r"[\x00-\x20]", "", value).lower())
                if scheme and scheme.group(1) not in SAFE_SCHEMES:
                    self.unsafe.append(f"{name}={value!r} on <{tag}>")
            if name == "style" and _STYLE_LOADS_RE.search(value):
                self.unsafe.append(f"style={value!r} on <{tag}>")

    def handle_comment(self, data):
        self.unsafe.append(f"<!--{data}-->")

    def handle_decl(self, decl):
        self.unsafe.append(f"<!{decl}>")

    def unknown_decl(self, data):
        self.unsafe.append(f"<![{data}]>")

    def handle_pi(self, data):
        self.unsafe.append(f"<?{data}>")

    def handle_data(self, data):
        self.text.append(data)


def inspect(html: str) -> _Inspector:
    inspector = _Inspector()
    inspector.feed(html)
    inspector.close()
    return inspector


def send_html(mailoutbox, body: str, first_name: str = "Jane") -> tuple[str, str]:
    """Sends an HTML email with ``body`` to the sample customer (first name ``first_name``);
    returns its HTML part and its plain-text part."""
    step = send_email.validate(
        {"to": "[BigCommerce | Customer | email]", "subject": "Hi", "body": body, "format": "html"},
        SHIPMENT,
    )
    merge_data = sample_merge_data(SHIPMENT, overrides={"Customer | first_name": first_name})
    outcome = send_email.execute(step, make_ctx(merge_data))
    assert outcome.status == "succeeded", outcome.detail
    [message] = mailoutbox
    [(html_part, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return body_in_layout(html_part, "Hi"), message.body


def body_in_layout(document: str, subject: str) -> str:
    """The body inside the default layout of an email of the sample store: the layout must
    be exactly around it."""
    before, after = render_layout(subject, "\x00", "", None).split("\x00")
    assert document.startswith(before) and document.endswith(after), document[:300]
    return document[len(before) : -len(after)]


# --- normal email HTML ---------------------------------------------------------------------

NORMAL_EMAIL = """\
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" \
bgcolor="#f4f4f4"><tbody><tr><td align="center" valign="top" style="padding:24px 12px">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" \
style="max-width:600px;background-color:#ffffff;border-collapse:collapse"><tbody>
<tr><td style="padding:20px;font-family:Arial;font-size:16px;line-height:24px;color:#333333">
<img src="https://cdn.example.com/logo.png" alt="XYZ T-Shirts" width="120" height="40" \
border="0" style="display:block">
<h1 style="font-size:22px;margin:0 0 12px">Hi {first_name},</h1>
<p>Thanks for order <strong>#{order}</strong>. It shipped today &amp; should arrive soon.</p>
<ul><li>1 × <em>Orbit Terrarium</em></li><li><b>Total:</b> <i>{total}</i></li></ul>
<p><a href="https://survey.example.com/s?order={order}&amp;email={email}" \
style="color:#1a73e8;text-decoration:underline">Tell us how we did</a></p>
<hr width="100%" size="1">
<p style="font-size:12px;color:rgb(136, 136, 136)">Questions? \
<a href="mailto:help@example.com">help@example.com</a> or \
<a href="tel:+15551234567">+1 555 123 4567</a>.<br>XYZ T-Shirts, 1 Main St</p>
<p><font color="#888888" face="Arial" size="2">Sent because you ordered from us.</font></p>
<blockquote>“Great shirts” — <span style="font-style:italic">a customer</span></blockquote>
</td></tr>
<tr><th scope="row" align="left">Order</th><td colspan="2" height="20">{order}</td></tr>
</tbody></table></td></tr></tbody></table>"""
CODES = {
    "first_name": FIRST_NAME,
    "order": "[BigCommerce | Order | id]",
    "total": "[BigCommerce | Order | total_inc_tax]",
    "email": "[BigCommerce | Customer | email]",
}
VALUES = {"first_name": "Jane", "order": "218", "total": "69.8400", "email": "janedoe@example.com"}


def test_normal_email_html_survives_intact(mailoutbox):
    # Given a typical email template: nested layout tables, inline styles, an image, links
    # (web, mail, phone), lists, a rule, legacy <font>, and merge codes in text and in a link
    template = NORMAL_EMAIL.format(**CODES)

    # When it is sent
    html_part, text_part = send_html(mailoutbox, template)

    # Then the HTML part is the template with the values in, character for character
    assert html_part == NORMAL_EMAIL.format(**VALUES)
    assert inspect(html_part).unsafe == []
    # And the text part reads as the email's text
    assert "Hi Jane," in text_part and "Tell us how we did" in text_part
    assert "<" not in text_part


def test_loosely_written_styles_keep_every_declaration(mailoutbox):
    # Given styles written the way people write them (spaces, a trailing ";")
    template = (
        '<p style="color: #333; font-family: Arial, Helvetica, sans-serif; padding: 0 4px ;">Hi</p>'
    )

    # When sent, then each declaration is kept, in nh3's normal form
    html_part, _ = send_html(mailoutbox, template)
    assert html_part == (
        '<p style="color:#333;font-family:Arial , Helvetica , sans-serif;padding:0 4px">Hi</p>'
    )


# --- hostile templates ---------------------------------------------------------------------

HOSTILE_TEMPLATES = {
    "script": ("<p>Hi</p><script>alert(1)</script>", "<p>Hi</p>"),
    "script with src": ("<SCRIPT SRC=https://evil.example/x.js></SCRIPT><p>Hi</p>", "<p>Hi</p>"),
    "style element": ("<style>@import url(https://evil.example/x.css)</style><p>Hi</p>", None),
    "comment": ("<p>Hi<!-- internal note: coupon STAFF50 --></p>", "<p>Hi</p>"),
    "conditional comment": ("<!--[if mso]><script>alert(1)</script><![endif]--><p>Hi</p>", None),
    "comment trick": ("<!--><script>alert(1)</script>-->", None),
    "onerror": ('<img src="https://cdn.example.com/x.png" onerror="alert(1)">', None),
    "event attributes": ('<p ONCLICK=alert(1) onmouseover = "alert(1)">Hi</p>', "<p>Hi</p>"),
    "body onload": ('<body onload="alert(1)"><p>Hi</p></body>', "<p>Hi</p>"),
    "javascript link": ('<a href="javascript:alert(1)">x</a>', "<a>x</a>"),
    "javascript link, case and space": ('<a href=" JaVaScRiPt:alert(1)">x</a>', "<a>x</a>"),
    "javascript link, tab": ('<a href="java&#x09;script:alert(1)">x</a>', "<a>x</a>"),
    "javascript link, entity": ('<a href="&#106;avascript:alert(1)">x</a>', "<a>x</a>"),
    "vbscript link": ('<a href="vbscript:msgbox(1)">x</a>', "<a>x</a>"),
    "data image": ('<img src="data:image/svg+xml;base64,PHN2Zz4=">', "<img>"),
    "data link": ('<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>', "<a>x</a>"),
    "iframe srcdoc": ('<iframe srcdoc="<script>alert(1)</script>"></iframe><p>Hi</p>', None),
    "svg onload": ('<svg onload="alert(1)"><a xlink:href="javascript:alert(1)">x</a></svg>', None),
    "math mXSS": ("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", None),
    "noscript mXSS": ('<noscript><p title="</noscript><img src=x onerror=alert(1)>">', None),
    "form": ('<form action="javascript:1"><button formaction="javascript:1">Go</button>', None),
    "object and embed": ('<object data="javascript:alert(1)"></object><embed src="x.swf">', None),
    "head elements": ('<base href="javascript:/"><meta http-equiv="refresh" content="0">', None),
    "style url()": ('<p style="background:url(javascript:alert(1))">x</p>', None),
    "style tracker": ('<p style="color:red;background-image:url(https://t.example/p)">x</p>', None),
    "style escape": ('<p style="background:u\\72l(https://t.example/p)">x</p>', None),
    "style entity": ('<p style="background:&#117;rl(https://t.example/p)">x</p>', None),
    "style image-set": ("<p style='background:image-set(\"https://t.example/p\" 1x)'>", None),
    "style expression": ('<p style="width:expression(alert(1))">x</p>', None),
    "style overlay": ('<p style="position:fixed;top:0;z-index:9;color:red">x</p>', None),
    "td background": ('<table><tr><td background="https://t.example/p">x</td></tr></table>', None),
}


@pytest.mark.parametrize(
    ("template", "expected"), HOSTILE_TEMPLATES.values(), ids=HOSTILE_TEMPLATES.keys()
)
def test_hostile_templates_never_survive(mailoutbox, template, expected):
    # Given an HTML template with a script, a style element, a comment, an event attribute,
    # a script or data address, or a style that loads something

    # When it is sent
    html_part, text_part = send_html(mailoutbox, template)

    # Then none of it is in the HTML part (and script or style text is in neither part)
    assert inspect(html_part).unsafe == []
    assert "<script" not in html_part.lower() and "<style" not in html_part.lower()
    assert "@import" not in text_part and "<script" not in text_part.lower()
    if expected is not None:
        assert html_part == expected


def test_the_style_keeps_what_is_safe_beside_what_is_dropped(mailoutbox):
    # Given a style with a tracker image and positioning beside ordinary declarations
    template = (
        '<p style="color:red;background:url(https://t.example/p);position:fixed;'
        'font-size:14px">x</p>'
    )

    # When sent, then only the ordinary declarations are left
    html_part, _ = send_html(mailoutbox, template)
    assert html_part == '<p style="color:red;font-size:14px">x</p>'


def test_the_text_part_is_made_from_the_sanitised_html(mailoutbox):
    # Given a whole document with a title, a style sheet and a script in its head
    template = (
        "<!doctype html><html><head><title>Order shipped</title>"
        "<style>p { color: red }</style><script>var tracking = 1;</script></head>"
        f"<body><p>Hi {FIRST_NAME},</p><p>It shipped.</p></body></html>"
    )

    # When sent
    html_part, text_part = send_html(mailoutbox, template)

    # Then both parts hold the body only: no title, style sheet or script text
    assert html_part == "<p>Hi Jane,</p><p>It shipped.</p>"
    assert text_part == "Hi Jane,\nIt shipped.\n"


# --- hostile merge values ------------------------------------------------------------------

HOSTILE_VALUES = [
    "<script>alert(1)</script>",
    "<style>*{display:none}</style>",
    "<!-- x -->",
    "--><script>alert(1)</script><!--",
    '" onerror="alert(1)',
    "' onmouseover='alert(1)",
    "x onerror=alert(1)",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    " JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "red;background:url(javascript:alert(1))",
    "red;background-image:url(https://t.example/p)",
]
PLACES = {
    "text": f"<p>Hi {FIRST_NAME}</p>",
    "quoted attribute": f'<img src="https://cdn.example.com/x.png" alt="{FIRST_NAME}">',
    "single-quoted attribute": f"<p title='{FIRST_NAME}'>x</p>",
    "unquoted attribute": f"<p title={FIRST_NAME}>x</p>",
    "link": f'<a href="{FIRST_NAME}">x</a>',
    "image": f'<img src="{FIRST_NAME}">',
    "link query": f'<a href="https://survey.example.com/?name={FIRST_NAME}">x</a>',
    "style": f'<p style="color:{FIRST_NAME}">x</p>',
    "loose in a tag": f"<p {FIRST_NAME}>x</p>",
    "comment": f"<!-- {FIRST_NAME} --><p>x</p>",
    "script": f'<script>var name = "{FIRST_NAME}";</script><p>x</p>',
}


@pytest.mark.parametrize("template", PLACES.values(), ids=PLACES.keys())
@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_hostile_values_never_survive(mailoutbox, template, value):
    # Given a customer whose first name is hostile markup, a script address or CSS,
    # placed anywhere in an HTML template

    # When the email is sent
    html_part, _ = send_html(mailoutbox, template, first_name=value)

    # Then the HTML part has no script, style, comment, event attribute or unsafe address
    assert inspect(html_part).unsafe == []


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_hostile_values_in_text_are_shown_as_text(mailoutbox, value):
    # Given a hostile first name in a paragraph
    # When the email is sent
    html_part, text_part = send_html(mailoutbox, PLACES["text"], first_name=value)

    # Then the reader sees the value as written, in both parts
    assert "".join(inspect(html_part).text) == f"Hi {value}"
    assert text_part == f"Hi {value}\n"
