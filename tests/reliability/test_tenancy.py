"""Tenant isolation and the Integration Manager permission, for every route of the URLconf.

The cases are generated from the URLconf (tests/reliability/urlconf.py) and the admin registry,
so a new endpoint is covered — or fails classification — without anyone adding a test:

- anonymous: every route but the public ones needs a login;
- another account's user: every object route answers 404 for every method it has, lists show
  none of the victim's rows, and nothing changes;
- a member without the Integration Manager permission: every BigCommerce write answers 403;
- another account's admin: the victim's admin pages are refused and its rows never listed.

Any outbound HTTP call (a write that got through would call BigCommerce) is caught and fails.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from integrations.models import WebhookDelivery, WebhookSubscription
from surveys.models import Question, Survey
from tests.factories import MARK, shipment
from tests.reliability import urlconf
from workflows.models import Step, StepResult, Suppression, Workflow, WorkflowRun

pytestmark = pytest.mark.django_db

ROUTES = urlconf.routes()
PRIVATE = [r for r in ROUTES if r.name not in urlconf.PUBLIC]
OBJECT_ROUTES = [r for r in PRIVATE if r.model_label()]
LIST_ROUTES = [r for r in PRIVATE if "pk" not in r.params]
API_WRITES = [(r, m) for r in PRIVATE if r.is_api for m in r.api_methods() if m not in ("get",)]
UI_BIGCOMMERCE = [
    r for r in PRIVATE if r.namespace in ("workflows", "authentications", "sending", "surveys")
]
ADMIN_MODELS = list(admin.site._registry)


@pytest.fixture(autouse=True)
def no_outbound(no_network):
    yield no_network
    assert len(no_network.calls) == 0, "a refused request reached BigCommerce"


def snapshot(account) -> list:
    """Every row of account A, to show that refused requests changed nothing."""
    rows = []
    for model, path in [
        (Workflow, "account"),
        (Step, "workflow__account"),
        (WorkflowRun, "workflow__account"),
        (StepResult, "run__workflow__account"),
        (WebhookDelivery, "subscription__authentication__account"),
        (WebhookSubscription, "authentication__account"),
        (Suppression, "account"),
        (Survey, "account"),
        (Question, "survey__account"),
    ]:
        rows.append(list(model.objects.filter(**{path: account}).order_by("pk").values()))
    auths = account.bigcommerce_authentications.order_by("pk").values()
    rows.append([{k: v for k, v in a.items() if k != "updated_at"} for a in auths])
    rows.append(list(account.users.order_by("pk").values("pk", "username", "is_staff")))
    return rows


def url_for(route: urlconf.Route, objects: dict) -> str:
    values = {
        "pk": lambda: objects[route.model_label()].pk,
        "position": lambda: 0,
        "index": lambda: 0,
        "branch": lambda: "then",
        "step_type": lambda: "send_email",
        "event": lambda: "shipment_created",
        "uuid": lambda: objects["integrations.WebhookSubscription"].uuid,
    }
    return reverse(route.name, kwargs={p: values[p]() for p in route.params})


def call(client, method: str, url: str):
    if method in ("post", "patch", "put"):
        return getattr(client, method)(url, {"name": "pwned"}, content_type="application/json")
    return getattr(client, method)(url)


# --- The URLconf is fully classified --------------------------------------------------------


def test_every_route_is_classified():
    known = {"pk", "position", "index", "branch", "step_type", "event", "uuid"}
    for route in PRIVATE:
        assert set(route.params) <= known, f"{route.name}: add its parameters to url_for"
        if "pk" in route.params:
            assert route.model_label(), f"{route.name}: map its pk in urlconf.OBJECT_ROUTES"
    assert {r.name for r in ROUTES} >= urlconf.PUBLIC
    assert len(OBJECT_ROUTES) >= 20 and len(API_WRITES) >= 10  # the generator found them


# --- Anonymous ------------------------------------------------------------------------------


@pytest.mark.parametrize("route", PRIVATE, ids=[r.name for r in PRIVATE])
def test_anonymous_is_sent_to_login(route, client, victim):
    before = snapshot(victim["accounts.Account"])
    url = url_for(route, victim)
    for method in ("get", "post"):
        response = call(client, method, url)
        if route.is_api:
            assert response.status_code in (401, 403, 405), (method, response.status_code)
        elif response.status_code != 405:
            assert response.status_code == 302, (method, response.status_code)
            assert response["Location"].startswith(reverse("login")), response["Location"]
    assert snapshot(victim["accounts.Account"]) == before


# --- Another account ------------------------------------------------------------------------


def test_control_the_victim_sees_its_own_rows(client, victim, manager, account_admin):
    # The checks below look for MARK: it does show where the victim's own users look
    client.force_login(manager)
    for name in ("workflows:list", "authentications:list", "api:workflow-list"):
        assert MARK.encode() in client.get(reverse(name)).content, name
    run = victim["workflows.WorkflowRun"]
    assert MARK.encode() in client.get(reverse("api:run-detail", args=[run.pk])).content
    client.force_login(account_admin)
    changelist = reverse("admin:workflows_workflow_changelist")
    assert MARK.encode() in client.get(changelist).content


@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=[r.name for r in OBJECT_ROUTES])
def test_other_account_gets_404_for_every_object_route(route, client, victim, other_member):
    # Given a user of another account, with the Integration Manager permission
    client.force_login(other_member)
    before = snapshot(victim["accounts.Account"])
    url = url_for(route, victim)
    methods = route.api_methods() if route.is_api else ["get", "post"]
    statuses = {}
    # When they read or write the victim's object by its id, with every method the route has
    for method in methods:
        response = call(client, method, url)
        statuses[method] = response.status_code
        assert MARK.encode() not in response.content
    # Then it does not exist for them (405 only for a method the page doesn't have), and
    # nothing changed
    assert set(statuses.values()) <= {404, 405} and 404 in statuses.values(), statuses
    assert snapshot(victim["accounts.Account"]) == before


@pytest.mark.parametrize("route", LIST_ROUTES, ids=[r.name for r in LIST_ROUTES])
def test_other_account_lists_show_none_of_the_victims_rows(route, client, victim, other_member):
    client.force_login(other_member)
    response = client.get(url_for(route, victim))
    assert response.status_code in (200, 302, 405), response.status_code
    assert MARK.encode() not in response.content


def test_other_account_wizard_offers_only_its_own_authentications(
    client, victim, other_member, make_authentication, other_account
):
    # Given another account with an authentication of its own, in the wizard's last step
    make_authentication(other_account, name="Their own")
    client.force_login(other_member)
    client.post(reverse("workflows:new-name"), {"name": "Mine"})
    client.post(reverse("workflows:new-initiator"), {"initiator": "bigcommerce"})
    client.post(reverse("workflows:new-event"), {"event": "shipment_created"})
    page = client.get(reverse("workflows:new-authentication"))
    # Then it lists theirs, never the victim's
    assert page.status_code == 200
    assert b"Their own" in page.content and MARK.encode() not in page.content
    # And choosing the victim's by id is refused
    response = client.post(
        reverse("workflows:new-authentication"),
        {
            "choice": "existing",
            "authentication": victim["integrations.BigCommerceAuthentication"].pk,
        },
    )
    assert response.status_code in (200, 400) and MARK.encode() not in response.content
    assert not Workflow.objects.filter(account=other_account).exists()


# --- A member without the Integration Manager permission ------------------------------------


@pytest.mark.parametrize(
    ("route", "method"), API_WRITES, ids=[f"{r.name}-{m}" for r, m in API_WRITES]
)
def test_member_gets_403_on_every_api_write(route, method, client, victim, member):
    client.force_login(member)
    before = snapshot(victim["accounts.Account"])
    response = call(client, method, url_for(route, victim))
    assert response.status_code == 403, response.content
    assert b"Integration Manager" in response.content
    assert snapshot(victim["accounts.Account"]) == before


@pytest.mark.parametrize("route", UI_BIGCOMMERCE, ids=[r.name for r in UI_BIGCOMMERCE])
def test_member_gets_403_on_every_bigcommerce_ui_write(route, client, victim, member):
    # Given a member without the permission, past the wizard's name step
    client.force_login(member)
    client.post(reverse("workflows:new-name"), {"name": "Mine"})
    before = snapshot(victim["accounts.Account"])
    url = url_for(route, victim)
    # When they open or submit any BigCommerce page of the UI
    statuses = {
        "get": client.get(url).status_code,
        "post": client.post(url, {"name": "pwned", "initiator": "bigcommerce"}).status_code,
    }
    if route.name in urlconf.MEMBER_UI_ROUTES:
        # Then reading is for every member; the wizard refuses BigCommerce at its second step
        assert statuses["get"] in (200, 302), statuses
        if route.name == "workflows:new-initiator":
            assert statuses["post"] == 403, statuses
    else:
        # Then every other page refuses them (405: a method the page doesn't have at all)
        assert set(statuses.values()) <= {403, 405} and 403 in statuses.values(), statuses
    assert snapshot(victim["accounts.Account"]) == before


# --- The Django admin -----------------------------------------------------------------------


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=[m._meta.label for m in ADMIN_MODELS])
def test_other_accounts_admin_never_sees_the_victim(model, client, victim, other_admin):
    # Given an account admin of another account
    client.force_login(other_admin)
    before = snapshot(victim["accounts.Account"])
    obj = victim.get(model._meta.label)
    for url in urlconf.admin_urls(model, [] if obj is None else [obj]):
        for method in ("get", "post"):
            response = getattr(client, method)(url, {"name": "pwned", "post": "yes"})
            # Then the victim's rows are neither listed nor opened (a 302 to the admin index
            # is how the admin says "no such object"; 403 for superuser-only pages)
            assert MARK.encode() not in response.content, (url, method)
            if url != urlconf.admin_url(model, "changelist"):
                assert response.status_code in (302, 403, 404), (url, method, response)
                if response.status_code == 302:
                    assert response["Location"] == reverse("admin:index"), response["Location"]
    assert snapshot(victim["accounts.Account"]) == before


def test_members_and_anonymous_are_kept_out_of_the_admin(client, victim, member):
    for user in (None, member):
        if user is not None:
            client.force_login(user)
        for model in ADMIN_MODELS:
            response = client.get(urlconf.admin_url(model, "changelist"))
            assert response.status_code == 302 and "/admin/login/" in response["Location"]
            assert MARK.encode() not in response.content


# --- Tasks ----------------------------------------------------------------------------------


def test_a_delivery_only_runs_its_own_accounts_workflows(
    post_delivery,
    standin,
    make_active_workflow,
    make_workflow,
    make_authentication,
    other_account,
    other_member,
    store_token,
    no_outbound,
):
    """Two accounts connected to the same store and event: a delivery to one account's
    subscription never starts the other's workflows (fan-out follows the subscription)."""
    no_outbound.add_passthru(standin.base_url)  # the stand-in is on loopback
    # Given account A's workflow and account B's, on the same store and event
    ours, sub = make_active_workflow()
    theirs_auth = make_authentication(
        other_account,
        "Same store",
        store_hash=sub.authentication.store_hash,
        client_id="c",
        access_token=store_token,
    )
    theirs = make_workflow(name="Theirs", account=other_account, authentication=theirs_auth)
    # When BigCommerce delivers to A's subscription
    assert post_delivery(sub, shipment(1201)).status_code == 200
    # Then only A's workflow ran
    assert list(WorkflowRun.objects.values_list("workflow_id", flat=True)) == [ours.pk]
    assert not WorkflowRun.objects.filter(workflow=theirs).exists()
