"""The condition step: true → the run goes on, false → the run stops (not an error)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests.factories import CONVERTED, SHIPMENT, make_ctx, rule, sample_merge_data
from workflows.steps import STEP_KINDS, StepStatus

condition = STEP_KINDS["condition"]
TOTAL = "[BigCommerce | Order | total_inc_tax]"


def test_numeric_string_total_greater_than_number_succeeds_with_explanation():
    # given the sample order's total, which BigCommerce sends as the string "69.8400"
    merge_data = sample_merge_data(SHIPMENT)
    assert merge_data["BigCommerce | Order | total_inc_tax"] == "69.8400"
    config = condition.validate({"match": "all", "rules": [rule(TOTAL, "gt", 50)]}, SHIPMENT)

    # when the condition runs
    outcome = condition.execute(config, make_ctx(merge_data))

    # then it compares numerically and says why it went on
    assert outcome.status == StepStatus.SUCCEEDED == "succeeded"
    assert "69.8400" in outcome.detail and "gt 50" in outcome.detail
    assert outcome.resume_at is None


def test_numeric_compare_is_not_a_string_compare():
    # given "69.8400" lt "100": as strings "6" > "1" would make this false
    config = condition.validate({"rules": [rule(TOTAL, "lt", "100")]}, SHIPMENT)

    # when / then
    assert condition.execute(config, make_ctx()).status == "succeeded"


def test_false_condition_stops_the_run_with_explanation():
    # given a total that is not above 100
    config = condition.validate({"match": "all", "rules": [rule(TOTAL, "gt", "100")]}, SHIPMENT)

    # when the condition runs
    outcome = condition.execute(config, make_ctx())

    # then the run is stopped, and the detail explains it
    assert outcome.status == "stopped"
    assert "not met" in outcome.detail and "gt 100" in outcome.detail and "false" in outcome.detail


def test_any_mode_goes_on_when_one_rule_matches():
    # given a guest order (no customer) and "any" of: customer email not empty, total > 50
    merge_data = sample_merge_data(CONVERTED, guest=True)
    config = condition.validate(
        {
            "match": "any",
            "rules": [
                rule("[BigCommerce | Customer | email]", "is_not_empty"),
                rule(TOTAL, "gt", 50),
            ],
        },
        CONVERTED,
    )

    # when / then
    assert condition.execute(config, make_ctx(merge_data, event_key=CONVERTED)).status == (
        "succeeded"
    )


def test_guest_customer_email_is_empty():
    # given a guest order
    merge_data = sample_merge_data(SHIPMENT, guest=True)
    config = condition.validate(
        {"rules": [rule("BigCommerce | Customer | email", "is_empty")]}, SHIPMENT
    )

    # when / then: null customer fields count as empty
    outcome = condition.execute(config, make_ctx(merge_data))
    assert outcome.status == "succeeded"
    assert "(empty) is_empty" in outcome.detail


def test_rule_values_are_literal_not_rendered():
    # given a rule whose value looks like a merge code, and a customer whose name is that text
    code_text = "[BigCommerce | Customer | last_name]"
    merge_data = sample_merge_data(SHIPMENT, overrides={"Customer | first_name": code_text})
    config = condition.validate(
        {"rules": [rule("[BigCommerce | Customer | first_name]", "equals", code_text)]}, SHIPMENT
    )

    # when / then: compared as text, never rendered
    assert condition.execute(config, make_ctx(merge_data)).status == "succeeded"


def test_condition_has_no_side_effect():
    assert condition.has_side_effect is False


@pytest.mark.parametrize(
    ("config", "field", "fragment"),
    [
        ({"match": "some", "rules": [rule(TOTAL, "gt", 1)]}, "match", "all, any"),
        ({"match": ["all"], "rules": [rule(TOTAL, "gt", 1)]}, "match", "all, any"),
        ({"rules": []}, "rules", "non-empty"),
        ({"rules": [rule(TOTAL, "bigger", 1)]}, "rules", "rules[0].operator"),
        ({"rules": [rule(TOTAL, ["gt"], 1)]}, "rules", "rules[0].operator"),
        ({"rules": [rule(TOTAL, "gt")]}, "rules", "rules[0].value"),
        ({"rules": [rule(TOTAL, "gt", 1)], "extra": 1}, "extra", "unknown field"),
    ],
)
def test_invalid_conditions_name_the_field(config, field, fragment):
    # when an invalid condition is validated
    with pytest.raises(ValidationError) as caught:
        condition.validate(config, SHIPMENT)

    # then the error is keyed by the config field and says what is wrong
    messages = caught.value.message_dict
    assert field in messages, messages
    assert any(fragment in message for message in messages[field]), messages


def test_unknown_merge_code_lists_valid_codes():
    # when a rule names a code the event does not offer (carts have no Order)
    with pytest.raises(ValidationError) as caught:
        condition.validate({"rules": [rule(TOTAL, "gt", 1)]}, "cart_abandoned")

    # then the message names the rule and lists the valid codes
    [message] = caught.value.message_dict["rules"]
    assert message.startswith("rules[0].merge_code:")
    assert "Valid codes:" in message and "[BigCommerce | Cart | cart_amount]" in message


def test_cleaned_config_is_normalised():
    # given loose spacing and a numeric value
    config = condition.validate(
        {"rules": [rule("[BigCommerce|Order|total_inc_tax]", "gte", 50)]}, SHIPMENT
    )

    # then codes are normalised and values are text; match defaults to "all"
    assert config == {
        "match": "all",
        "rules": [
            {"merge_code": "BigCommerce | Order | total_inc_tax", "operator": "gte", "value": "50"}
        ],
    }
