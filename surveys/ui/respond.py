"""The public response page, ``/s/{token}/``: no login; the invitation's token is the key.

- GET shows the survey (question texts rendered from the invitation's merge snapshot, never
  from anything else); ``?score=N`` is a score link's click: it answers the first question
  (a partial response) and shows the rest.
- POST (CSRF-protected: the form's token sets the cookie) submits the answers: problems are
  shown on the page (400) with the input kept; a form our page never makes is refused (400);
  a body over ``MAX_BODY_BYTES`` is refused (413) unread. Then the thank-you text, or the survey's
  redirect for the respondent's outcome (an http(s) address, merge values URL-encoded).
- A token that opens no invitation is a 404 page; an expired or closed one a 410 page that
  reveals nothing of the survey. Too many requests from one address: a 429 page.

The rules are in ``surveys.responses`` and ``surveys.answers``; this module only maps them to
pages.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlsplit

from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods

from initiator_site.ratelimit import limited
from surveys import answers as form_answers
from surveys import responses
from surveys.invitations import STORE_NAME
from surveys.models import QuestionKind
from surveys.scales import SCALES, YES_NO_VALUES
from workflows.merge_codes import RenderContext
from workflows.merge_codes import render as render_codes

TEMPLATE = "surveys/respond.html"
MAX_BODY_BYTES = 64 * 1024
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
NOT_FOUND = (
    "This survey link is not valid. Copy the whole link from the email, or use the link of a "
    "more recent email."
)
GONE = {
    responses.State.EXPIRED: "This survey has closed. Thank you for your interest.",
    responses.State.CLOSED: "Thank you: your answers were received, and this survey is now closed.",
}


def _page(request, status: int = 200, **context):
    response = render(request, TEMPLATE, context, status=status)
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    # The token is in the address: never sent to another site (a redirect target, say).
    response["Referrer-Policy"] = "same-origin"
    return response


def _too_many(request):
    return _page(request, 429, problem="Too many requests. Please try again in a minute.")


def _rate_limit() -> int:
    return settings.SURVEY_PAGE_RATE_LIMIT


@require_http_methods(["GET", "POST"])
@limited("survey", limit=_rate_limit, window_seconds=60, refuse=_too_many)
def survey_page(request, token: str):
    now = timezone.now()
    invitation = responses.find(token)
    if invitation is None:
        return _page(request, 404, problem=NOT_FOUND)
    state = responses.state_of(invitation, now)
    if state is not responses.State.OPEN:
        return _page(request, 410, problem=GONE[state])
    questions = responses.questions_of(invitation.survey)
    if not questions:
        return _page(request, 410, problem=GONE[responses.State.EXPIRED])
    if request.method == "POST":
        return _submit(request, invitation, questions, now)
    current = responses.response_of(invitation)
    if request.GET.get("thanks") and current is not None and current.submitted_at is not None:
        return _thanks(request, invitation, token)
    problems: dict[str, str] = {}
    score = request.GET.get("score")
    if score is not None:
        try:
            answer = form_answers.read_one(questions[0], score[:10])
        except ValueError as exc:
            problems[questions[0].key] = str(exc)
        else:
            if questions[0].kind in (*SCALES, QuestionKind.YES_NO):
                current = responses.answer_first(invitation, questions, answer, now)
    shown = form_answers.as_form_values(questions, current.answers if current else {})
    return _form(request, invitation, questions, shown, problems, current=current)


def _submit(request, invitation, questions, now):
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_BODY_BYTES:
        return _page(request, 413, problem="This answer is too large to be received.")
    if request.content_type not in FORM_TYPES:
        return _page(request, 400, problem="Please answer the survey with its form.")
    try:
        if request.FILES:
            raise form_answers.BadForm("Files can't be sent with a survey.")
        answers, problems = form_answers.parse(questions, request.POST)
    except form_answers.BadForm as exc:
        return _page(request, 400, problem=f"{exc} Please answer the survey with its form.")
    if problems:
        shown = form_answers.as_form_values(questions, answers)
        current = responses.response_of(invitation)
        return _form(request, invitation, questions, shown, problems, current=current, status=400)
    try:
        response = responses.save(invitation, questions, answers, now, submit=True)
    except responses.NotOpen as exc:
        return _page(request, 410, problem=GONE[exc.state])
    target = redirect_url(invitation, response.outcome)
    if target:
        return redirect(target)
    token = request.resolver_match.kwargs["token"]
    return redirect(reverse("survey", args=[token]) + "?thanks=1")


def redirect_url(invitation, outcome: str) -> str:
    """The survey's redirect for `outcome`, rendered from the snapshot; "" when there is none
    or it does not render to an http(s) address with a host."""
    template = invitation.survey.redirect_url_for(outcome)
    if not template:
        return ""
    url = render_codes(template, invitation.merge_snapshot, context=RenderContext.URL)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    return url


def _thanks(request, invitation, token):
    text = render_codes(
        invitation.survey.thank_you_text, invitation.merge_snapshot, context=RenderContext.TEXT
    )
    return _page(
        request,
        done=True,
        thank_you=text or "Thank you for your feedback!",
        store_name=_store_name(invitation),
        edit_url=reverse("survey", args=[token]),
        closes_at=invitation.closed_at,
    )


def _form(request, invitation, questions, shown, problems, *, current, status=200):
    snapshot = invitation.merge_snapshot
    items = []
    for question in questions:
        name = form_answers.field_name(question)
        value = shown.get(question.key)
        chosen = set(value) if isinstance(value, list) else {value}
        items.append(
            {
                "question": question,
                "name": name,
                "text": render_codes(question.text, snapshot, context=RenderContext.TEXT),
                "options": option_inputs(question, name, chosen),
                "value": value if question.kind == QuestionKind.TEXT else None,
                "problem": problems.get(question.key),
            }
        )
    return _page(
        request,
        status,
        items=items,
        store_name=_store_name(invitation),
        problems=bool(problems),
        submitted=current is not None and current.submitted_at is not None,
        closes_at=invitation.closed_at or invitation.expires_at,
    )


def option_inputs(question, name: str, chosen: set) -> str:
    """A question's options as labelled radio buttons (checkboxes for several choices), each
    value escaped; built here rather than in the template, where eleven NPS options would cost
    more than the rest of the page."""
    kind = "checkbox" if question.kind == QuestionKind.MULTI_CHOICE else "radio"
    inputs = []
    for n, (value, label) in enumerate(_options(question)):
        field_id = f"{name}-{n}"
        checked = " checked" if value in chosen else ""
        inputs.append(
            f'<label class="option" for="{field_id}"><input type="{kind}" id="{field_id}" '
            f'name="{name}" value="{escape(value, quote=True)}"{checked}> '
            f"<span>{escape(label)}</span></label>"
        )
    return mark_safe("\n".join(inputs))  # noqa: S308 (every value above is escaped)


def _options(question) -> list[tuple[str, str]]:
    """``(value, label)`` of each option a question shows."""
    if question.kind in SCALES:
        return [(str(value), str(value)) for value in SCALES[question.kind]]
    if question.kind == QuestionKind.YES_NO:
        return [(value, value.capitalize()) for value in YES_NO_VALUES]
    if question.kind in (QuestionKind.CHOICE, QuestionKind.MULTI_CHOICE):
        return [(choice, choice) for choice in question.choices]
    return []


def _store_name(invitation) -> str:
    name = invitation.merge_snapshot.get(STORE_NAME)
    return name if isinstance(name, str) else ""
