"""Chunked deliveries (Transfer-Encoding: chunked, no Content-Length) over real HTTP: gunicorn
as in production (DEBUG off), its sync and its threaded workers. A valid body is stored like
any other, never refused as "not valid JSON"; the size limit holds without a declared length.
"""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from integrations.models import WebhookDelivery
from integrations.subscriptions import SECRET_HEADER
from tests import harness
from tests.factories import shipment

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(params=["serve", 1, 4], ids=["production-server", "gunicorn-sync", "gthread"])
def web(request, log_dir, cluster_name):
    """DEBUG off: the production web server (waitress), or gunicorn with one worker, sync (the
    shape for behind a buffering proxy) or 4 threads."""
    env = harness.child_env(
        DEBUG="false",
        SECURE_SSL_REDIRECT="false",
        BIGCOMMERCE_API_BASE_URL="http://127.0.0.1:9",
        Q_CLUSTER_NAME=cluster_name,
    )
    if request.param == "serve":
        child, url = harness.start_web(env, log_dir, processes=1)
    else:
        child, url = harness.start_gunicorn(env, log_dir, workers=1, threads=request.param)
    yield url
    child.stop()
    assert "Traceback" not in child.log()


def post_chunked(url: str, sub, chunks: list[bytes]) -> tuple[int, bytes, dict]:
    """POST `chunks` as a chunked body (http.client frames each one); status, body, headers."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(
            "POST",
            f"/webhooks/bigcommerce/{sub.uuid}/",
            body=iter(chunks),
            headers={"Content-Type": "application/json", SECRET_HEADER: sub.secret},
            encode_chunked=True,
        )
        response = conn.getresponse()
        return response.status, response.read(), dict(response.getheaders())
    finally:
        conn.close()


def split(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def padded(
    order_id: int, size: int, event_hash: str | None = None, shipment_id: int | None = None
) -> bytes:
    """A valid delivery padded with an extra field to exactly `size` bytes."""
    delivery = shipment(order_id, event_hash, shipment_id=shipment_id)
    delivery["padding"] = ""
    delivery["padding"] = "x" * (size - len(json.dumps(delivery)))
    body = json.dumps(delivery).encode()
    assert len(body) == size
    return body


def test_a_valid_chunked_delivery_is_stored(web, make_active_workflow):
    # Given an active workflow's subscription, and valid deliveries (three shipments of one
    # order) cut into chunks
    _wf, sub = make_active_workflow()
    limit = settings.WEBHOOK_MAX_BODY_BYTES
    cases = {
        "50-byte-chunks": split(
            json.dumps(shipment(1001, "chunked-50", shipment_id=5001)).encode(), 50
        ),
        "1-byte-chunks": split(
            json.dumps(shipment(1001, "chunked-1", shipment_id=5002)).encode(), 1
        ),
        "at-the-limit": split(padded(1001, limit, "chunked-limit", shipment_id=5003), 4096),
    }
    for case, chunks in cases.items():
        # When BigCommerce (or a proxy in front) sends one chunked, without a Content-Length
        status, answer, _ = post_chunked(web, sub, chunks)
        # Then it is answered 200 and stored as sent
        assert (status, answer) == (200, b""), (case, answer)
        stored = json.loads(
            WebhookDelivery.objects.get(hash=json.loads(b"".join(chunks))["hash"]).body
        )
        assert stored == json.loads(b"".join(chunks))
    assert WebhookDelivery.objects.count() == 3


def test_a_chunked_body_over_the_limit_is_413(web, make_active_workflow):
    # Given a valid delivery padded to one byte over WEBHOOK_MAX_BODY_BYTES, sent chunked
    _wf, sub = make_active_workflow()
    limit = settings.WEBHOOK_MAX_BODY_BYTES
    body = padded(1002, limit + 1)
    # When it is sent in 4 KiB chunks
    status, answer, headers = post_chunked(web, sub, split(body, 4096))
    # Then it is refused by size, as a declared length would be, and nothing is stored
    assert status == 413, answer
    assert headers["Content-Type"] == "application/json"
    assert json.loads(answer) == {"error": f"Body over {limit} bytes."}
    assert not WebhookDelivery.objects.exists()
