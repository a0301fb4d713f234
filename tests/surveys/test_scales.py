"""How the first question's answer classes a respondent, and what a score link may carry."""

from __future__ import annotations

import pytest

from surveys.scales import link_values, outcome_of


@pytest.mark.parametrize(
    ("kind", "answer", "outcome"),
    [
        ("nps", 10, "promoter"),
        ("nps", 9, "promoter"),
        ("nps", 8, "passive"),
        ("nps", 7, "passive"),
        ("nps", 6, "detractor"),
        ("nps", 0, "detractor"),
        ("rating", 5, "promoter"),
        ("rating", 4, "promoter"),
        ("rating", 3, "passive"),
        ("rating", 1, "detractor"),
        ("yes_no", "yes", "promoter"),
        ("yes_no", "no", "detractor"),
        ("nps", None, ""),
        ("nps", True, ""),
        ("nps", "9", ""),
        ("text", "great", ""),
        ("choice", "Red", ""),
    ],
)
def test_outcome_of_an_answer(kind, answer, outcome):
    assert outcome_of(kind, answer) == outcome


def test_score_links_offer_the_whole_scale():
    assert link_values("nps") == list(range(11))
    assert link_values("rating") == [1, 2, 3, 4, 5]
    assert link_values("yes_no") == ["yes", "no"]
    assert link_values("text") == []
