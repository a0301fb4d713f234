import json
import pytest
from integrations.models import WebhookDelivery
from tests.pipeline.conftest import delivery_body, auth, make_workflow, store  # noqa

pytestmark = pytest.mark.django_db

@pytest.mark.parametrize("name,raw,meta", [
    ("utf16", json.dumps(delivery_body("shipment_created")).encode("utf-16"), {}),
    ("utf16le", json.dumps(delivery_body("shipment_created")).encode("utf-16-le"), {}),
    ("surrogate-escape", json.dumps({**delivery_body("shipment_created"), "hash": "\ud800"}).encode(), {}),
    ("surrogate-raw", json.dumps(delivery_body("shipment_created")).replace('"hash": "', '"hash": "x').encode().replace(b'"hash": "x', b'"hash": "\xed\xa0\x80'), {}),
    ("ua-nul", json.dumps(delivery_body("shipment_created")).encode(), {"HTTP_USER_AGENT": "a\x00b"}),
    ("xbc-nul", json.dumps(delivery_body("shipment_created")).encode(), {"HTTP_X_BC_THING": "a\x00b"}),
    ("deep-ok", json.dumps({**delivery_body("shipment_created"), "x": json.loads("["*900 + "]"*900)}).encode(), {}),
])
def test_probe(make_workflow, auth, client, name, raw, meta, store):
    from integrations.subscriptions import SECRET_HEADER, subscription_for
    make_workflow("shipment_created")
    sub = subscription_for(auth, "shipment_created")
    client.raise_request_exception = False
    r = client.post(f"/webhooks/bigcommerce/{sub.uuid}/", raw, content_type="application/json",
                    **{f"HTTP_{SECRET_HEADER.upper().replace('-', '_')}": sub.secret}, **meta)
    print(name, r.status_code, r.content[:200], WebhookDelivery.objects.values_list("status", "last_error"))
