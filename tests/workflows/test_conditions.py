"""Condition steps: config validation and evaluation with numeric strings, lists and emptiness."""

import pytest
from django.core.exceptions import ValidationError

from tests.factories import rule
from workflows.conditions import MAX_RULES, OPERATORS, evaluate, validate_condition

TOTAL = "BigCommerce | Order | total_inc_tax"
EMAIL = "BigCommerce | Customer | email"
CHANNELS = "BigCommerce | Customer | channel_ids"


def condition(*rules, match="all"):
    return {"match": match, "rules": list(rules)}


def test_operators_are_the_ten_documented_ones():
    # given the operator catalog
    # when listing it
    # then it has the ten operators, each with a label for the UI
    assert list(OPERATORS) == [
        "equals",
        "not_equals",
        "contains",
        "not_contains",
        "gt",
        "gte",
        "lt",
        "lte",
        "is_empty",
        "is_not_empty",
    ]
    assert all(isinstance(label, str) and label for label in OPERATORS.values())


def test_valid_config_is_cleaned():
    # given a config written loosely: brackets, spacing, numbers as values, no match
    config = {
        "rules": [
            rule("[BigCommerce|Order|total_inc_tax]", "gt", 50),
            rule(
                "BigCommerce | Customer | accepts_product_review_abandoned_cart_emails",
                "equals",
                True,
            ),
            rule(EMAIL, "is_not_empty", "ignored"),
        ]
    }
    # when validating it for shipments
    cleaned = validate_condition(config, "shipment_created")
    # then codes are canonical, values text, match defaults to all
    assert cleaned == {
        "match": "all",
        "rules": [
            rule(TOTAL, "gt", "50"),
            rule(
                "BigCommerce | Customer | accepts_product_review_abandoned_cart_emails",
                "equals",
                "true",
            ),
            rule(EMAIL, "is_not_empty", ""),
        ],
    }


@pytest.mark.parametrize(
    ("config", "messages"),
    [
        (None, ["must be an object"]),
        ([], ["must be an object"]),
        (condition(rule(TOTAL, "gt", "5"), match="some"), ["match: must be one of all, any"]),
        ({"match": "all"}, ["rules: must be a non-empty list"]),
        (condition(), ["rules: must be a non-empty list"]),
        ({"match": "all", "rules": "x"}, ["rules: must be a non-empty list"]),
        (condition(*[rule(TOTAL, "gt", "1")] * (MAX_RULES + 1)), ["at most 20 rules"]),
        (condition("x"), ["rules[0]: must be an object"]),
        (
            condition(rule(TOTAL, "bigger", "5")),
            [
                "rules[0].operator: unknown operator; valid: equals, not_equals, contains, "
                "not_contains, gt, gte, lt, lte, is_empty, is_not_empty."
            ],
        ),
        (condition(rule(TOTAL, None, "5")), ["rules[0].operator: unknown operator"]),
        (condition(rule(None, "gt", "5")), ["rules[0].merge_code: required"]),
        (condition(rule("total", "gt", "5")), ["rules[0].merge_code: not a merge code"]),
        (
            condition(rule(TOTAL, "gt", "1"), rule("BigCommerce | Cart | id", "equals", "x")),
            ["rules[1].merge_code: Unknown merge code(s)", "Valid codes: [BigCommerce | Customer"],
        ),
        (condition(rule(TOTAL, "gt")), ["rules[0].value: required for operator 'gt'"]),
        (condition(rule(TOTAL, "equals", "")), ["rules[0].value: required for operator 'equals'"]),
        (condition(rule(TOTAL, "contains", "x" * 1001)), ["rules[0].value: at most 1000"]),
        (condition(rule(TOTAL, "equals", {"a": 1})), ["rules[0].value: must be text or a number"]),
        (condition(rule(TOTAL, "equals", "1") | {"extra": 1}), ["rules[0].extra: unknown field"]),
        (condition(rule(TOTAL, "gt", "1")) | {"else": []}, ["else: unknown field"]),
    ],
)
def test_invalid_configs_name_the_field(config, messages):
    # given an invalid condition config
    # when validating it
    with pytest.raises(ValidationError) as excinfo:
        validate_condition(config, "shipment_created")
    # then each expected message appears, naming the field at fault
    text = "\n".join(excinfo.value.messages)
    for message in messages:
        assert message in text


def test_all_problems_are_reported_at_once():
    # given a config with three problems in two rules
    config = condition(rule("BigCommerce | Order | nope", "gt"), rule(TOTAL, "around", "1"))
    # when validating it
    with pytest.raises(ValidationError) as excinfo:
        validate_condition(config, "cart_converted")
    # then all three are listed, one message each
    fields = [message.split(":")[0] for message in excinfo.value.messages]
    assert fields == ["rules[0].merge_code", "rules[0].value", "rules[1].operator"]


def test_percent_signs_in_input_do_not_break_messages():
    # given a merge code with a "%" that Django might take for a placeholder
    config = condition(rule("[BigCommerce | Order | %(x)s]", "gt", "1"))
    # when validating it
    with pytest.raises(ValidationError) as excinfo:
        validate_condition(config, "cart_converted")
    # then the message shows it literally
    assert "[BigCommerce | Order | %(x)s]" in excinfo.value.messages[0]


