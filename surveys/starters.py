"""The wizard's starter templates (`workflows/starters.py`): the feedback loop's usual
workflows, as data. Each is created as a draft the user reviews before activating it."""

from __future__ import annotations

from surveys import codes, services
from surveys.models import QuestionKind, Survey
from workflows.starters import Starter, register

STARTER_SURVEY = "Starter NPS survey"
STARTER_QUESTIONS = [
    {
        "key": "nps",
        "kind": QuestionKind.NPS,
        "text": "How likely are you to recommend [Store | name] to a friend, "
        "[BigCommerce | Customer | first_name | default:there]?",
        "required": True,
        "choices": [],
    },
    {
        "key": "comment",
        "kind": QuestionKind.TEXT,
        "text": "What is the main reason for your score?",
        "required": False,
        "choices": [],
    },
]
CUSTOMER = "[BigCommerce | Customer | email] or [BigCommerce | Order | billing_address | email]"
INVITE = {
    "to": CUSTOMER,
    "subject": "How did we do with order #[BigCommerce | Order | id]?",
    "body": "Hi [BigCommerce | Customer | first_name | default:there],\n\n"
    "Your order is on its way. One click tells us how we did:\n"
    f"[{codes.SCORE_LINKS}]\n\nOr open the survey: [{codes.LINK}]\n\nThank you!\n[Store | name]",
    "format": "text",
}


def starter_survey(account, user) -> Survey:
    """The account's starter NPS survey, made the first time a template needs it."""
    survey = Survey.objects.filter(account=account, name=STARTER_SURVEY).first()
    if survey is None:
        survey = services.create_survey(
            account=account, created_by=user, questions=STARTER_QUESTIONS, name=STARTER_SURVEY
        )
    return survey


def _invite(account, user, **options) -> dict:
    survey = starter_survey(account, user)
    config = {**INVITE, "survey": survey.pk, "expiry_days": 30, **options}
    return {"type": "survey_invite", "config": config}


def _outcome_is(outcome: str) -> dict:
    return {"rules": [{"merge_code": codes.OUTCOME, "operator": "equals", "value": outcome}]}


def nps_after_shipment(*, account, user) -> list[dict]:
    return [
        {"type": "delay", "config": {"amount": 3, "unit": "days"}},
        _invite(account, user, reminder_days=[3]),
    ]


def review_request(*, account, user) -> list[dict]:
    team = (user.email or "").strip() or "team@example.com"
    review = {
        "to": CUSTOMER,
        "subject": "Would you review your order, [BigCommerce | Customer | first_name]?",
        "body": "Thank you for your kind score! A short review helps other shoppers:\n"
        "[Store | url]\n\n[Store | name]",
        "format": "text",
    }
    alert = {
        "to": team,
        "subject": "A detractor: order #[BigCommerce | Order | id] scored [Survey | score]",
        "body": "[BigCommerce | Customer | first_name] [BigCommerce | Customer | last_name] "
        "([BigCommerce | Customer | email]) scored [Survey | score].\n"
        "Comment: [Survey | comment | default:none]",
        "format": "text",
    }
    return [
        _invite(account, user, wait_days=7),
        {
            "type": "if_else",
            "config": {
                "condition": _outcome_is("promoter"),
                "then": [{"type": "send_email", "config": review}],
                "else": [
                    {"type": "condition", "config": _outcome_is("detractor")},
                    {"type": "send_email", "config": alert},
                ],
            },
        },
    ]


def abandoned_cart(*, account, user) -> list[dict]:
    reminder = {
        "to": "[BigCommerce | Cart | email]",
        "subject": "You left something in your cart at [Store | name]",
        "body": "Hi [BigCommerce | Customer | first_name | default:there],\n\n"
        "Your cart is waiting for you:\n[BigCommerce | Cart | line_items | list]\n\n"
        "Pick up where you left off: [BigCommerce | Cart | recovery_url]\n\n[Store | name]",
        "format": "text",
    }
    return [
        {"type": "delay", "config": {"amount": 4, "unit": "hours"}},
        {"type": "send_email", "config": reminder},
    ]


STARTERS = [
    Starter(
        "nps_after_shipment",
        "NPS survey 3 days after shipment",
        "Three days after a shipment, email the customer a one-click NPS survey (a reminder "
        "three days later if unanswered). Uses a starter NPS survey you can edit.",
        "shipment_created",
        nps_after_shipment,
    ),
    Starter(
        "review_request",
        "Review request for promoters",
        "Invite the customer to the NPS survey and wait up to 7 days for the answer: "
        "promoters get a review request, detractors are emailed to you.",
        "shipment_created",
        review_request,
    ),
    Starter(
        "abandoned_cart",
        "Abandoned-cart reminder",
        "Four hours after a cart is abandoned, email the shopper its items and the link back "
        "to the cart.",
        "cart_abandoned",
        abandoned_cart,
    ),
]


def register_all() -> None:
    for starter in STARTERS:
        register(starter)
