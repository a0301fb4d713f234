"""Project-wide pytest fixtures."""

import ipaddress
import json
import socket
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def load_bigcommerce_example(name: str) -> dict:
    """BigCommerce's own example payloads (copied verbatim from its published examples)."""
    return json.loads((FIXTURES / "bigcommerce" / name).read_text())


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
    import responses

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


@pytest.fixture
def no_network(monkeypatch):
    """No connection may be opened: any attempt is recorded and refused (for tests where
    validation alone must decide, and where generated input could name a host). Host names
    may be looked up, from a fake resolver that knows none (a URL's host is checked at save)."""
    import socket

    from tests.workflows.test_address_policy import FakeResolver

    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network use during validation")

    monkeypatch.setattr(socket, "getaddrinfo", FakeResolver())
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


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
