"""API token page: whether a token exists, create/regenerate (key shown once), revoke."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from tests.html import check_page

pytestmark = pytest.mark.django_db

PAGE = reverse("account:api-token")


def test_no_token_yet(as_member):
    html = check_page(as_member.get(PAGE))
    assert "You have no API token" in html and "Create token" in html


def test_create_shows_the_key_once(as_member, member):
    response = as_member.post(reverse("account:api-token-generate"), follow=True)
    token = Token.objects.get(user=member)
    html = check_page(response)
    assert token.key in html and "will not be shown again" in html
    assert (
        response["Cache-Control"].startswith("no-store") or "no-store" in response["Cache-Control"]
    )
    later = as_member.get(PAGE).content.decode()
    assert token.key not in later and "You have a token" in later


def test_regenerate_replaces_and_revoke_deletes(as_member, member, api_client):
    as_member.post(reverse("account:api-token-generate"))
    first = Token.objects.get(user=member).key
    as_member.post(reverse("account:api-token-generate"))
    second = Token.objects.get(user=member).key
    assert first != second
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {second}")
    assert api_client.get("/api/v1/workflows/").status_code == 200
    response = as_member.post(reverse("account:api-token-revoke"), follow=True)
    assert "API token revoked" in response.content.decode()
    assert not Token.objects.filter(user=member).exists()
    assert api_client.get("/api/v1/workflows/").status_code in (401, 403)


def test_token_actions_are_post_only(as_member):
    assert as_member.get(reverse("account:api-token-generate")).status_code == 405
    assert as_member.get(reverse("account:api-token-revoke")).status_code == 405


def test_reloading_the_page_after_creating_makes_no_new_token(as_member, member):
    # given a member who just created a token (and was sent back to the page)
    created = as_member.post(reverse("account:api-token-generate"))
    assert created.status_code == 302 and created["Location"] == PAGE
    key = Token.objects.get(user=member).key
    assert key in as_member.get(PAGE).content.decode()
    # when reloading the page
    again = check_page(as_member.get(PAGE))
    # then the same single token exists, its key no longer shown
    assert Token.objects.filter(user=member).count() == 1
    assert Token.objects.get(user=member).key == key
    assert key not in again and "You have a token" in again
