"""Formats in the merge-code syntax, other code groups, recipient fallbacks, and conditions
that compare dates as dates: what a merchant writes and what the customer then reads."""

import pytest
from django.core.exceptions import ValidationError

from integrations.merge_data import ALL, build_merge_data
from integrations.sample_data import sample_resources
from workflows import code_groups
from workflows.conditions import evaluate, validate_condition
from workflows.merge_codes import (
    CodeGroup,
    codes_used,
    find_codes,
    first_recipient,
    is_recipient,
    normalize_code,
    offered_codes,
    register_group,
    render,
    validate_text,
)
from workflows.steps.registry import validate_step

TOTAL = "BigCommerce | Order | total_inc_tax"
SHIPPED = build_merge_data("shipment_created", sample_resources("shipment_created"), ALL)


def text(template, data=SHIPPED):
    return render(template, data, context="text")


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("[BigCommerce | Order | total_inc_tax | money]", "$69.84"),
        ("[BigCommerce|Order|total_inc_tax|MONEY]", "$69.84"),
        ("[BigCommerce | Order | total_inc_tax | money:EUR]", "€69.84"),
        ("[BigCommerce | Order | date_created | date]", "Mar 5, 2019"),
        ("[BigCommerce | Order | date_created | date:%d %B %Y]", "05 March 2019"),
        ("[BigCommerce | Order | date_shipped | date:%-d %b, %H:%M]", "6 Mar, 09:20"),
        ("Hi [BigCommerce | Customer | notes | default:there]", "Hi there"),
        ("[BigCommerce | Customer | first_name | default:there]", "Jane"),
        ("[BigCommerce | Shipment | date_created | date | default:soon]", "Mar 13, 2019"),
        ("[BigCommerce | Order | customer_message | date | default:soon]", "soon"),
    ],
)
def test_formats_write_values_as_a_customer_reads_them(template, expected):
    # given the sample shipment (total "69.8400" USD, placed 5 March 21:40 UTC, store in Chicago)
    # when rendering a field with a format
    # then the value is written as money, a local date or a default
    assert text(template) == expected


def test_money_follows_the_orders_currency_and_the_customers_locale():
    # given an order in euros from a German customer
    data = {**SHIPPED, "BigCommerce | Order | currency_code": "EUR"}
    data["BigCommerce | Order | customer_locale"] = "de-DE"
    # when rendering the total as money
    # then it is in euros, written the German way
    assert text("[BigCommerce | Order | total_inc_tax | money]", data) == "69,84\xa0€"


def test_dates_are_shown_in_the_stores_time_zone():
    # given an order placed at 03:30 UTC on 14 March, by a store in Chicago (UTC-5 then)
    data = {**SHIPPED, "BigCommerce | Order | date_created": "Thu, 14 Mar 2019 03:30:00 +0000"}
    # when rendering its date
    # then it is the 13th, as the store saw it; ISO dates work the same way
    assert text("[BigCommerce | Order | date_created | date:%d %B %Y %H:%M]", data) == (
        "13 March 2019 22:30"
    )
    data["BigCommerce | Order | date_created"] = "2019-03-14T03:30:00Z"
    assert text("[BigCommerce | Order | date_created | date:%d %B]", data) == "13 March"


def test_a_format_that_does_not_fit_leaves_the_value_as_it_is():
    # given a word and a missing value
    data = {TOTAL: "free", "BigCommerce | Order | date_created": None}
    # when formatting them as money and as a date
    # then the word stays, and the empty value stays empty
    assert text("[BigCommerce | Order | total_inc_tax | money]", data) == "free"
    assert text("[[BigCommerce | Order | date_created | date]]", data) == "[]"


def test_lists_read_as_lines_in_text_and_as_a_table_in_html():
    # given the sample order's products
    template = "[BigCommerce | Order | products | list]"
    # when rendering them as text and as HTML
    lines = text(template).splitlines()
    table = render(f"<div>{template}</div>", SHIPPED, context="html")
    # then the text has one line per item, the HTML a table with a header row
    assert lines == [
        "1 × Fog Linen Chambray Towel - Beige Stripe (S-ORAN) — $65.23",
        "1 × Able Brewing System (ABS) — $0.00",
    ]
    assert table.startswith("<div><table") and "<th " in table and table.count("<tr>") == 3
    # and inside an attribute the list is text, escaped
    attribute = render(f'<img alt="{template}">', SHIPPED, context="html")
    assert "<table" not in attribute and "1 × Fog Linen" in attribute


def test_an_empty_list_can_have_a_default():
    data = {"BigCommerce | Order | products": []}
    assert text("[BigCommerce | Order | products | list | default:nothing]", data) == "nothing"


def test_values_are_never_rendered_again_even_through_formats():
    # given store data that looks like a code and a template
    data = {**SHIPPED, "BigCommerce | Customer | first_name": "[Store | name] {{ x }}"}
    # when rendering it with a default
    # then it stays literal
    assert text("[BigCommerce | Customer | first_name | default:x]", data) == (
        "[Store | name] {{ x }}"
    )


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("[BigCommerce | Order | total_inc_tax | mony]", "did you mean 'money'?"),
        ("[BigCommerce | Order | total_inc_tax | money:dollars]", "not a currency code"),
        ("[BigCommerce | Order | date_created | date:%Q]", "not a date format"),
        ("[BigCommerce | Customer | first_name | default]", "needs text after a colon"),
        ("[BigCommerce | Order | products | list:table]", "takes nothing after it"),
        ("[Store | nmae]", "did you mean [Store | name]?"),
    ],
)
def test_a_wrong_format_is_refused_on_save_with_help(template, message):
    # given a field with a misspelt or malformed format
    # when the step is saved
    with pytest.raises(ValidationError) as excinfo:
        validate_text(f"Total: {template}", "shipment_created")
    # then the error says what is wrong and what was meant
    assert message in excinfo.value.messages[0]


