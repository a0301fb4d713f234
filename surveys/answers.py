"""Reading a customer's answers from the response page's form: every value checked against
its question (type, range, choices, length), every problem a message for the page.

Field names are ``q-{question key}``; a form with any other field (besides Django's CSRF
token) is refused as a whole, since it was not made by our page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from surveys.models import Question, QuestionKind
from surveys.scales import SCALES, YES_NO_VALUES

FIELD_PREFIX = "q-"
CSRF_FIELD = "csrfmiddlewaretoken"
MAX_TEXT_LENGTH = 5000


class BadForm(Exception):
    """The form was not one our page makes (unknown fields, repeated single answers)."""


def field_name(question: Question) -> str:
    return f"{FIELD_PREFIX}{question.key}"


def parse(questions: Sequence[Question], data) -> tuple[dict[str, Any], dict[str, str]]:
    """``(answers by key, problems by key)`` from a QueryDict; raises `BadForm` for a form
    that has fields our page never makes."""
    expected = {field_name(question) for question in questions}
    unknown = [name for name in data if name not in expected and name != CSRF_FIELD]
    if unknown:
        raise BadForm("The form has fields this survey does not ask for.")
    answers: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for question in questions:
        values = [value for value in data.getlist(field_name(question)) if value.strip()]
        try:
            answer = read(question, values)
        except ValueError as exc:
            problems[question.key] = str(exc)
            continue
        if answer is None:
            if question.required:
                problems[question.key] = "Please answer this question."
            continue
        answers[question.key] = answer
    return answers, problems


def read(question: Question, values: list[str]) -> Any:
    """One question's answer from its submitted values; None when unanswered; ``ValueError``
    with the page's message when it is not a valid answer."""
    if not values:
        return None
    if question.kind == QuestionKind.MULTI_CHOICE:
        if len(values) > len(question.choices) or len(set(values)) != len(values):
            raise BadForm("A choice was sent twice.")
        for value in values:
            if value not in question.choices:
                raise ValueError("Please pick from the options shown.")
        return [choice for choice in question.choices if choice in values]  # their order
    if len(values) > 1:
        raise BadForm("One answer was sent several times.")
    return read_one(question, values[0])


def read_one(question: Question, value: str) -> Any:
    """A single answer (also what a score link carries)."""
    kind = question.kind
    if kind in SCALES:
        scale = SCALES[kind]
        text = value.strip()
        if not (text.isascii() and text.isdigit() and len(text) <= 2) or int(text) not in scale:
            raise ValueError(f"Please pick a number from {scale[0]} to {scale[-1]}.")
        return int(text)
    if kind == QuestionKind.YES_NO:
        if value not in YES_NO_VALUES:
            raise ValueError("Please answer yes or no.")
        return value
    if kind == QuestionKind.CHOICE:
        if value not in question.choices:
            raise ValueError("Please pick one of the options shown.")
        return value
    text = value.strip()
    if len(text) > MAX_TEXT_LENGTH:
        raise ValueError(f"Please keep this under {MAX_TEXT_LENGTH} characters.")
    if "\x00" in text:
        raise ValueError("This answer contains characters that can't be stored.")
    return text


def as_form_values(questions: Sequence[Question], answers: Mapping[str, Any]) -> dict[str, Any]:
    """Stored answers as the page shows them selected (text for scales)."""
    shown: dict[str, Any] = {}
    for question in questions:
        answer = answers.get(question.key)
        if isinstance(answer, list):
            shown[question.key] = [str(item) for item in answer]
        elif answer is not None:
            shown[question.key] = str(answer)
    return shown
