"""Merge-code syntax, validation and rendering in every context, including hostile values."""

import html
import json

import pytest
from django.core.exceptions import ValidationError

from integrations.events import get_event
from workflows.merge_codes import (
    RenderContext,
    as_tag,
    find_codes,
    format_value,
    normalize_code,
    render,
    unknown_codes,
    validate_text,
)

FIRST_NAME = "BigCommerce | Customer | first_name"
EMAIL = "BigCommerce | Customer | email"
TOTAL = "BigCommerce | Order | total_inc_tax"


@pytest.mark.parametrize(
    "written",
    [
        "[BigCommerce | Customer | first_name]",
        "[BigCommerce|Customer|first_name]",
        "[ BigCommerce  |  Customer |first_name ]",
        "[bigcommerce | Customer | first_name]",
        "[BIGCOMMERCE\t|\tCustomer\t|\tfirst_name]",
    ],
)
def test_whitespace_and_prefix_case_are_tolerated(written):
    # given a code written with unusual spacing or prefix case
    # when finding codes in a sentence
    codes = find_codes(f"Hello {written}!")
    # then it is the canonical code
    assert codes == [FIRST_NAME]


def test_find_codes_in_order_each_once():
    # given text naming codes several times, over several lines
    text = f"[{TOTAL}] for [{FIRST_NAME}]\n[{TOTAL}] [{EMAIL}]"
    # when finding the codes
    # then each appears once, in order of first appearance
    assert find_codes(text) == [TOTAL, FIRST_NAME, EMAIL]


@pytest.mark.parametrize(
    "text",
    [
        "no codes here",
        "[BigCommerce]",
        "BigCommerce | Customer | first_name",
        "[Shopify | Customer | first_name]",
        "[BigCommerce | Customer\n| first_name]",
        "[\nBigCommerce | Customer | first_name]",
        "",
    ],
)
def test_text_that_is_not_a_code(text):
    # given text without a complete code on one line
    # when finding codes
    # then none is found
    assert find_codes(text) == []


def test_names_are_case_sensitive_and_look_alikes_are_reported():
    # given codes with a wrong resource case, a typo, a missing field and another event's code
    text = (
        "[BigCommerce | customer | first_name] [BigCommerce | Customer | frist_name] "
        "[BigCommerce | Customer] [BigCommerce | Cart | id] [BigCommerce | Customer | first_name]"
    )
    # when checking them against the shipment event
    unknown = unknown_codes(text, "shipment_created")
    # then all but the real code are unknown
    assert unknown == [
        "BigCommerce | customer | first_name",
        "BigCommerce | Customer | frist_name",
        "BigCommerce | Customer",
        "BigCommerce | Cart | id",
    ]


def test_normalize_code():
    # given codes with and without brackets
    # when normalising them
    # then the canonical name comes back, or None for anything else
    assert normalize_code(" [BigCommerce|Order|total_inc_tax] ") == TOTAL
    assert normalize_code("bigcommerce | Order | total_inc_tax") == TOTAL
    assert normalize_code("total_inc_tax") is None
    assert normalize_code("[BigCommerce | Order | id] extra") is None
    assert as_tag(TOTAL) == "[BigCommerce | Order | total_inc_tax]"


def test_validate_text_accepts_the_event_codes():
    # given text using every code of the event
    text = " ".join(as_tag(code) for code in get_event("cart_converted").merge_codes)
    # when validating it
    # then nothing is raised
    validate_text(text, "cart_converted")
    validate_text("plain text, 100% fine", "cart_converted")


def test_validate_text_lists_unknown_and_valid_codes():
    # given text with a typo and a code of another event, and a literal "%"
    text = "100% [BigCommerce | Customer | frist_name] [BigCommerce | Cart | currency | code]"
    # when validating it for shipments
    with pytest.raises(ValidationError) as excinfo:
        validate_text(text, "shipment_created")
    # then the message names the unknown codes, suggests a fix and lists the valid codes
    error = excinfo.value
    message = error.messages[0]
    assert error.error_list[0].code == "unknown_merge_code"
    assert "[BigCommerce | Customer | frist_name]" in message
    assert "did you mean [BigCommerce | Customer | first_name]?" in message
    assert "[BigCommerce | Cart | currency | code]" in message
    assert "Shipment Created" in message
    valid = message.split("Valid codes: ")[1]
    assert valid.count("[BigCommerce |") + valid.count("[Store |") == len(
        get_event("shipment_created").merge_codes
    )


