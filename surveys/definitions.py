"""A survey's definition: its fields and ordered questions, checked the same way for the API,
the pages and the admin. Texts may hold merge codes of any event (a survey serves workflows on
any of them); the invitation keeps their values (``surveys.invitations.snapshot``)."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from integrations.events import EVENTS
from surveys.codes import KEY_RE, RESERVED_KEYS
from surveys.models import QuestionKind
from workflows.merge_codes import find_codes, is_offered

MAX_QUESTIONS = 30
MAX_CHOICES = 20
MAX_CHOICE_LENGTH = 200
MAX_QUESTION_LENGTH = 1000
MAX_THANK_YOU_LENGTH = 2000
MAX_URL_LENGTH = 2000
CHOICE_KINDS = (QuestionKind.CHOICE, QuestionKind.MULTI_CHOICE)
URL_FIELDS = ("promoter_redirect_url", "passive_redirect_url", "detractor_redirect_url")
QUESTION_FIELDS = ("key", "kind", "text", "choices", "required")
# The scheme and the host, written out, then the end or a path, query or fragment.
_URL_START_RE = re.compile(r"^https?://[^/?#\[\]\s]+(?:[/?#]|$)", re.IGNORECASE)


def unknown_codes(text: str) -> list[str]:
    """The codes in `text` that no event offers."""
    return [code for code in find_codes(text) if not any(is_offered(code, e) for e in EVENTS)]


def check_text(text: Any, *, max_length: int, required: bool) -> str:
    """A text field's cleaned value; ``ValidationError`` with the message otherwise."""
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise ValidationError("must be text.")
    text = text.strip()
    if not text and required:
        raise ValidationError("this field is required.")
    if len(text) > max_length:
        raise ValidationError(f"at most {max_length} characters (this has {len(text)}).")
    if "\x00" in text:
        raise ValidationError("must not contain NUL characters.")
    unknown = unknown_codes(text)
    if unknown:
        raise ValidationError(
            "unknown merge code(s): %(codes)s.",
            params={"codes": ", ".join(f"[{code}]" for code in unknown)},
        )
    return text


def check_redirect(url: Any) -> str:
    """An outcome's redirect: empty, or an http(s) address whose host is written out (merge
    codes only after it, where their values are URL-encoded)."""
    url = check_text(url, max_length=MAX_URL_LENGTH, required=False)
    if not url:
        return ""
    if not _URL_START_RE.match(url):
        raise ValidationError(
            "must start with https:// (or http://) and the host, e.g. "
            "https://example.com/review?order=[BigCommerce | Order | id]; merge codes may "
            "follow the host."
        )
    return url


def check_question(raw: Any) -> dict:
    """One question's cleaned fields; ``ValidationError`` keyed by field otherwise."""
    if not isinstance(raw, dict):
        raise ValidationError({NON_FIELD_ERRORS: "must be an object with key, kind and text."})
    errors: dict[str, list[str]] = {}
    for name in sorted(set(raw) - set(QUESTION_FIELDS) - {"id", "position"}, key=str):
        errors.setdefault(str(name), []).append("unknown field.")
    key = raw.get("key")
    if not isinstance(key, str) or not KEY_RE.match(key):
        errors.setdefault("key", []).append(
            "a short name: lower-case letters, digits, - and _ (at most 50), e.g. nps."
        )
    elif key in RESERVED_KEYS:
        errors.setdefault("key", []).append(f"{key!r} names a survey code already; choose another.")
    kind = raw.get("kind")
    if kind not in QuestionKind.values:
        errors.setdefault("kind", []).append(f"one of {', '.join(QuestionKind.values)}.")
    try:
        text = check_text(raw.get("text"), max_length=MAX_QUESTION_LENGTH, required=True)
    except ValidationError as exc:
        errors.setdefault("text", []).extend(exc.messages)
        text = ""
    choices = raw.get("choices")
    choices = [] if choices is None else choices
    problem = _choices_problem(kind, choices)
    if problem:
        errors.setdefault("choices", []).append(problem)
    required = raw.get("required", False)
    if not isinstance(required, bool):
        errors.setdefault("required", []).append("true or false.")
    if errors:
        raise ValidationError(errors)
    cleaned_choices = [choice.strip() for choice in choices] if kind in CHOICE_KINDS else []
    return {
        "key": key,
        "kind": kind,
        "text": text,
        "choices": cleaned_choices,
        "required": required,
    }


def _choices_problem(kind, choices) -> str | None:
    if kind not in CHOICE_KINDS:
        return None if choices == [] else "only choice and multi_choice questions have choices."
    if not isinstance(choices, list) or not 2 <= len(choices) <= MAX_CHOICES:
        return f"a list of 2 to {MAX_CHOICES} options."
    if not all(isinstance(c, str) and c.strip() for c in choices):
        return "each option must be non-empty text."
    stripped = [c.strip() for c in choices]
    if any(len(c) > MAX_CHOICE_LENGTH or "\x00" in c for c in stripped):
        return f"each option at most {MAX_CHOICE_LENGTH} characters."
    if len(set(stripped)) != len(stripped):
        return "the options must differ."
    return None


def check_questions(raw: Any) -> list[dict]:
    """The ordered questions, cleaned; ``ValidationError({"questions": [...]})`` otherwise,
    each message naming the question by number."""
    if not isinstance(raw, list) or not raw:
        raise ValidationError({"questions": "a list of at least one question."})
    if len(raw) > MAX_QUESTIONS:
        raise ValidationError({"questions": f"at most {MAX_QUESTIONS} questions."})
    cleaned, messages, keys = [], [], set()
    for number, question in enumerate(raw, 1):
        try:
            item = check_question(question)
        except ValidationError as exc:
            for field, texts in _by_field(exc).items():
                where = "" if field == NON_FIELD_ERRORS else f" · {field}"
                messages.extend(f"Question {number}{where}: {text}" for text in texts)
            continue
        if item["key"] in keys:
            messages.append(f"Question {number} · key: {item['key']!r} is used twice.")
        keys.add(item["key"])
        cleaned.append(item)
    if messages:
        raise ValidationError(
            {"questions": [ValidationError("%(m)s", params={"m": m}) for m in messages]}
        )
    return cleaned


def check_survey(fields: dict, *, partial: bool = False) -> dict:
    """The survey's own fields (name, thank-you text, redirects), cleaned; with `partial`
    only those given. ``ValidationError`` keyed by field otherwise."""
    cleaned, errors = {}, {}
    checks = {
        "name": lambda v: check_text(v, max_length=150, required=True),
        "thank_you_text": lambda v: check_text(v, max_length=MAX_THANK_YOU_LENGTH, required=False),
        **{name: check_redirect for name in URL_FIELDS},
    }
    for name, check in checks.items():
        if name not in fields and (partial or name != "name"):
            continue
        try:
            cleaned[name] = check(fields.get(name))
        except ValidationError as exc:
            errors[name] = exc.messages
    if errors:
        raise ValidationError(errors)
    return cleaned


def _by_field(exc: ValidationError) -> dict[str, list[str]]:
    return exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
