"""The webhook receiver: authenticate, bound, validate, store once, answer 200."""

import json

import pytest

from integrations.models import WebhookDelivery
from integrations.subscriptions import SECRET_HEADER, subscription_for
from tests.factories import delivery_body
from workflows.models import WorkflowRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def sub(make_workflow, auth):
    make_workflow("shipment_created")
    return subscription_for(auth, "shipment_created")


def test_valid_delivery_is_stored_then_answered_200(sub, post_delivery, store):
    # When BigCommerce delivers a shipment
    response = post_delivery(sub, delivery_body("shipment_created"))
    # Then it is answered with an empty 200 and stored with redacted headers
    assert response.status_code == 200
    assert response.content == b""
    delivery = WebhookDelivery.objects.get()
    assert delivery.hash == "8b98021cb0faa7e3a58a0e4182d3696a4bdd24ab"
    assert delivery.scope == "store/shipment/created"
    assert delivery.store_hash == sub.authentication.store_hash
    assert json.loads(delivery.body)["data"]["orderId"] == 251
    assert sub.secret not in json.dumps(delivery.headers)


def test_duplicate_hash_stores_and_runs_nothing_new(sub, post_delivery, store):
    body = delivery_body("shipment_created")
    assert post_delivery(sub, body).status_code == 200
    assert post_delivery(sub, body).status_code == 200
    assert WebhookDelivery.objects.count() == 1
    assert WorkflowRun.objects.count() == 1


def test_unknown_subscription_is_404(client):
    response = client.post(
        "/webhooks/bigcommerce/6f1c1d7e-0000-4000-8000-000000000000/",
        "{}",
        content_type="application/json",
    )
    assert response.status_code == 404


@pytest.mark.parametrize("secret", ["", "wrong-secret", "x" * 64])
def test_missing_or_wrong_secret_is_401(sub, post_delivery, secret):
    response = post_delivery(sub, delivery_body("shipment_created"), secret=secret)
    assert response.status_code == 401
    assert not WebhookDelivery.objects.exists()


def test_get_is_405(sub, client):
    assert client.get(f"/webhooks/bigcommerce/{sub.uuid}/").status_code == 405


def test_oversized_body_is_413(sub, post_delivery):
    body = delivery_body("shipment_created")
    body["padding"] = "x" * (64 * 1024)
    assert post_delivery(sub, body).status_code == 413
    assert not WebhookDelivery.objects.exists()


def test_a_chunked_delivery_is_read_and_stored(sub, post_delivery, store):
    # Given a valid delivery sent in chunks (no Content-Length), as a proxy may forward it
    body = delivery_body("shipment_created")
    # When it arrives
    response = post_delivery(sub, body, chunked=True)
    # Then it is read like any other: stored once, answered 200, processed
    assert response.status_code == 200, response.content
    delivery = WebhookDelivery.objects.get()
    assert json.loads(delivery.body) == body
    assert delivery.status == "processed"


def test_a_chunked_body_over_the_limit_is_413(sub, post_delivery, settings):
    # Given a chunked body one byte over WEBHOOK_MAX_BODY_BYTES (no Content-Length to refuse)
    body = delivery_body("shipment_created")
    text = json.dumps(body)
    body["padding"] = "x" * (
        settings.WEBHOOK_MAX_BODY_BYTES - len(text) - len(', "padding": ""') + 1
    )
    assert len(json.dumps(body)) == settings.WEBHOOK_MAX_BODY_BYTES + 1
    # When / Then it is refused by size, like a declared one
    response = post_delivery(sub, body, chunked=True)
    assert response.status_code == 413
    assert f"over {settings.WEBHOOK_MAX_BODY_BYTES} bytes" in response.json()["error"]
    assert not WebhookDelivery.objects.exists()


def test_a_chunked_body_at_the_limit_is_accepted(sub, post_delivery, settings, store):
    body = delivery_body("shipment_created")
    text = json.dumps(body)
    body["padding"] = "x" * (settings.WEBHOOK_MAX_BODY_BYTES - len(text) - len(', "padding": ""'))
    assert len(json.dumps(body)) == settings.WEBHOOK_MAX_BODY_BYTES
    assert post_delivery(sub, body, chunked=True).status_code == 200


