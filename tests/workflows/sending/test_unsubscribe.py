"""Unsubscribing, as a customer and a mail client see it: the headers and link in every
customer email, the page behind it, and what a bad or repeated link does."""

import re

import pytest
from django.core.cache import cache
from django.test import Client

from tests.factories import CUSTOMER, SURVEY
from workflows import services
from workflows.models import Step, Suppression
from workflows.sending import unsubscribe

pytestmark = pytest.mark.django_db
ONE_CLICK = "List-Unsubscribe=One-Click"


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def link(account):
    return unsubscribe.url_for(account.pk, "Jane.Smith@Example.com")


def path_of(url: str) -> str:
    return url.removeprefix("https://workflows.example.com")


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True)


# --- In the email ----------------------------------------------------------------------------


def emailed(survey, fire, mailoutbox, **config):
    workflow = survey()
    Step.objects.filter(workflow=workflow).update(config={**SURVEY, **config})
    fire()
    (mail,) = mailoutbox
    return mail


def test_every_customer_email_carries_the_one_click_headers_and_a_footer_link(
    survey, fire, store, mailoutbox
):
    mail = emailed(survey, fire, mailoutbox)
    header = mail.extra_headers["List-Unsubscribe"]
    assert re.fullmatch(r"<https://workflows\.example\.com/u/[^/>]+/>", header)
    assert mail.extra_headers["List-Unsubscribe-Post"] == ONE_CLICK
    assert mail.body.endswith(f"Unsubscribe: {header[1:-1]}\n")
    assert unsubscribe.read_token(header.split("/u/")[1][:-2]).email == CUSTOMER


def test_the_link_goes_where_the_body_puts_it(survey, fire, store, mailoutbox):
    body = '<p>Hi</p><p><a href="[Unsubscribe | url]">Stop these</a></p>'
    mail = emailed(survey, fire, mailoutbox, body=body, format="html")
    html_body = mail.alternatives[0][0]
    url = mail.extra_headers["List-Unsubscribe"][1:-1]
    assert f'<a href="{url}">Stop these</a>' in html_body
    assert html_body.count("/u/") == 1  # no footer added


# --- The page --------------------------------------------------------------------------------


def test_the_page_confirms_then_unsubscribes_revealing_only_a_masked_address(client, link, account):
    page = client.get(path_of(link)).content.decode()
    assert "Stop emails from Acme T-Shirts to j***@e***.com?" in page
    assert "jane.smith" not in page.lower()
    assert not Suppression.objects.exists()  # a GET (a link scanner) changes nothing
    done = client.post(path_of(link)).content.decode()
    assert "You're unsubscribed from Acme T-Shirts's emails" in done
    row = Suppression.objects.get()
    assert (row.account, row.email, row.reason) == (account, CUSTOMER, "unsubscribed")


def test_one_click_from_a_mail_client_needs_no_csrf_token_and_works_twice(csrf_client, link):
    for _ in range(2):
        response = csrf_client.post(
            path_of(link), ONE_CLICK, content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code == 200
    assert Suppression.objects.count() == 1


@pytest.mark.parametrize("token", ["nonsense", "x" * 300, "eyJhIjoxfQ:1abc:forged"])
def test_a_bad_link_is_a_clear_400_page(client, token):
    response = client.get(f"/u/{token}/")
    assert response.status_code == 400
    assert "This unsubscribe link is not valid" in response.content.decode()
    assert client.post(f"/u/{token}/").status_code == 400
    assert not Suppression.objects.exists()


def test_a_tampered_link_suppresses_nothing(client, account, other_account):
    token = unsubscribe.make_token(account.pk, "a@example.com")
    payload, stamp, signature = token.split(":")
    forged = unsubscribe.make_token(other_account.pk, "a@example.com").split(":")[0]
    assert client.post(f"/u/{forged}:{stamp}:{signature}/").status_code == 400
    assert not Suppression.objects.exists()


def test_a_link_of_a_deleted_account_is_not_found(client, make_account):
    gone = make_account("Gone Ltd")
    token = unsubscribe.make_token(gone.pk, "a@example.com")
    gone.delete()
    assert client.get(f"/u/{token}/").status_code == 400


def test_too_many_requests_from_one_address_are_refused(client, link):
    codes = [client.get(path_of(link)).status_code for _ in range(31)]
    assert codes[:30] == [200] * 30 and codes[30] == 429


# --- Activation ------------------------------------------------------------------------------


def test_a_customer_email_cannot_be_activated_without_a_public_address(
    settings, api_client, client, manager, account, auth
):
    workflow = services.create_workflow(
        account=account,
        created_by=manager,
        steps=[{"type": "send_email", "config": SURVEY}],
        name="Survey",
        event="shipment_created",
        authentication=auth,
    )
    settings.PUBLIC_BASE_URL = ""
    api_client.force_authenticate(manager)
    response = api_client.post(f"/api/v1/workflows/{workflow.pk}/activate/")
    assert response.status_code == 400 and "set PUBLIC_BASE_URL" in response.json()["detail"]
    client.force_login(manager)
    page = client.post(f"/workflows/{workflow.pk}/activate/", follow=True).content.decode()
    assert "Not activated: This workflow emails customers" in page
    workflow.refresh_from_db()
    assert workflow.status == "draft"


def test_behind_a_proxy_each_client_has_its_own_limit(client, link, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(30):
        client.get(path_of(link), HTTP_X_FORWARDED_FOR="198.51.100.7")
    # A forged entry to the left doesn't buy another bucket; another client still gets in
    refused = client.get(path_of(link), HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.7")
    assert refused.status_code == 429
    assert client.get(path_of(link), HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 200
