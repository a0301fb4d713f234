"""The suite's shared pytest fixtures, all in this one file: accounts and users, BigCommerce
(mocked with `responses`, or the stand-in on loopback), authentications, workflows and runs,
deliveries, loopback servers and network guards, and the children of multi-process tests. (A
fixture only one module needs stays in that module; tests/browser/conftest.py holds the
browser's Playwright fixtures.)

They wrap the plain helpers of tests.factories (models, delivery bodies), tests.servers
(FakeStore, RecordingServer, FakeResolver) and tests.harness (real processes).
"""

from __future__ import annotations

import functools
import ipaddress
import itertools
import json
import secrets
import socket
import uuid

import pytest
import responses
from django.db import connection
from urllib3.util import connection as urllib3_connection

from integrations.standin import StandIn
from tests import factories, harness
from tests.factories import (  # noqa: F401 (also importable from here, as they used to be)
    ACCESS_TOKEN,
    BC_BASE,
    CLIENT_ID,
    EMAIL_STEP,
    MARK,
    STANDIN_STORE,
    STORE_HASH,
    load_bigcommerce_example,
)
from tests.servers import FakeResolver, FakeStore, RecordingServer, reply


@pytest.fixture
def bc_example():
    return load_bigcommerce_example


# --- Accounts and users ---------------------------------------------------------------------


@pytest.fixture
def make_account(db):
    return factories.make_account


@pytest.fixture
def make_user(db):
    """make_user(account, username, integration_manager=False, staff=False, superuser=False)"""
    return factories.make_user


@pytest.fixture
def account(make_account):
    return make_account("Acme T-Shirts")


@pytest.fixture
def other_account(make_account):
    return make_account("Rival Mugs")


@pytest.fixture
def manager(make_user, account):
    """A team member with the Integration Manager permission."""
    return make_user(account, "manny", integration_manager=True)


@pytest.fixture
def member(make_user, account):
    """A team member without the Integration Manager permission."""
    return make_user(account, "mel")


@pytest.fixture
def account_admin(make_user, account):
    return make_user(account, "ada", staff=True, integration_manager=True)


@pytest.fixture
def other_admin(make_user, other_account):
    return make_user(other_account, "otto", staff=True, integration_manager=True)


@pytest.fixture
def other_member(make_user, other_account):
    return make_user(other_account, "olga", integration_manager=True)


@pytest.fixture
def superuser(make_user):
    return make_user(None, "root", superuser=True)