MERGE_DATA = {
    FIRST_NAME: "Jane",
    EMAIL: "jane@example.com",
    TOTAL: "69.8400",
    "BigCommerce | Order | items_total": 4,
    "BigCommerce | Cart | cart_amount": 25.5,
    "BigCommerce | Order | is_email_opt_in": False,
    "BigCommerce | Customer | channel_ids": [1, 2],
    "BigCommerce | Customer | authentication": {"force_password_reset": True},
    "BigCommerce | Order | credit_card_type": None,
}


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (FIRST_NAME, "Jane"),
        (TOTAL, "69.8400"),
        ("BigCommerce | Order | items_total", "4"),
        ("BigCommerce | Cart | cart_amount", "25.5"),
        ("BigCommerce | Order | is_email_opt_in", "false"),
        ("BigCommerce | Customer | channel_ids", "[1,2]"),
        ("BigCommerce | Customer | authentication", '{"force_password_reset":true}'),
        ("BigCommerce | Order | credit_card_type", ""),
        ("BigCommerce | Order | not_in_merge_data", ""),
    ],
)
def test_text_rendering_of_each_value_type(code, expected):
    # given a code whose value has a JSON type (or is absent)
    # when rendering it as plain text
    rendered = render(f"<{as_tag(code)}>", MERGE_DATA, context=RenderContext.TEXT)
    # then it is written as documented
    assert rendered == f"<{expected}>"


def test_format_value():
    # given values of each JSON type
    # when formatting them
    # then null is empty, booleans lower-case, numbers and containers compact JSON
    assert [format_value(v) for v in (None, True, 0, -1.5, "é", ["a", None], {"k": "ü"})] == [
        "",
        "true",
        "0",
        "-1.5",
        "é",
        '["a",null]',
        '{"k":"ü"}',
    ]


def test_whitespace_variants_render_like_the_canonical_code():
    # given a template using compact spacing
    # when rendering
    # then the value is found
    assert render("Hi [BigCommerce|Customer|first_name]", MERGE_DATA, context="text") == "Hi Jane"


HOSTILE = {
    FIRST_NAME: "<script>alert(1)</script>",
    EMAIL: "[BigCommerce | Customer | first_name]",
    TOTAL: "{{ settings.SECRET_KEY }} {% debug %}",
    "BigCommerce | Customer | last_name": '"; DROP TABLE users; --',
    "BigCommerce | Customer | notes": "Ha\r\nBcc: victim@example.com\x00\u2028",
}
ALL_HOSTILE = " | ".join(as_tag(code) for code in HOSTILE)


@pytest.mark.parametrize("context", list(RenderContext))
def test_values_are_never_rendered_again(context):
    # given values that look like merge codes or Django template tags
    # when rendering in any context
    rendered = render(f"[{EMAIL}] {as_tag(TOTAL)}", HOSTILE, context=context)
    # then they stay literal: not replaced by Jane's name, not evaluated as a template
    assert "<script>" not in rendered
    assert "alert(1)" not in rendered
    assert "SECRET_KEY" in rendered
    if context in (RenderContext.TEXT, RenderContext.HEADER, RenderContext.JSON):
        assert "[BigCommerce | Customer | first_name]" in rendered
        assert "{{ settings.SECRET_KEY }} {% debug %}" in rendered


def test_html_context_escapes_values_but_not_the_template():
    # given an HTML body around hostile values
    # when rendering for HTML
    rendered = render(f"<p>{ALL_HOSTILE}</p>", HOSTILE, context=RenderContext.HTML)
    # then markup in values is escaped, the template's own markup is kept
    assert rendered.startswith("<p>&lt;script&gt;alert(1)&lt;/script&gt;")
    assert "&quot;; DROP TABLE users; --" in rendered
    assert rendered.endswith("</p>")


NOTES = "BigCommerce | Customer | notes"


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "java\tscript:alert(1)",
        "\x00javascript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "vbscript:msgbox(1)",
    ],
)
@pytest.mark.parametrize(
    "template",
    [
        '<a href="[{code}]">Review</a>',
        "<a href='[{code}]'>Review</a>",
        "<a href=[{code}]>Review</a>",
        '<img SRC = "[{code}]">',
        '<a title="a > b" href="[{code}]">Review</a>',
    ],
)
def test_html_links_started_by_a_value_only_take_web_mail_or_phone_addresses(template, link):
    # Given an HTML link whose address is a customer-controlled value with a script scheme
    body = template.format(code=NOTES)
    # When it is rendered for an HTML email
    rendered = render(body, {NOTES: link}, context=RenderContext.HTML)
    # Then the address is empty: the link can't run anything
    assert "script" not in rendered.lower() and "data:" not in rendered
    assert rendered == body.replace(f"[{NOTES}]", "")


