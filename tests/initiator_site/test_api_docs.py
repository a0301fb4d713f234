"""The interactive API docs work with no internet: every asset is one of our static files."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

pytestmark = pytest.mark.django_db

ASSET_RE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")
ANY_URL_RE = re.compile(r"""["'(]\s*((?:https?:)?//[^"')\s]+)""")


def test_docs_page_uses_only_local_static_assets(client, member, settings):
    # Given a signed-in team member
    client.force_login(member)

    # When they open the interactive API docs
    response = client.get(reverse("api:docs"))

    # Then the page loads and every script, stylesheet and icon comes from our static files
    assert response.status_code == 200
    html = response.content.decode()
    assets = ASSET_RE.findall(html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets), assets
    assert any(a.endswith("swagger-ui.css") for a in assets), assets
    for asset in assets:
        assert asset.startswith(settings.STATIC_URL) or asset.startswith(f"/{settings.STATIC_URL}")
        path = asset.split(settings.STATIC_URL, 1)[1].split("?", 1)[0]
        assert finders.find(path), f"{path} is not a static file of ours"
    # And nothing on the page points at another site (no CDN, no third-party script), nor
    # sends the schema away to be validated
    assert ANY_URL_RE.findall(html) == []
    assert '"validatorUrl": null' in html


def test_docs_page_loads_the_schema_from_this_site(client, member):
    client.force_login(member)

    html = client.get(reverse("api:docs")).content.decode()

    # The schema is fetched from our own relative URL, which answers with the OpenAPI document
    assert reverse("api:schema") in html
    schema = client.get(reverse("api:schema"), HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
