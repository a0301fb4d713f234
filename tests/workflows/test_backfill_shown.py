"""Backfilled deliveries are shown as such, in the Deliveries page and the API, and can be
searched for; the page says that abandoned carts can't be backfilled."""

import re

import pytest
from django.urls import reverse

from tests.html import check_page

pytestmark = pytest.mark.django_db

DELIVERIES = "/api/v1/bigcommerce/deliveries/"


@pytest.fixture
def two_deliveries(make_delivery):
    received = make_delivery(status="processed", order_id=251)
    backfilled = make_delivery(status="processed", order_id=252, origin="backfill")
    return received, backfilled


def row(html: str, pk: int) -> str:
    return re.search(rf'<tr id="delivery-{pk}">.*?</tr>', html, re.S).group(0)


def test_the_deliveries_page_marks_backfilled_ones(as_member, two_deliveries):
    received, backfilled = two_deliveries
    html = check_page(as_member.get(reverse("workflows:deliveries")))
    assert "Backfilled" in row(html, backfilled.pk)
    assert "Backfilled" not in row(html, received.pk)
    note = re.search(r'<p[^>]*id="backfill-note">(.*?)</p>', html, re.S).group(1)
    assert "Abandoned carts can&#x27;t be backfilled" in note or "Abandoned carts can't be" in note


def test_the_api_says_the_origin_and_filters_by_it(api_client, member, two_deliveries):
    received, backfilled = two_deliveries
    api_client.force_authenticate(member)
    rows = api_client.get(DELIVERIES).json()["results"]
    assert {row["id"]: row["origin"] for row in rows} == {
        received.pk: "webhook",
        backfilled.pk: "backfill",
    }
    only = api_client.get(DELIVERIES, {"origin": "backfill"}).json()["results"]
    assert [row["id"] for row in only] == [backfilled.pk]
    assert api_client.get(DELIVERIES, {"origin": "carrier-pigeon"}).status_code == 400