def test_a_chunked_body_the_server_cannot_read_is_411_not_invalid_json(sub, post_delivery):
    # Given a server that passes chunked bodies on undecoded (no wsgi.input_terminated)
    response = post_delivery(
        sub, delivery_body("shipment_created"), chunked=True, **{"wsgi.input_terminated": False}
    )
    # Then the sender is told to send a length, not that its JSON is invalid
    assert response.status_code == 411
    assert "Content-Length" in response.json()["error"]
    assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda b: b.update(scope="store/cart/abandoned"), "does not match this subscription"),
        (lambda b: b.update(producer="stores/otherstore"), "does not match this subscription"),
        (lambda b: b["data"].update(orderId=-1), "positive integer"),
        (lambda b: b["data"].update(id="twelve"), "positive integer"),
        (lambda b: b.pop("hash"), "'hash'"),
        (lambda b: b.pop("data"), "'data'"),
    ],
    ids=["wrong-scope", "wrong-store", "negative-order", "bad-shipment-id", "no-hash", "no-data"],
)
def test_an_authenticated_body_we_cannot_use_is_kept_as_unusable(
    sub, post_delivery, mutate, reason, store
):
    # Given a delivery with the right secret whose body does not fit its subscription
    body = delivery_body("shipment_created")
    mutate(body)
    # When it arrives
    response = post_delivery(sub, body)
    # Then it is answered 200 (a 4xx would have BigCommerce retry and deactivate the hook)
    assert response.status_code == 200
    # And it is kept, once, as unusable with the reason, and nothing is fetched or run
    (kept,) = WebhookDelivery.objects.all()
    assert kept.status == "unusable" and reason in kept.last_error
    assert store.resource_calls() == []
    assert post_delivery(sub, body).status_code == 200  # BigCommerce's retry: a duplicate
    assert WebhookDelivery.objects.count() == 1


def test_not_json_is_kept_as_unusable(sub, post_delivery):
    assert post_delivery(sub, None, raw="not json{").status_code == 200
    assert WebhookDelivery.objects.get().last_error == "Unusable body: Body is not valid JSON."


def test_secret_header_name_is_what_registration_sends():
    assert SECRET_HEADER == "X-Webhook-Secret"


def test_non_utf8_body_is_kept_as_unusable_not_500(sub, post_delivery):
    raw = json.dumps(delivery_body("shipment_created")).encode("utf-16")
    response = post_delivery(sub, None, raw=raw)
    assert response.status_code == 200
    assert "UTF-8" in WebhookDelivery.objects.get(status="unusable").last_error


def test_lone_surrogate_hash_is_kept_as_unusable(sub, post_delivery):
    body = json.dumps(delivery_body("shipment_created")).replace('"hash": "', '"hash": "\\ud800')
    assert post_delivery(sub, None, raw=body).status_code == 200
    assert "Unicode" in WebhookDelivery.objects.get(status="unusable").last_error


def test_a_wrong_secret_is_still_refused_whatever_the_body(sub, post_delivery):
    # Given a body we could not use, sent without the subscription's secret
    response = post_delivery(sub, None, raw="not json{", secret="wrong")
    # Then it is refused and nothing is kept: only an authenticated delivery is stored
    assert response.status_code == 401
    assert not WebhookDelivery.objects.exists()


def test_control_characters_in_kept_headers_are_dropped(sub, post_delivery, store):
    # PostgreSQL's jsonb cannot hold NUL; the header is debugging aid, not evidence
    response = post_delivery(
        sub, delivery_body("shipment_created"), HTTP_USER_AGENT="Bigcommerce\x00/1"
    )
    assert response.status_code == 200
    assert WebhookDelivery.objects.get().headers["User-Agent"] == "Bigcommerce/1"


@pytest.mark.django_db(transaction=True)
def test_subscription_deleted_while_cached_is_404_not_500(
    make_workflow, auth, post_delivery, store
):
    # Given a subscription the receiver has seen (and cached)
    from integrations.models import WebhookSubscription

    make_workflow("shipment_created")
    sub = subscription_for(auth, "shipment_created")
    assert post_delivery(sub, delivery_body("shipment_created")).status_code == 200
    # When it is deleted and BigCommerce delivers again
    WebhookSubscription.objects.filter(pk=sub.pk).delete()
    body = delivery_body("shipment_created")
    body["hash"] = "another-event"
    # Then the answer is 404, as for any unknown subscription
    assert post_delivery(sub, body).status_code == 404
