"""Hostile webhook input (tests/corpus/webhooks/*.json): answered 4xx — or 200 for a replay —
never 5xx; nothing stored, enqueued, run or fetched.

Each case runs in-process through the whole Django stack (middleware, view, receiver), with any
task it enqueued executed inline and any outbound HTTP caught. A slow twin replays the corpus
over real HTTP against the production web server with DEBUG off.
"""

from __future__ import annotations

import json
import logging
import uuid

import pytest

from integrations.models import WebhookDelivery
from tests import harness
from tests.factories import post_delivery, wanted_subscription
from tests.reliability import corpus, figures
from workflows.models import WorkflowRun

CASES = corpus.load()


@pytest.fixture
def subscriptions(make_authentication, account, other_account):
    """Ours (shipment and cart events, one store) and another account's, all wanted."""
    ours = make_authentication(account)
    theirs = make_authentication(other_account, name="Rival", store_hash="rival1")
    return {
        "shipment": wanted_subscription(ours, "shipment_created"),
        "cart": wanted_subscription(ours, "cart_abandoned"),
        "other": wanted_subscription(theirs, "shipment_created"),
    }


@pytest.fixture
def no_outbound(no_network):
    """Any outbound HTTP call is caught (and fails): nothing may be fetched for bad input."""
    return no_network


def send(client, request: corpus.Request):
    meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in request.headers.items()}
    if request.content_length is not None:
        meta["CONTENT_LENGTH"] = request.content_length
    return client.generic(
        request.method, request.path, request.body, content_type="application/json", **meta
    )


def case_context(case: corpus.Case, subs) -> dict[str, str]:
    return corpus.context(subs[case.subscription], subs["other"], uuid.uuid4())


def test_the_corpus_is_big_enough_and_well_formed():
    assert len(CASES) >= 50
    for case in CASES:
        assert case.spec["description"] and isinstance(case.expect_status, int), case.name
        accepted = case.is_replay or case.stored_unusable
        assert case.expect_status < 500 and (case.expect_status == 200) == accepted


@pytest.mark.django_db
def test_control_the_untouched_base_delivery_is_accepted(client, subscriptions, no_outbound):
    # The corpus changes one thing at a time in a valid delivery: the base itself is accepted
    for kind in ("shipment", "cart"):
        case = corpus.Case("control", {"base": "valid", "subscription": kind})
        response = send(client, case.request(case_context(case, subscriptions)))
        assert response.status_code == 200
    assert WebhookDelivery.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_webhook(
    case, client, subscriptions, no_outbound, django_capture_on_commit_callbacks, caplog
):
    # Given our subscriptions (and, for a replay, the original delivery already stored)
    ctx = case_context(case, subscriptions)
    client.raise_request_exception = False  # a crash must show as the 500 a client would get
    if case.is_replay:
        original = case.original_body(ctx)
        first = client.post(
            f"/webhooks/bigcommerce/{ctx['sub']}/",
            original,
            content_type="application/json",
            HTTP_X_WEBHOOK_SECRET=ctx["secret"],
        )
        assert first.status_code == 200
    deliveries_before = list(WebhookDelivery.objects.values_list("pk", "body"))
    caplog.set_level(logging.WARNING)

    # When the hostile request arrives (anything it enqueues would run inline)
    with django_capture_on_commit_callbacks(execute=True) as enqueued:
        response = send(client, case.request(ctx))

    # Then it is answered as expected, never with a server error
    assert response.status_code == case.expect_status, (case.spec["description"], response)
    assert response.status_code < 500
    assert ctx["secret"].encode() not in response.content
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    # And nothing was stored (an unusable body: kept once, as such), enqueued, run or fetched
    new = WebhookDelivery.objects.exclude(pk__in=[pk for pk, _ in deliveries_before])
    if case.stored_unusable:
        (kept,) = new
        assert kept.status == "unusable" and kept.last_error.startswith("Unusable body: ")
        assert ctx["secret"] not in json.dumps(kept.headers)
    else:
        assert list(new) == []
    assert enqueued == []
    assert not WorkflowRun.objects.exists()
    assert len(no_outbound.calls) == 0


@pytest.mark.django_db
def test_hostile_headers_on_a_valid_delivery_are_stored_clean(client, subscriptions, no_outbound):
    # Given a valid delivery whose kept headers carry NUL, CR/LF and oversized values
    sub = subscriptions["shipment"]
    case = corpus.Case("headers", {"base": "valid"})
    body = case.request(case_context(case, subscriptions)).body
    response = post_delivery(
        client,
        sub,
        None,
        raw=body,
        HTTP_USER_AGENT="Bigcommerce\x00Hooks\r\nX-Injected: 1",
        HTTP_X_BC_TRACE="\x00" * 10 + "t" * 5000,
        HTTP_X_FORWARDED_FOR="203.0.113.9\x7f",
    )
    # Then it is accepted and stored once, with the headers cleaned, cut, and the secret redacted
    assert response.status_code == 200
    (stored,) = WebhookDelivery.objects.all()
    text = json.dumps(stored.headers)
    assert "\\u0000" not in text and "\\r" not in text and "\\u007f" not in text
    assert all(len(value) <= 500 for value in stored.headers.values())
    assert sub.secret not in text and "[redacted]" in text


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_hostile_corpus_over_real_http(subscriptions, log_dir, cluster_name):
    # Given the web server as in production (DEBUG off), with no BigCommerce reachable
    env = harness.child_env(
        DEBUG="false",
        SECURE_SSL_REDIRECT="false",
        BIGCOMMERCE_API_BASE_URL="http://127.0.0.1:9",
        Q_CLUSTER_NAME=cluster_name,
    )
    web, url = harness.start_web(env, log_dir, threads=4)
    cases = [c for c in CASES if not c.in_process_only]
    outcomes: dict[str, tuple[int, int]] = {}  # case -> (status, deliveries stored by it)
    try:
        with harness.session() as session:
            for case in cases:
                ctx = case_context(case, subscriptions)
                if case.is_replay:
                    session.post(
                        f"{url}/webhooks/bigcommerce/{ctx['sub']}/",
                        data=case.original_body(ctx),
                        headers={corpus.SECRET_HEADER: ctx["secret"]},
                        timeout=30,
                    ).raise_for_status()
                stored_before = WebhookDelivery.objects.count()
                request = case.request(ctx)
                response = session.request(
                    request.method,
                    url + request.path,
                    data=request.body,
                    # A fresh connection per case: the server may close one whose body it
                    # refused to read, and a reused one would fail on the client side.
                    headers={
                        "Content-Type": "application/json",
                        "Connection": "close",
                        **request.headers,
                    },
                    allow_redirects=False,
                    timeout=30,
                )
                stored = WebhookDelivery.objects.count() - stored_before
                outcomes[case.name] = (response.status_code, stored)
    finally:
        web.stop()

    # Then every case got its expected answer over HTTP too and stored nothing; no 5xx at all
    # (Chunked bodies have their own test: test_chunked_deliveries.)
    expected = {c.name: (c.expect_status, int(c.stored_unusable)) for c in cases}
    wrong = {n: (outcomes.get(n), want) for n, want in expected.items() if outcomes.get(n) != want}
    assert wrong == {}, wrong
    assert "Internal Server Error" not in web.log() and "Traceback" not in web.log()
    statuses = [status for status, _ in outcomes.values()]
    figures.record(
        "hostile_webhooks_http",
        cases=len(outcomes),
        server_errors=sum(1 for s in statuses if s >= 500),
        by_status={str(s): statuses.count(s) for s in sorted(set(statuses))},
    )
