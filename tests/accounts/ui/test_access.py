"""Every UI view: login required, account-scoped (another account's object is 404), CSRF."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from accounts.ui.permissions import NO_ACCOUNT_MESSAGE

pytestmark = pytest.mark.django_db


def object_urls(workflow, run, auth):
    """(method, url) of every view that takes an object."""
    w, r, a = workflow.pk, run.pk, auth.pk
    return [
        ("get", reverse("workflows:detail", args=[w])),
        ("post", reverse("workflows:settings", args=[w])),
        ("post", reverse("workflows:activate", args=[w])),
        ("post", reverse("workflows:pause", args=[w])),
        ("post", reverse("workflows:test", args=[w])),
        ("get", reverse("workflows:delete", args=[w])),
        ("post", reverse("workflows:delete", args=[w])),
        ("get", reverse("workflows:step-add", args=[w, "delay"])),
        ("post", reverse("workflows:step-add", args=[w, "delay"])),
        ("get", reverse("workflows:step-edit", args=[w, 0])),
        ("post", reverse("workflows:step-edit", args=[w, 0])),
        ("post", reverse("workflows:step-move", args=[w, 0])),
        ("post", reverse("workflows:step-delete", args=[w, 0])),
        ("get", reverse("workflows:run", args=[r])),
        ("post", reverse("workflows:run-retry", args=[r])),
        ("get", reverse("authentications:rotate", args=[a])),
        ("post", reverse("authentications:rotate", args=[a])),
        ("post", reverse("authentications:verify", args=[a])),
        ("get", reverse("authentications:delete", args=[a])),
        ("post", reverse("authentications:delete", args=[a])),
    ]


PLAIN_URLS = [
    ("get", "workflows:list"),
    ("get", "workflows:new"),
    ("get", "workflows:new-name"),
    ("post", "workflows:new-name"),
    ("get", "workflows:new-initiator"),
    ("post", "workflows:new-initiator"),
    ("get", "workflows:new-event"),
    ("get", "workflows:new-overview"),
    ("get", "workflows:new-authentication"),
    ("post", "workflows:new-authentication"),
    ("get", "authentications:list"),
    ("get", "authentications:create"),
    ("post", "authentications:create"),
    ("get", "account:api-token"),
    ("post", "account:api-token-generate"),
    ("post", "account:api-token-revoke"),
]


def test_every_view_needs_login(client, workflow, run, auth):
    urls = [(m, reverse(name)) for m, name in PLAIN_URLS] + object_urls(workflow, run, auth)
    for method, url in urls:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login")), url


def test_another_accounts_objects_are_404(client, other_member, workflow, run, auth):
    """other_member is an Integration Manager of another account: not found, never 403."""
    client.force_login(other_member)
    for method, url in object_urls(workflow, run, auth):
        assert getattr(client, method)(url).status_code == 404, (method, url)
    workflow.refresh_from_db()
    assert workflow.status == "draft" and workflow.steps.count() == 1
    assert auth.__class__.objects.filter(pk=auth.pk).exists()


def test_another_accounts_pages_list_nothing_of_ours(client, other_member, workflow, run, auth):
    client.force_login(other_member)
    for name in ("workflows:list", "authentications:list"):
        html = client.get(reverse(name)).content.decode()
        assert workflow.name not in html and auth.name not in html


def test_members_read_every_read_page(as_member, workflow, run, auth):
    for url in (
        reverse("workflows:list"),
        reverse("workflows:detail", args=[workflow.pk]),
        reverse("workflows:run", args=[run.pk]),
        reverse("authentications:list"),
        reverse("account:api-token"),
        reverse("workflows:new-name"),
    ):
        assert as_member.get(url).status_code == 200, url


def test_user_without_account_is_told_so(client, make_user):
    client.force_login(make_user(None, "drifter", integration_manager=True))
    assert client.get(reverse("workflows:list")).status_code == 200
    response = client.get(reverse("workflows:new-name"))
    assert response.status_code == 403 and escape(NO_ACCOUNT_MESSAGE) in response.content.decode()
    assert client.get(reverse("authentications:create")).status_code == 403


@pytest.fixture
def csrf_client(manager):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    return client


def test_post_without_csrf_token_is_refused(csrf_client, workflow, run, auth):
    urls = [url for method, url in object_urls(workflow, run, auth) if method == "post"]
    urls += [reverse(name) for method, name in PLAIN_URLS if method == "post"]
    for url in urls:
        assert csrf_client.post(url).status_code == 403, url
    workflow.refresh_from_db()
    assert workflow.status == "draft"


def test_post_with_the_pages_csrf_token_works(csrf_client, workflow):
    page = csrf_client.get(reverse("workflows:detail", args=[workflow.pk]))
    token = page.context["csrf_token"]
    response = csrf_client.post(
        reverse("workflows:pause", args=[workflow.pk]), {"csrfmiddlewaretoken": str(token)}
    )
    assert response.status_code == 302