# --- Clients --------------------------------------------------------------------------------


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def as_manager(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def as_member(client, member):
    client.force_login(member)
    return client


@pytest.fixture
def api_session(manager):
    """A `requests` session with the manager's API token, for servers on loopback."""
    from rest_framework.authtoken.models import Token

    session = harness.session(Token.objects.create(user=manager).key)
    yield session
    session.close()


# --- BigCommerce, mocked with `responses` ---------------------------------------------------


def store_info(request):
    """BigCommerce's `GET /stores/{hash}/v2/store` (a `responses` callback): the store's
    information for the good credentials, 401 for any other token, 404 for any other store."""
    if f"/stores/{STORE_HASH}/" not in request.url:
        return (404, {}, json.dumps({"status": 404, "title": "Not found"}))
    if request.headers.get("X-Auth-Token") != ACCESS_TOKEN:
        return (401, {}, json.dumps({"status": 401, "title": "Unauthorized"}))
    body = load_bigcommerce_example("v2_store_information_response.json")
    body["name"] = "XYZ T-Shirts"
    return (200, {"Content-Type": "application/json"}, json.dumps(body))


@pytest.fixture
def mocked_bc():
    """`responses` active for the test; BigCommerce's store-info endpoint answers for the good
    credentials and 401s for any other token."""

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add_callback(
            responses.GET, f"{BC_BASE}/stores/{STORE_HASH}/v2/store", callback=store_info
        )
        yield rsps


@pytest.fixture
def fast_password_hashing(settings):
    """For tests that make many users: a fast hasher instead of the real one."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def store(settings):
    """BigCommerce's read and hooks APIs for STORE_HASH, mocked with state (tests.servers)."""
    settings.BIGCOMMERCE_MAX_RETRIES = 0  # the pipeline's own retry policy is under test
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield FakeStore(rsps)


@pytest.fixture
def no_network():
    """Any HTTP call not mocked fails at once (nothing leaves the machine); the mock is yielded,
    so a test can count the calls that were tried."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def sleeps():
    """Pass `sleeps.append` as a BigCommerceClient's `sleep`: its waits are recorded, not slept."""
    return []


# --- Authentications and workflows ----------------------------------------------------------


@pytest.fixture
def make_authentication(db):
    """make_authentication(account, name="Main store", **fields): stored directly (already
    verified), skipping the BigCommerce call."""
    return factories.make_authentication


@pytest.fixture
def auth(make_authentication, account):
    return make_authentication(account)


@pytest.fixture
def other_auth(make_authentication, other_account):
    return make_authentication(other_account, name="Rival store")


@pytest.fixture
def make_workflow(account, auth):
    """make_workflow(event="shipment_created", name="Survey", status="active", **fields): a
    workflow row without steps, on `auth` unless `authentication=` is given, its subscription
    wanted when active (tests.factories.make_workflow)."""

    return functools.partial(factories.make_workflow, account=account, authentication=auth)


@pytest.fixture
def create_workflow(account, auth, manager):
    """create_workflow(name="Post-shipment survey", steps=[SEND_EMAIL], event=..., **fields): a
    draft made by the manager through workflows.services, as the UI and the API make one."""

    return functools.partial(
        factories.create_workflow, account=account, created_by=manager, authentication=auth
    )


@pytest.fixture
def workflow(create_workflow):
    return create_workflow()


@pytest.fixture
def other_workflow(create_workflow, other_account, other_auth, other_member):
    return create_workflow(
        name="Rival flow",
        account=other_account,
        authentication=other_auth,
        created_by=other_member,
    )


@pytest.fixture
def run(workflow, manager):
    from workflows import services

    return services.run_test_event(workflow, manager)


@pytest.fixture
def failed_run(workflow):
    from workflows.models import RunStatus, WorkflowRun

    return WorkflowRun.objects.create(
        workflow=workflow,
        status=RunStatus.FAILED,
        error="Not sent: SMTP down",
        merge_data={
            "BigCommerce | Order | customer_id": 11,
            "BigCommerce | Customer | accepts_product_review_abandoned_cart_emails": True,
            "BigCommerce | Customer | email": "jane@example.com",
            "BigCommerce | Customer | first_name": "Jane",
        },
    )


@pytest.fixture
def victim(make_authentication, make_user, account, manager):
    """Account A's objects, one of each kind by model label, every name carrying MARK."""
    from django.utils import timezone

    from integrations.models import WebhookDelivery
    from integrations.subscriptions import subscription_for
    from surveys.models import SurveyResponse
    from workflows.models import Job, StepResult, Suppression, WorkflowRun

    auth = make_authentication(account, name=f"Auth {MARK}", store_name=f"Store {MARK}")
    email = {"to": "a@example.com", "subject": f"S {MARK}", "body": "b"}
    workflow = factories.create_workflow(
        f"Flow {MARK}",
        [{"type": "send_email", "config": email}],
        account=account,
        created_by=manager,
        authentication=auth,
    )
    sub = subscription_for(auth, "shipment_created")
    delivery = WebhookDelivery.objects.create(
        subscription=sub,
        scope="store/shipment/created",
        store_hash=auth.store_hash,
        hash=f"hash-{MARK}",
        body="{}",
        status="dead",  # replayable: a replay that got through would change it
        last_error=f"Gave up {MARK}",
    )
    run = WorkflowRun.objects.create(
        workflow=workflow,
        delivery=delivery,
        status="failed",
        error=f"Failed {MARK}",
        merge_data={"BigCommerce | Customer | email": f"{MARK}@example.com"},
        finished_at=timezone.now(),
    )
    StepResult.objects.create(
        run=run, position=0, type="send_email", status="failed", detail=f"Not sent {MARK}"
    )
    survey = factories.make_survey(account, name=f"Survey {MARK}")
    invitation, _token = factories.make_invitation(survey, f"{MARK}@example.com", run=run)
    response = SurveyResponse.objects.create(
        invitation=invitation, survey=survey, run=run, answers={"comment": f"Said {MARK}"}
    )
    user = make_user(account, f"user-{MARK}")
    suppression = Suppression.objects.create(
        account=account, email=f"{MARK}@example.com", reason="manual", source=f"Import {MARK}"
    )
    job = Job.objects.create(
        kind="replay_deliveries",
        account=account,
        created_by=manager,
        params={"filters": "", "max_id": delivery.pk},
        total=1,
        errors=[{"id": None, "error": f"Note {MARK}"}],
        error_count=1,
    )
    return {
        "integrations.BigCommerceAuthentication": auth,
        "integrations.WebhookSubscription": sub,
        "integrations.WebhookDelivery": delivery,
        "workflows.Workflow": workflow,
        "workflows.WorkflowRun": run,
        "workflows.Job": job,
        "workflows.Suppression": suppression,
        "surveys.Survey": survey,
        "surveys.Invitation": invitation,
        "surveys.SurveyResponse": response,
        "accounts.User": user,
        "accounts.Account": account,
    }


# --- Deliveries -----------------------------------------------------------------------------


@pytest.fixture
def post_delivery(client, django_capture_on_commit_callbacks):
    """post_delivery(sub, body, secret=None, raw=None, **headers): POST a delivery to a
    subscription's URL like BigCommerce does; tasks run inline (tests.factories.post_delivery)."""

    def post(sub, body, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return factories.post_delivery(client, sub, body, **kwargs)

    return post


@pytest.fixture
def make_delivery(auth):
    """make_delivery(event, status="dead", order_id=251, authentication=auth, **fields): a
    stored delivery with a body BigCommerce could have sent (so it can be processed again)."""
    from integrations.events import get_event
    from integrations.models import WebhookDelivery
    from integrations.subscriptions import subscription_for

    numbers = itertools.count(1)

    def make(event="shipment_created", status="dead", order_id=251, **fields):
        sub = subscription_for(fields.pop("authentication", auth), event)
        number = next(numbers)
        data = {"orderId": order_id} if order_id is not None else {}
        body = factories.delivery_body(event, **data)
        body["hash"] = f"{event}-{number}"
        defaults = {
            "attempts": 6 if status == "dead" else 1,
            "last_error": "Gave up after 6 attempts: BigCommerce is down"
            if status == "dead"
            else "",
        }
        return WebhookDelivery.objects.create(
            subscription=sub,
            scope=get_event(event).scope,
            store_hash=sub.authentication.store_hash,
            hash=body["hash"],
            body=json.dumps(body),
            status=status,
            order_id=order_id if event != "cart_abandoned" else None,
            **{**defaults, **fields},
        )

    return make


@pytest.fixture
def survey(make_workflow):
    """survey(name="Survey", to=..., event=..., **workflow fields): an active workflow whose one
    step emails `to` (by default the customer: a customer email, through the sending gate)."""
    from workflows.models import Step

    def make(name="Survey", to=factories.SURVEY["to"], event="shipment_created", **fields):
        workflow = make_workflow(event, name=name, **fields)
        Step.objects.create(
            workflow=workflow, position=0, type="send_email", config={**factories.SURVEY, "to": to}
        )
        return workflow

    return make


@pytest.fixture
def fire(auth, post_delivery):
    """fire(event="shipment_created", **data): BigCommerce delivers the event (a new hash each
    time, and after the first a new shipment or cart unless `id` is given) to `auth`'s
    subscription; it must be answered 200."""
    from integrations.subscriptions import subscription_for

    counter = iter(range(1000, 10**6))

    def fire(event="shipment_created", **data):
        number = next(counter)
        if number > 1000 and "id" not in data:  # another event: another shipment or cart
            resource_id = factories.event_resource_id(event, number)
            if resource_id is not None:
                data["id"] = resource_id
        body = factories.delivery_body(event, **data)
        body["hash"] = f"hash-{number}"
        response = post_delivery(subscription_for(auth, event), body)
        assert response.status_code == 200

    return fire


@pytest.fixture
def relay_mode(monkeypatch):
    """Tasks are not run inline on receipt: deliveries wait for a relay, as in production."""
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)


# --- Loopback servers and network guards ----------------------------------------------------


@pytest.fixture
def recording_server():
    """A loopback HTTP server recording what it receives (tests.servers.RecordingServer)."""
    with RecordingServer() as server:
        yield server


@pytest.fixture
def loopback_receiver(settings, recording_server):
    """An allowlisted loopback server answering 204 at /hooks/survey."""
    recording_server.routes["/hooks/survey"] = reply(204)
    settings.OUTBOUND_HTTP_ALLOWLIST = [f"127.0.0.1:{recording_server.port}"]
    return recording_server


@pytest.fixture
def connections(monkeypatch):
    """Every outbound socket connect, (host, port), is recorded; one to anything but loopback
    fails the test. Apply it to a module with `pytestmark = pytest.mark.usefixtures(...)`."""
    real_create_connection = urllib3_connection.create_connection
    targets: list[tuple[str, int]] = []

    def guarded(address, *args, **kwargs):
        targets.append(address)
        try:
            loopback = ipaddress.ip_address(address[0]).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            pytest.fail(f"test tried to connect to non-loopback {address}")
        return real_create_connection(address, *args, **kwargs)

    monkeypatch.setattr(urllib3_connection, "create_connection", guarded)
    return targets


@pytest.fixture
def resolver(monkeypatch):
    """No real DNS: IP literals and `resolver.table` only (tests.servers.FakeResolver)."""
    import socket

    fake = FakeResolver()
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return fake


# --- The BigCommerce stand-in and real processes --------------------------------------------


@pytest.fixture
def store_token():
    """A fresh access token per test, so a leak can be searched for without false hits."""
    return f"tok{secrets.token_hex(16)}"


@pytest.fixture
def standin(settings, store_token):
    """The BigCommerce stand-in on a free loopback port, serving STANDIN_STORE to store_token;
    the app talks to it."""
    if settings.REDIS_URL:  # another test's small quota, kept in Redis, must not hold this one
        from integrations.bigcommerce.quota import RedisLedger

        RedisLedger(settings.REDIS_URL).forget(STANDIN_STORE)
    with StandIn(port=0, stores={STANDIN_STORE: store_token}) as server:
        settings.BIGCOMMERCE_API_BASE_URL = server.base_url
        settings.WEBHOOK_ALLOW_HTTP = True
        settings.BIGCOMMERCE_MAX_RETRIES = 0  # the pipeline's own retry policy is under test
        yield server


@pytest.fixture
def live_standin(standin, settings, live_server):
    """The stand-in, with webhooks pointing at the live server."""
    settings.PUBLIC_BASE_URL = live_server.url
    return standin


@pytest.fixture
def standin_auth(db, account, manager, store_token):
    """A verified authentication for the stand-in's store."""
    return factories.make_authentication(
        account,
        "Stand-in",
        store_hash=STANDIN_STORE,
        client_id=f"cid{secrets.token_hex(12)}",
        access_token=store_token,
        store_name="",
        last_verified_at=None,
        created_by=manager,
    )


@pytest.fixture
def make_active_workflow(standin_auth, account, manager):
    """make_active_workflow(name, steps=[EMAIL_STEP]) -> (workflow, subscription), on the
    stand-in's store; no hook call.

    These tests count deliveries, runs and emails: the customer-safe sending rules that would
    hold repeats back (the stand-in has seven customers) are off unless a test sets them."""
    account.frequency_cap_emails = 0
    account.save(update_fields=["frequency_cap_emails"])

    def make(name="Survey", steps=None, event=factories.SHIPMENT, **fields):
        fields.setdefault("send_once_scope", "")
        workflow = factories.create_workflow(
            name,
            [EMAIL_STEP] if steps is None else steps,
            event,
            account=account,
            created_by=manager,
            authentication=standin_auth,
            **fields,
        )
        return workflow, factories.activate_quietly(workflow)

    return make


@pytest.fixture
def log_dir(request):
    """Where the children's logs go: test-artifacts/logs/<database>/<test> (read them when a
    test fails). One folder per database pass too: CI runs the two passes side by side."""
    name = request.node.name.replace("/", "_")[:80]
    path = harness.ARTIFACTS / "logs" / connection.vendor / name
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob("*.log"):
        old.unlink()
    return path


@pytest.fixture
def no_sockets(monkeypatch):
    """No connection may be opened: any attempt is recorded and refused (for tests where
    validation alone must decide, and where generated input could name a host). Host names
    may be looked up, from a fake resolver that knows none (a URL's host is checked at save)."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network use during validation")

    monkeypatch.setattr(socket, "getaddrinfo", FakeResolver())
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


@pytest.fixture
def maildir(tmp_path):
    """Where children's emails land (Django's file email backend: one message per send); read
    them with harness.sent_emails."""
    path = tmp_path / "mail"
    path.mkdir()
    return path


@pytest.fixture
def cluster_name():
    """A private queue name; on Redis its leftovers are removed afterwards."""
    name = f"rel-{uuid.uuid4().hex[:10]}"
    yield name
    if harness.redis_broker():
        from django_q.brokers import get_broker

        get_broker(name).delete_queue()


@pytest.fixture
def env(standin, settings, maildir, cluster_name):
    """Children: this test's database and broker, the stand-in, a private queue, file email."""
    return harness.child_env(
        Q_CLUSTER_NAME=cluster_name,
        Q_WORKERS="2",
        EMAIL_URL=f"filemail:///{maildir}",  # django-environ wants the extra slash
        BIGCOMMERCE_MAX_RETRIES="0",
        **({"REDIS_URL": settings.REDIS_URL} if settings.REDIS_URL else {}),
    )