@pytest.mark.parametrize(
    "link",
    ["https://shop.example.com/r?o=1&x=2", "mailto:jane@example.com", "tel:+15551234", "/r/1"],
)
def test_html_links_keep_web_mail_phone_and_relative_addresses(link):
    rendered = render(f'<a href="[{NOTES}]">Review</a>', {NOTES: link}, context=RenderContext.HTML)
    assert rendered == f'<a href="{html.escape(link)}">Review</a>'


def test_a_value_after_the_start_of_a_link_is_only_escaped():
    # Given a value inside a survey link's query, not at its start
    body = f'<a href="https://survey.example.com/?note=[{NOTES}]">Survey</a>'
    # When the value looks like a script address, it is just text within that address
    rendered = render(body, {NOTES: "javascript:x"}, context=RenderContext.HTML)
    assert rendered == '<a href="https://survey.example.com/?note=javascript:x">Survey</a>'


def test_html_values_cant_add_attributes():
    # Given values in an unquoted attribute, and loose in a tag
    data = {NOTES: "x onmouseover=alert(1)"}
    unquoted = render(f"<td title=[{NOTES}]>", data, context=RenderContext.HTML)
    loose = render(f"<td [{NOTES}]>", data, context=RenderContext.HTML)
    # Then the unquoted value's spaces are character references, and the loose value is dropped
    assert unquoted == "<td title=x&#32;onmouseover=alert(1)>"
    assert loose == "<td >"


def test_an_overlong_tag_treats_a_value_as_an_unquoted_link():
    # Given a code far into one huge tag (more than the window read back)
    body = "<a " + 'x="y" ' * 1000 + f"title=[{NOTES}]>"
    # When rendered, the value gets the strictest treatment, quickly and safely
    assert render(body, {NOTES: "Re: a b"}, context=RenderContext.HTML).endswith("title=>")
    assert render(body, {NOTES: "a b"}, context=RenderContext.HTML).endswith("title=a&#32;b>")


def test_header_context_strips_control_characters():
    # given a subject with a value trying to add a header, and a template line break
    subject = "Thanks [BigCommerce | Customer | notes]\r\n[BigCommerce | Customer | last_name]"
    # when rendering for an email header
    rendered = render(subject, HOSTILE, context=RenderContext.HEADER)
    # then no CR, LF or other control character is left anywhere
    assert rendered == 'Thanks HaBcc: victim@example.com"; DROP TABLE users; --'
    assert not any(ord(char) < 32 or char == "\u2028" for char in rendered)


def test_url_context_percent_encodes_every_reserved_character():
    # given a URL template and a value with reserved characters
    data = {FIRST_NAME: "Jane & John/Doe?x=1#top é"}
    # when rendering for a URL
    rendered = render(
        "https://survey.example.com/s?name=[BigCommerce | Customer | first_name]&v=1",
        data,
        context=RenderContext.URL,
    )
    # then the value cannot add parameters, path segments or fragments
    assert rendered == (
        "https://survey.example.com/s?name=Jane%20%26%20John%2FDoe%3Fx%3D1%23top%20%C3%A9&v=1"
    )


def test_json_context_keeps_the_body_valid_json():
    # given a JSON body template with codes inside string literals
    template = (
        '{"name": "[BigCommerce | Customer | last_name]",'
        ' "notes": "[BigCommerce | Customer | notes]",'
        ' "channels": "[BigCommerce | Customer | channel_ids]",'
        ' "none": "[BigCommerce | Order | x]"}'
    )
    data = HOSTILE | {"BigCommerce | Customer | channel_ids": [1, 2]}
    # when rendering for JSON
    body = json.loads(render(template, data, context=RenderContext.JSON))
    # then quotes and line breaks in values cannot break out of the strings
    assert body == {
        "name": '"; DROP TABLE users; --',
        "notes": "Ha\r\nBcc: victim@example.com\x00\u2028",
        "channels": "[1,2]",
        "none": "",
    }


def test_text_context_keeps_values_as_they_are():
    # given hostile values
    # when rendering as plain text
    rendered = render(as_tag(FIRST_NAME), HOSTILE, context=RenderContext.TEXT)
    # then they are inserted unchanged (plain text is not interpreted by anyone)
    assert rendered == "<script>alert(1)</script>"


def test_unknown_context_is_refused():
    # given a context name we do not have
    # when rendering
    # then it is an error, not a silent unescaped render
    with pytest.raises(ValueError):
        render("x", {}, context="markdown")