def test_codes_of_another_event_are_refused_even_with_a_format():
    with pytest.raises(ValidationError) as excinfo:
        validate_text("[BigCommerce | Shipment | items | list]", "cart_abandoned")
    assert "Unknown merge code" in excinfo.value.messages[0]


def test_a_code_ending_like_a_format_name_is_still_the_code():
    # given the brief's "Order | products | url" and the extra "Order | products"
    # when finding codes
    # then each is read as written, with "list" a format and "url" part of the code
    assert find_codes(
        "[BigCommerce | Order | products | url] [BigCommerce | Order | products]"
    ) == [
        "BigCommerce | Order | products | url",
        "BigCommerce | Order | products",
    ]
    assert normalize_code("[BigCommerce | Order | products | list]") is None  # formatted


def test_the_codes_used_include_what_formats_need():
    # given fields with a date format and a condition's bare code
    used = codes_used(
        ["On [BigCommerce | Order | date_created | date]", "BigCommerce | Order | id"]
    )
    # then the store's time zone is needed too
    assert used == {
        "BigCommerce | Order | date_created",
        "Store | timezone",
        "BigCommerce | Order | id",
    }


@pytest.fixture
def own_registry(monkeypatch):
    """Groups registered by the test are gone after it."""
    monkeypatch.setattr(code_groups, "_GROUPS", dict(code_groups._GROUPS))
    yield
    monkeypatch.undo()
    code_groups.code_pattern.cache_clear()
    code_groups._offered.cache_clear()


def test_another_group_registers_and_is_validated_and_rendered(own_registry):
    # given a module registering its own group, offered by every event
    register_group(CodeGroup("Testlink", lambda event_key: ("Testlink | url",)))
    # when a field uses it, in any case, with a format
    validate_text("[testlink | url | default:none]", "cart_abandoned")
    # then it is offered, validated and rendered from the merge data like any code
    assert "Testlink | url" in offered_codes("shipment_created")
    assert text("[Testlink|url]", {"Testlink | url": "https://x.test/u/1"}) == "https://x.test/u/1"
    with pytest.raises(ValidationError):
        validate_text("[Testlink | uri]", "cart_abandoned")
    # and a group of unregistered words stays plain text
    assert find_codes("[Note | this]") == []


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"BigCommerce | Customer | email": "jane@example.com"}, "jane@example.com"),
        (
            {"BigCommerce | Order | billing_address | email": "guest@example.com"},
            "guest@example.com",
        ),
        ({"BigCommerce | Customer | email": ""}, "team@example.com"),
    ],
)
def test_the_first_recipient_that_is_not_empty_wins(data, expected):
    # given a "to" with fallbacks for guests and, last, the team
    to = (
        "[BigCommerce | Customer | email] or [BigCommerce | Order | billing_address | email] "
        "or team@example.com"
    )
    # when choosing the recipient
    # then the first non-empty one is it
    assert first_recipient(to, data) == expected


def test_recipient_fallbacks_are_checked_on_save():
    # given a send_email step with fallbacks
    config = {
        "to": "[BigCommerce | Customer | email] or [BigCommerce | Cart | email]",
        "subject": "Your cart",
        "body": "Hi",
    }
    # when saved for abandoned carts, it is accepted
    assert validate_step("send_email", config, "cart_abandoned")["to"] == config["to"]
    # and a fallback that is neither a code nor an address is refused
    assert is_recipient("[BigCommerce | Cart | email] or someone") is False
    with pytest.raises(ValidationError):
        validate_step(
            "send_email", {**config, "to": "[BigCommerce | Cart | email] or x"}, "cart_abandoned"
        )


CONDITION_EVENT = "shipment_created"


def condition(operator, value, code="BigCommerce | Order | date_created"):
    return validate_condition(
        {"rules": [{"merge_code": code, "operator": operator, "value": value}]}, CONDITION_EVENT
    )


@pytest.mark.parametrize(
    ("value", "operator", "expected"),
    [
        ("2019-03-01", "gt", True),  # placed on 6 March
        ("2019-03-07", "gt", False),
        ("2019-03-06T14:00:00Z", "gt", True),  # placed 14:30 UTC (ISO against RFC-2822)
        ("Wed, 06 Mar 2019 09:30:00 -0500", "equals", True),  # the same instant, elsewhere
    ],
)
def test_conditions_compare_dates_as_dates(value, operator, expected):
    # given an order placed "Wed, 06 Mar 2019 14:30:00 +0000" (RFC-2822)
    config = condition(operator, value)
    data = {"BigCommerce | Order | date_created": "Wed, 06 Mar 2019 14:30:00 +0000"}
    # when the condition is evaluated
    # then the dates compare as moments in time, whatever their notation
    assert evaluate(config, data)[0] is expected


def test_greater_than_refuses_a_value_that_is_neither_number_nor_date():
    # given a rule "total is greater than lots"
    # when saved
    with pytest.raises(ValidationError) as excinfo:
        condition("gt", "lots", TOTAL)
    # then it is refused, saying what it takes
    assert "compares numbers or dates" in " ".join(excinfo.value.messages)
    assert condition("gt", "50", TOTAL)["rules"][0]["value"] == "50"