@pytest.fixture
def to_cluster(monkeypatch, cluster_name):
    """Tasks enqueued by this test process go to the children's broker queue, not inline."""
    from django_q.conf import Conf

    from workflows import broker

    monkeypatch.setattr(Conf, "SYNC", False)
    monkeypatch.setattr(Conf, "CLUSTER_NAME", cluster_name)
    monkeypatch.setattr(Conf, "PREFIX", cluster_name)  # the payload signing salt
    broker.shared_broker.cache_clear()  # the app keeps one broker per process, named after it
    yield
    broker.shared_broker.cache_clear()


@pytest.fixture
def no_schedules(transactional_db):
    """The cluster's scheduler stays idle: tests drive the sweeper themselves, when they mean to."""
    from django_q.models import Schedule

    Schedule.objects.all().delete()


# --- Every test -----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def q_sync(monkeypatch):
    """Tasks run inline, in the test's process and transaction; tests of real clusters opt out."""
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", True)


@pytest.fixture(autouse=True)
def _no_public_url(settings):
    settings.PUBLIC_BASE_URL = "https://workflows.example.com"
    settings.WEBHOOK_ALLOW_HTTP = False
    settings.BIGCOMMERCE_API_BASE_URL = BC_BASE


# --- Network --------------------------------------------------------------------------------

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


@pytest.fixture(autouse=True)
def _no_real_dns(monkeypatch):
    """No test resolves a real name: IP literals and localhost resolve as usual, any other name
    is unknown (a test that needs names installs its own fake resolver over this one)."""
    real = socket.getaddrinfo

    def guarded(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name is None or str(name).lower().rstrip(".") in LOOPBACK_NAMES:
            return real(host, *args, **kwargs)
        try:
            ipaddress.ip_address(str(name).split("%", 1)[0])
        except ValueError:
            raise socket.gaierror(socket.EAI_NONAME, "Name not known (tests do no DNS)") from None
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)
