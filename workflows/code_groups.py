"""The registry of merge-code groups, and how a bracketed code is read.

A group is the codes sharing a first segment: ``BigCommerce`` and ``Store`` come from the
event catalog (``integrations/events.py``); other modules register their own
(``[Unsubscribe | url]``, ``[Survey | link]``) with ``register_group`` when they are imported.
Every registered group's codes are then found, validated and rendered by
``workflows.merge_codes`` like BigCommerce's, and listed in the merge-code picker.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from integrations.events import MERGE_CODE_SEPARATOR, code_label, code_prefixes, get_event
from workflows import merge_filters

# --- code groups ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeGroup:
    """A family of codes sharing a first segment, e.g. ``Store`` for ``[Store | name]``.

    ``codes(event_key)`` is the group's codes (full names) that a workflow on that event may
    use; ``label(code)`` a friendly name for the picker; ``sample(code)`` the value shown there
    when no run has one (``None``: the run's or the sample data's). A run's values for the
    group's codes are in the merge data the steps render with (the fetch puts BigCommerce's
    and the store's there; a step kind may add its own, e.g. an unsubscribe link, before it
    renders). ``accepts(code)``, when given, makes codes valid beyond those listed (a
    survey's answers, ``[Survey | any question key]``), on any event.
    """

    prefix: str
    codes: Callable[[str], Sequence[str]]
    label: Callable[[str], str] = code_label
    sample: Callable[[str], Any] | None = None
    accepts: Callable[[str], bool] | None = None


_GROUPS: dict[str, CodeGroup] = {}


def register_group(group: CodeGroup) -> None:
    """Make a group's codes valid and rendered (call at import; a prefix is registered once)."""
    key = group.prefix.lower()
    if MERGE_CODE_SEPARATOR.strip() in group.prefix or not group.prefix.strip():
        raise ValueError(f"Not a code group prefix: {group.prefix!r}")
    if key in _GROUPS and _GROUPS[key] != group:
        raise ValueError(f"The code group {group.prefix!r} is registered already")
    _GROUPS[key] = group
    code_pattern.cache_clear()
    _offered.cache_clear()


def groups() -> list[CodeGroup]:
    return list(_GROUPS.values())


def offered_codes(event_key: str) -> tuple[str, ...]:
    """Every code a workflow on ``event_key`` may use: each group's, in registration order."""
    return _offered(event_key)


@cache
def _offered(event_key: str) -> tuple[str, ...]:
    get_event(event_key)  # unknown event -> KeyError
    return tuple(code for group in _GROUPS.values() for code in group.codes(event_key))


def is_offered(code: str, event_key: str) -> bool:
    """Whether a workflow on ``event_key`` may use ``code``."""
    if code in _offered(event_key):
        return True
    group = group_of(code)
    return group is not None and group.accepts is not None and group.accepts(code)


def group_of(code: str) -> CodeGroup | None:
    return _GROUPS.get(code.split(MERGE_CODE_SEPARATOR, 1)[0].lower())


def _catalog_group(prefix: str) -> CodeGroup:
    start = prefix + MERGE_CODE_SEPARATOR

    def codes(event_key: str) -> tuple[str, ...]:
        return tuple(code for code in get_event(event_key).merge_codes if code.startswith(start))

    return CodeGroup(prefix, codes)


@cache
def code_pattern() -> re.Pattern[str]:
    """ "[" group "|" rest "]" on one line; the rest may not contain brackets, so codes never
    nest."""
    prefixes = "|".join(re.escape(group.prefix) for group in _GROUPS.values())
    return re.compile(r"\[[ \t]*(?i:(" + prefixes + r"))[ \t]*\|([^\[\]\r\n]*)\]")


@dataclass(frozen=True)
class Tag:
    """One bracketed code as written: the code's name and the formats after it."""

    code: str
    filters: tuple[tuple[str, str | None], ...] = ()


def read_tag(match: re.Match[str]) -> Tag:
    group = _GROUPS[match.group(1).lower()]
    segments = [part.strip() for part in match.group(2).split("|")]
    filters: list[tuple[str, str | None]] = []
    while len(segments) > 1:
        parsed = merge_filters.parse_segment(segments[-1])
        if parsed is None:
            break
        filters.insert(0, parsed)
        segments.pop()
    return Tag(MERGE_CODE_SEPARATOR.join([group.prefix, *segments]), tuple(filters))


def find_tags(text: str) -> list[Tag]:
    """The codes in ``text`` with their formats, each distinct tag once, in order."""
    return list(dict.fromkeys(read_tag(match) for match in code_pattern().finditer(text)))


for _prefix in code_prefixes():  # BigCommerce's codes and the store's, from the event catalog
    register_group(_catalog_group(_prefix))
