"""Project-wide pytest fixtures."""

import json

import pytest

from tests.factories import load_bigcommerce_example


@pytest.fixture
def bc_example():
    return load_bigcommerce_example


# --- Accounts and users ---------------------------------------------------------------------

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def make_account(db):
    from accounts.models import Account

    def make(name="Acme T-Shirts"):
        return Account.objects.create(name=name)

    return make


@pytest.fixture
def make_user(db):
    """make_user(account, username, integration_manager=False, staff=False, superuser=False)"""
    from accounts.forms import integration_manager_permission
    from accounts.models import User

    def make(account, username, *, integration_manager=False, staff=False, superuser=False):
        user = User.objects.create_user(
            username,
            email=f"{username}@example.com",
            password=PASSWORD,
            account=account,
            is_staff=staff or superuser,
            is_superuser=superuser,
        )
        if integration_manager:
            user.user_permissions.add(integration_manager_permission())
        return User.objects.get(pk=user.pk)  # fresh: no stale permission cache

    return make


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


# --- BigCommerce (mocked with `responses`) --------------------------------------------------

BC_BASE = "https://api.bigcommerce.com"
STORE_HASH = "abc123"
ACCESS_TOKEN = "tok_9f8e7d6c5b4a39281706f5e4d3c2b1a0"
CLIENT_ID = "cid_1a2b3c4d5e6f7g8h9i0jklmnopqrstu"


@pytest.fixture
def mocked_bc():
    """`responses` active for the test; BigCommerce's store-info endpoint answers for the good
    credentials and 401s for any other token."""
    import responses

    def store_info(request):
        if request.headers.get("X-Auth-Token") != ACCESS_TOKEN:
            return (401, {}, json.dumps({"status": 401, "title": "Unauthorized"}))
        body = load_bigcommerce_example("v2_store_information_response.json")
        body["name"] = "XYZ T-Shirts"
        return (200, {"Content-Type": "application/json"}, json.dumps(body))

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add_callback(
            responses.GET, f"{BC_BASE}/stores/{STORE_HASH}/v2/store", callback=store_info
        )
        yield rsps


@pytest.fixture
def make_authentication(db):
    """An authentication stored directly (already verified), skipping the BigCommerce call."""
    from django.utils import timezone

    from integrations.models import BigCommerceAuthentication

    def make(account, name="Main store", **kwargs):
        values = {
            "store_hash": STORE_HASH,
            "client_id": CLIENT_ID,
            "access_token": ACCESS_TOKEN,
            "status": "verified",
            "store_name": "XYZ T-Shirts",
            "last_verified_at": timezone.now(),
        }
        values.update(kwargs)
        return BigCommerceAuthentication.objects.create(account=account, name=name, **values)

    return make


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


# --- Task queue -----------------------------------------------------------------------------


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