DATA = {
    TOTAL: "69.8400",
    "BigCommerce | Order | items_total": 4,
    "BigCommerce | Order | subtotal_tax": "100",
    "BigCommerce | Order | currency_code": "USD",
    "BigCommerce | Order | date_created": "2019-03-05T21:40:11Z",
    "BigCommerce | Order | is_email_opt_in": False,
    "BigCommerce | Order | billing_address | form_fields": [],
    "BigCommerce | Order | coupons | url": "",
    "BigCommerce | Customer | authentication": {"force_password_reset": False},
    "BigCommerce | Customer | first_name": "Jane Doe",
    CHANNELS: [1, 2],
    EMAIL: None,
}


@pytest.mark.parametrize(
    ("code", "operator", "value", "expected"),
    [
        # numeric strings compare as numbers
        (TOTAL, "gt", "50", True),
        (TOTAL, "gt", "69.84", False),
        (TOTAL, "gte", "69.84", True),
        (TOTAL, "lt", "100", True),
        (TOTAL, "lte", "69.8400", True),
        (TOTAL, "equals", "69.84", True),
        (TOTAL, "not_equals", "69.84", False),
        ("BigCommerce | Order | subtotal_tax", "lt", "9", False),  # 100 < 9 numerically: no
        ("BigCommerce | Order | items_total", "equals", "4", True),
        ("BigCommerce | Order | items_total", "gte", "4.0", True),
        # non-numeric: case-sensitive text
        ("BigCommerce | Order | currency_code", "equals", "USD", True),
        ("BigCommerce | Order | currency_code", "equals", "usd", False),
        ("BigCommerce | Order | currency_code", "not_equals", "EUR", True),
        ("BigCommerce | Order | currency_code", "gt", "EUR", True),  # string order
        ("BigCommerce | Order | date_created", "gte", "2019-01-01", True),
        ("BigCommerce | Order | date_created", "lt", "2019-03-01", False),
        ("BigCommerce | Order | is_email_opt_in", "equals", "false", True),
        # empty values never compare
        (EMAIL, "gt", "0", False),
        (EMAIL, "lt", "0", False),
        (EMAIL, "equals", "x", False),
        (EMAIL, "not_equals", "x", True),
        # contains: substring, list membership, object key
        ("BigCommerce | Customer | first_name", "contains", "Doe", True),
        ("BigCommerce | Customer | first_name", "contains", "doe", False),
        ("BigCommerce | Customer | first_name", "not_contains", "Smith", True),
        (TOTAL, "contains", "69", True),
        (CHANNELS, "contains", "2", True),
        (CHANNELS, "contains", "3", False),
        (CHANNELS, "not_contains", "3", True),
        ("BigCommerce | Customer | authentication", "contains", "force_password_reset", True),
        ("BigCommerce | Customer | authentication", "contains", "False", False),
        (EMAIL, "contains", "a", False),
        (EMAIL, "not_contains", "a", True),
        # emptiness
        (EMAIL, "is_empty", "", True),
        ("BigCommerce | Order | coupons | url", "is_empty", "", True),
        ("BigCommerce | Order | billing_address | form_fields", "is_empty", "", True),
        ("BigCommerce | Order | is_email_opt_in", "is_empty", "", False),  # false is a value
        ("BigCommerce | Order | items_total", "is_not_empty", "", True),
        ("BigCommerce | Order | not_in_data", "is_empty", "", True),
        ("BigCommerce | Order | not_in_data", "is_not_empty", "", False),
    ],
)
def test_each_operator(code, operator, value, expected):
    # given a single rule
    config = condition(rule(code, operator, value))
    # when evaluating it on the merge data
    result, explanation = evaluate(config, DATA)
    # then the result follows the documented comparison rules
    assert result is expected
    assert explanation.endswith("true" if expected else "false")


def test_empty_object_is_empty():
    # given an empty object value
    # when testing emptiness
    # then it is empty
    assert evaluate(condition(rule("c", "is_empty")), {"c": {}})[0] is True


@pytest.mark.parametrize(
    ("match", "outcomes", "expected"),
    [
        ("all", (True, True), True),
        ("all", (True, False), False),
        ("any", (False, True), True),
        ("any", (False, False), False),
    ],
)
def test_all_and_any(match, outcomes, expected):
    # given two rules with known outcomes
    rules = [rule(TOTAL, "gt", "50" if outcome else "500") for outcome in outcomes]
    # when evaluating them with the match mode
    result, _ = evaluate(condition(*rules, match=match), DATA)
    # then all needs every rule, any needs one
    assert result is expected


def test_explanation_reads_like_the_rules():
    # given a condition on the total and the email
    config = condition(rule(TOTAL, "gt", "50"), rule(EMAIL, "is_not_empty", ""), match="any")
    # when evaluating it
    result, explanation = evaluate(config, DATA)
    # then the explanation shows each value, operator and outcome, then the result
    assert result is True
    assert explanation == (
        "Any of: Order | total_inc_tax (69.8400) gt 50 → true; "
        "Customer | email (empty) is_not_empty → false ⇒ true"
    )


def test_validated_config_evaluates_on_merge_data():
    # given a config validated for cart conversions
    config = validate_condition(
        condition(rule("[BigCommerce|Order|total_inc_tax]", "gte", 69.84)), "cart_converted"
    )
    # when evaluating it
    # then the cleaned code is found in the merge data
    assert evaluate(config, DATA)[0] is True


def test_evaluating_an_invalid_config_is_an_error():
    # given a config that skipped validation
    # when evaluating it
    # then it fails loudly instead of guessing
    with pytest.raises(ValueError):
        evaluate(condition(rule(TOTAL, "around", "1")), DATA)
    with pytest.raises(ValueError):
        evaluate(condition(rule(TOTAL, "gt", "1"), match="most"), DATA)
