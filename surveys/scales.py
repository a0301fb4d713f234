"""The answer scales of the question kinds, and how the first question's answer classes a
respondent as promoter, passive or detractor (the outcome that picks a redirect, and what the
results count)."""

from __future__ import annotations

from typing import Any

from surveys.models import Outcome, QuestionKind

# The numeric scales, lowest first: what score links offer and what the page accepts.
SCALES: dict[str, range] = {
    QuestionKind.NPS: range(0, 11),
    QuestionKind.RATING: range(1, 6),
}
YES, NO = "yes", "no"
YES_NO_VALUES = (YES, NO)


def is_scale(kind: str) -> bool:
    return kind in SCALES


def link_values(kind: str) -> list[Any]:
    """The answers a score link can carry for a question of `kind` ([] when none can)."""
    if kind in SCALES:
        return list(SCALES[kind])
    if kind == QuestionKind.YES_NO:
        return list(YES_NO_VALUES)
    return []


def outcome_of(kind: str, answer: Any) -> str:
    """NPS: 9–10 promoter, 7–8 passive, 0–6 detractor. Rating: 4–5, 3, 1–2. Yes/no: yes is a
    promoter, no a detractor. "" when the answer is missing or the kind has no outcome."""
    if answer is None or isinstance(answer, bool):
        return ""
    if kind == QuestionKind.YES_NO:
        return {YES: Outcome.PROMOTER, NO: Outcome.DETRACTOR}.get(answer, "")
    if kind not in SCALES or not isinstance(answer, int):
        return ""
    high, low = (9, 6) if kind == QuestionKind.NPS else (4, 2)
    if answer >= high:
        return Outcome.PROMOTER
    if answer <= low:
        return Outcome.DETRACTOR
    return Outcome.PASSIVE
