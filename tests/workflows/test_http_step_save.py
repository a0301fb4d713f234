"""An HTTP step's URL is judged on save by the same address policy as at run time: a host
name that resolves to a refused address is refused then, not only when a run calls it."""

import socket

import pytest
from django.core.exceptions import ValidationError

from tests.servers import FakeResolver
from workflows.steps.registry import validate_step


@pytest.fixture
def resolver(monkeypatch):
    fake = FakeResolver(
        {
            "intranet.example.com": ["10.0.0.5"],
            "metadata.example.com": ["169.254.169.254"],
            "hooks.example.com": ["93.184.216.34"],
        }
    )
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return fake


def http_step(url):
    return {"method": "POST", "url": url, "headers": {}, "body": ""}


@pytest.mark.parametrize(
    ("host", "refused"),
    [("intranet.example.com", "private"), ("metadata.example.com", "169.254.169.254")],
)
def test_a_name_resolving_to_a_refused_address_is_refused_on_save(resolver, host, refused):
    # given a URL whose host name points inside the network
    # when the step is saved
    with pytest.raises(ValidationError) as excinfo:
        validate_step("http_request", http_step(f"https://{host}/in"), "shipment_created")
    # then it is refused, saying where the name points
    message = " ".join(excinfo.value.message_dict["url"])
    assert "resolves to" in message and refused in message
    assert resolver.name_lookups == [host]


def test_a_public_name_is_saved_after_one_lookup(resolver):
    config = validate_step(
        "http_request",
        http_step("https://hooks.example.com/o/[BigCommerce | Order | id]"),
        "shipment_created",
    )
    assert config["url"].startswith("https://hooks.example.com/")
    assert resolver.name_lookups == ["hooks.example.com"]


def test_a_name_that_does_not_resolve_now_is_saved(resolver):
    # given a name DNS does not know (yet): the run resolves it again and decides then
    config = validate_step(
        "http_request", http_step("https://new.example.com/in"), "cart_abandoned"
    )
    assert config["url"] == "https://new.example.com/in"


def test_an_allowlisted_loopback_name_is_saved(resolver, settings):
    # given the demo's allowlisted loopback receiver
    settings.OUTBOUND_HTTP_ALLOWLIST = ["localhost:9000"]
    resolver.table["localhost"] = ["127.0.0.1"]
    config = validate_step("http_request", http_step("http://localhost:9000/in"), "cart_abandoned")
    assert config["url"] == "http://localhost:9000/in"
