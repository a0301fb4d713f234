"""The ``[Survey | …]`` merge codes.

In a ``survey_invite`` step's email, ``[Survey | link]`` is the invitation's response page and
``[Survey | score_links]`` the first question's scale as links (one click answers it). Once a
run has waited for the response, later steps read the answers: ``[Survey | score]`` (the first
question's answer when it is a scale), ``[Survey | outcome]`` (promoter, passive, detractor),
``[Survey | status]`` (submitted, partial; empty when there is no answer) and
``[Survey | {question key}]`` for each question.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from integrations.events import MERGE_CODE_SEPARATOR
from workflows.code_groups import CodeGroup, register_group

PREFIX = "Survey"
LINK = f"{PREFIX} | link"
SCORE_LINKS = f"{PREFIX} | score_links"
SCORE = f"{PREFIX} | score"
OUTCOME = f"{PREFIX} | outcome"
STATUS = f"{PREFIX} | status"
FIXED = (LINK, SCORE_LINKS, SCORE, OUTCOME, STATUS)
# Question keys that would shadow the codes above.
RESERVED_KEYS = frozenset(code.split(MERGE_CODE_SEPARATOR, 1)[1] for code in FIXED)
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")

_LABELS = {
    LINK: "Survey · link to the response page",
    SCORE_LINKS: "Survey · first question's scale as links",
    SCORE: "Survey · score (first question)",
    OUTCOME: "Survey · outcome (promoter, passive, detractor)",
    STATUS: "Survey · response status (submitted, partial, empty)",
}
_SAMPLES = {
    LINK: "https://example.com/s/…/",
    SCORE_LINKS: "0 1 2 3 4 5 6 7 8 9 10",
    SCORE: 9,
    OUTCOME: "promoter",
    STATUS: "submitted",
}


def answer_code(key: str) -> str:
    return f"{PREFIX}{MERGE_CODE_SEPARATOR}{key}"


def is_survey(code: str) -> bool:
    return code.startswith(PREFIX + MERGE_CODE_SEPARATOR)


def _accepts(code: str) -> bool:
    head, _sep, key = code.partition(MERGE_CODE_SEPARATOR)
    return head == PREFIX and KEY_RE.match(key) is not None


def _label(code: str) -> str:
    return _LABELS.get(code) or f"Survey · answer to “{code.partition(MERGE_CODE_SEPARATOR)[2]}”"


def merge_values(answers: Mapping[str, Any], *, score, outcome: str, status: str) -> dict:
    """A response as merge data: the fixed codes and one per answered question (several
    choices joined by commas, so conditions can test them with "contains")."""
    values: dict[str, Any] = {SCORE: score, OUTCOME: outcome or None, STATUS: status}
    for key, answer in answers.items():
        values[answer_code(key)] = ", ".join(answer) if isinstance(answer, list) else answer
    return values


GROUP = CodeGroup(
    PREFIX,
    codes=lambda _event_key: FIXED,
    label=_label,
    sample=_SAMPLES.get,
    accepts=_accepts,
)
register_group(GROUP)
