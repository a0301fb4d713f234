"""SSRF address policy: which IPs and URLs outbound workflow requests may reach.

No test here touches the network: IPs are judged as objects and DNS is a fake resolver.
"""

from __future__ import annotations

import ipaddress

import pytest

from workflows.outbound.address_policy import (
    OutboundError,
    OutboundPolicy,
    OutboundRefused,
    is_forbidden_ip,
)

# --- is_forbidden_ip --------------------------------------------------------------------------

FORBIDDEN = [
    # IPv4
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("10.0.0.1", "private"),
    ("10.255.255.255", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.254", "private"),
    ("192.168.1.1", "private"),
    ("169.254.0.1", "link-local"),
    ("169.254.169.254", "cloud metadata"),
    ("100.100.100.200", "cloud metadata"),
    ("192.0.0.192", "cloud metadata"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("100.127.255.254", "carrier-grade NAT"),
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "current-network"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("255.255.255.255", "broadcast"),
    ("240.0.0.1", "reserved"),
    ("198.18.0.1", "benchmarking"),
    ("198.19.255.254", "benchmarking"),
    ("192.0.2.10", "documentation"),
    ("198.51.100.7", "documentation"),
    ("203.0.113.99", "documentation"),
    ("192.0.0.8", "IETF protocol assignment"),
    ("192.88.99.1", "6to4 relay anycast"),
    # IPv6
    ("::1", "loopback"),
    ("::", "unspecified"),
    ("fc00::1", "private"),
    ("fd12:3456::1", "private"),
    ("fd00:ec2::254", "cloud metadata"),
    ("fe80::1", "link-local"),
    ("fe80::1%eth0", "link-local"),
    ("febf::1", "link-local"),
    ("fec0::1", "site-local"),
    ("ff02::1", "multicast"),
    ("ff0e::1", "multicast"),
    ("::ffff:127.0.0.1", "IPv4-mapped"),
    ("::ffff:10.0.0.1", "IPv4-mapped"),
    ("::ffff:169.254.169.254", "IPv4-mapped"),
    ("::ffff:93.184.216.34", "IPv4-mapped"),  # mapped is always a trick in a DNS answer
    ("::127.0.0.1", "IPv4-compatible"),
    ("64:ff9b::7f00:1", "NAT64-wrapped loopback"),
    ("64:ff9b::a00:5", "NAT64-wrapped private"),
    ("64:ff9b::a9fe:a9fe", "NAT64-wrapped cloud metadata"),
    ("64:ff9b:1::1", "local-use NAT64"),
    ("2002:7f00:1::1", "6to4-wrapped loopback"),
    ("2002:c0a8:101::1", "6to4-wrapped private"),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"),
    ("2001:db8::1", "documentation"),
    ("3fff::1", "documentation"),
    ("2001:2::1", "benchmarking"),
    ("2001:10::1", "ORCHID"),
    ("100::1", "discard-only"),
    ("4000::1", "reserved"),
]

ALLOWED = [
    "93.184.216.34",
    "8.8.8.8",
    "1.1.1.1",
    "151.101.1.69",
    "100.63.255.255",  # just below CG-NAT
    "100.128.0.1",  # just above CG-NAT
    "172.32.0.1",  # just above 172.16.0.0/12
    "192.169.0.1",
    "198.20.0.1",  # just above benchmarking
    "2606:4700::1111",
    "2001:4860:4860::8888",
    "2a00:1450:4001:81c::200e",
    "2620:fe::fe",
    "64:ff9b::5db8:d822",  # NAT64 of 93.184.216.34
    "2002:5db8:d822::1",  # 6to4 of 93.184.216.34
]


@pytest.mark.parametrize(("address", "reason"), FORBIDDEN)
def test_forbidden_addresses_are_refused_with_a_reason(address, reason):
    # Given a special-purpose address
    ip = ipaddress.ip_address(address)

    # When the policy judges it
    verdict = is_forbidden_ip(ip)

    # Then it is refused, and the reason names the kind of address
    assert verdict is not None
    assert reason in verdict


@pytest.mark.parametrize("address", ALLOWED)
def test_global_unicast_addresses_pass(address):
    # Given a public unicast address
    ip = ipaddress.ip_address(address)

    # When / Then it is not forbidden
    assert is_forbidden_ip(ip) is None


def test_the_address_table_is_large_enough():
    # At least 40 addresses, IPv4 and IPv6, forbidden and allowed: a table worth trusting.
    addresses = [address for address, _ in FORBIDDEN] + ALLOWED
    versions = {ipaddress.ip_address(address).version for address in addresses}
    assert len(addresses) >= 40
    assert versions == {4, 6}


# --- check_url --------------------------------------------------------------------------------


def test_public_https_url_is_allowed_with_all_its_addresses(resolver):
    # Given a host that resolves to two public addresses
    resolver.table["hooks.example.com"] = ["93.184.216.34", "2606:4700::1111"]

    # When the URL is checked
    target = OutboundPolicy([]).check_url("https://Hooks.Example.com/api/hook?x=1#frag")

    # Then every address is returned for pinning, and the URL is canonical (no fragment)
    assert target.host == "hooks.example.com"
    assert target.port == 443
    assert target.scheme == "https"
    assert target.addresses == (
        ipaddress.ip_address("93.184.216.34"),
        ipaddress.ip_address("2606:4700::1111"),
    )
    assert target.url == "https://hooks.example.com/api/hook?x=1"
    assert resolver.name_lookups == ["hooks.example.com"]


def test_private_ip_literal_is_refused_with_a_clear_message(resolver):
    # Given an https URL whose host is a private address
    # When it is checked / Then it is refused, saying why and what is allowed
    with pytest.raises(OutboundRefused) as refused:
        OutboundPolicy([]).check_url("https://10.0.0.1/")
    assert str(refused.value) == (
        "https://10.0.0.1/ resolves to 10.0.0.1, a private address; only public addresses "
        "(or hosts in OUTBOUND_HTTP_ALLOWLIST) may be called"
    )
    assert resolver.name_lookups == []  # literals are not looked up


def test_name_resolving_to_private_address_is_refused(resolver):
    # Given a name that resolves to an internal address
    resolver.table["intranet.example.com"] = ["192.168.10.20"]

    # When / Then
    with pytest.raises(OutboundRefused, match=r"resolves to 192\.168\.10\.20, a private"):
        OutboundPolicy([]).check_url("https://intranet.example.com/")


def test_one_forbidden_address_among_many_refuses_the_url(resolver):
    # Given a name with one public and one loopback address (an attacker picks the order)
    resolver.table["mixed.example.com"] = ["93.184.216.34", "127.0.0.1"]

    # When / Then the whole URL is refused
    with pytest.raises(OutboundRefused, match=r"127\.0\.0\.1, a loopback address"):
        OutboundPolicy([]).check_url("https://mixed.example.com/")


def test_metadata_name_is_refused(resolver):
    # Given a name pointing at the cloud metadata service
    resolver.table["metadata.google.internal"] = ["169.254.169.254"]

    # When / Then
    with pytest.raises(OutboundRefused, match="cloud metadata"):
        OutboundPolicy([]).check_url("https://metadata.google.internal/computeMetadata/v1/")


@pytest.mark.parametrize(
    "url",
    ["https://[::1]/", "https://[::ffff:127.0.0.1]/", "https://[fd00:ec2::254]/latest/"],
)
def test_forbidden_ipv6_literals_are_refused(resolver, url):
    with pytest.raises(OutboundRefused, match="address; only public addresses"):
        OutboundPolicy([]).check_url(url)


def test_plain_http_is_refused_for_public_hosts(resolver):
    # Given a public host over plain http
    resolver.table["hooks.example.com"] = ["93.184.216.34"]

    # When / Then http is refused before any lookup
    with pytest.raises(OutboundRefused, match="only https URLs may be called"):
        OutboundPolicy([]).check_url("http://hooks.example.com/")
    assert resolver.name_lookups == []


def test_plain_http_is_allowed_for_allowlisted_host(resolver):
    # Given an allowlisted host (case and trailing dot do not matter)
    resolver.table["hooks.example.com"] = ["93.184.216.34"]
    policy = OutboundPolicy(["HOOKS.example.com."])

    # When / Then http is accepted
    assert policy.check_url("http://hooks.example.com/x").scheme == "http"


@pytest.mark.parametrize(
    "url",
    [
        "https://user:secret-password@hooks.example.com/",
        "https://user@hooks.example.com/",
        "https://:secret-password@hooks.example.com/",
        "https://hooks.example.com@10.0.0.1/",
    ],
)
def test_userinfo_is_refused_without_echoing_it(resolver, url):
    # Given credentials embedded in the URL
    resolver.table["hooks.example.com"] = ["93.184.216.34"]

    # When / Then refused, and the password never appears in the message
    with pytest.raises(OutboundRefused, match="contains credentials") as refused:
        OutboundPolicy(["hooks.example.com"]).check_url(url)
    assert "secret-password" not in str(refused.value)


@pytest.mark.parametrize(
    "host",
    [
        "2130706433",  # decimal 127.0.0.1
        "0x7f000001",  # hex
        "017700000001",  # octal
        "0177.0.0.1",  # octal first octet
        "0x7f.0.0.1",  # hex first octet
        "127.1",  # short form
        "127.0.0.01",  # leading zero
        "10.1",
        "1.2.3.4.5",
        "0",
    ],
)
def test_non_canonical_numeric_hosts_are_refused(resolver, host):
    # Given an IP literal in a form resolvers accept but humans misread
    policy = OutboundPolicy(["localhost"])

    # When / Then it is refused outright, without any lookup
    with pytest.raises(OutboundRefused, match="non-standard form"):
        policy.check_url(f"https://{host}/")
    assert resolver.name_lookups == []

    # And allowlisting that spelling is a configuration error, not a way around the rule
    with pytest.raises(ValueError, match="invalid host"):
        OutboundPolicy([host])


def test_trailing_dot_ip_literal_is_judged_as_the_plain_address(resolver):
    # "127.0.0.1." is what resolvers dial as 127.0.0.1, so it is judged as exactly that
    with pytest.raises(OutboundRefused, match=r"resolves to 127\.0\.0\.1, a loopback"):
        OutboundPolicy([]).check_url("https://127.0.0.1./")


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example.com/",
        "file:///etc/passwd",
        "gopher://hooks.example.com/",
        "javascript:alert(1)",
        "//hooks.example.com/",
        "hooks.example.com/path",
    ],
)
def test_other_schemes_are_refused(resolver, url):
    with pytest.raises(OutboundRefused, match="only https URLs"):
        OutboundPolicy([]).check_url(url)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "empty"),
        ("https:///path", "must include a host"),
        ("https://hooks.example.com\\@10.0.0.1/", "backslashes"),
        ("https://hooks.example.com /", "spaces"),
        ("https://hooks.example.com/\r\nX: y", "control characters"),
        ("https://hooks.example.com:99999/", "not valid"),
        ("https://hooks.example.com:0/", "between 1 and 65535"),
        ("https://[::1/", "not valid"),
        ("https://[fe80::1%25eth0]/", "zone"),
        ("https://bad_host!.example.com/", "host name is not valid"),
        ("https://" + "a" * 5000 + ".com/", "longer than"),
    ],
)
def test_malformed_urls_are_refused(resolver, url, message):
    with pytest.raises(OutboundRefused, match=message):
        OutboundPolicy([]).check_url(url)


def test_unresolvable_host_is_an_error_not_a_refusal(resolver):
    # Given a name the resolver does not know
    # When / Then a (retryable) OutboundError is raised
    with pytest.raises(OutboundError, match="could not resolve the host name nowhere.example"):
        OutboundPolicy([]).check_url("https://nowhere.example/")


def test_allowlisted_loopback_name_is_allowed(resolver):
    # Given localhost on the allowlist
    resolver.table["localhost"] = ["127.0.0.1", "::1"]
    policy = OutboundPolicy(["localhost"])

    # When an http URL on any port is checked
    target = policy.check_url("http://localhost:8765/hook")

    # Then it is allowed with its loopback addresses
    assert target.addresses == (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))
    assert target.url == "http://localhost:8765/hook"


def test_allowlist_entry_with_port_matches_only_that_port(resolver):
    # Given an allowlisted loopback host:port
    policy = OutboundPolicy(["127.0.0.1:8765"])

    # When / Then that port is allowed and another is not
    assert policy.check_url("http://127.0.0.1:8765/").port == 8765
    with pytest.raises(OutboundRefused):
        policy.check_url("http://127.0.0.1:8766/")
    with pytest.raises(OutboundRefused):
        policy.check_url("https://127.0.0.1/")


def test_allowlisted_ipv6_entry(resolver):
    policy = OutboundPolicy(["[::1]:8000", "fd00::5"])
    assert policy.check_url("http://[::1]:8000/").host == "::1"
    assert policy.check_url("http://[fd00:0::5]/").url == "http://[fd00::5]/"


def test_allowlisted_host_still_may_not_reach_cloud_metadata(resolver):
    # Given an allowlisted name that (now) points at the metadata service
    resolver.table["dev-hooks.internal"] = ["169.254.169.254"]
    policy = OutboundPolicy(["dev-hooks.internal"])

    # When / Then it is refused, even though it is allowlisted
    with pytest.raises(OutboundRefused, match="may never be called"):
        policy.check_url("http://dev-hooks.internal/")


def test_internationalised_host_is_checked_in_its_ascii_form(resolver):
    resolver.table["xn--bcher-kva.example"] = ["93.184.216.34"]
    target = OutboundPolicy([]).check_url("https://bücher.example/")
    assert target.host == "xn--bcher-kva.example"
    assert resolver.name_lookups == ["xn--bcher-kva.example"]


@pytest.mark.parametrize(
    "entry", ["http://localhost", "localhost:abc", "localhost:70000", "user@host", "[::1]x"]
)
def test_invalid_allowlist_entries_are_configuration_errors(entry):
    with pytest.raises(ValueError, match="OUTBOUND_HTTP_ALLOWLIST"):
        OutboundPolicy([entry])


def test_policy_from_settings(settings, resolver):
    # Given the allowlist setting (list form, as django-environ produces it)
    settings.OUTBOUND_HTTP_ALLOWLIST = ["127.0.0.1:8765", ""]

    # When the policy is built from settings / Then it honours the entry
    policy = OutboundPolicy.from_settings()
    assert policy.is_allowlisted("127.0.0.1", 8765)
    assert not policy.is_allowlisted("127.0.0.1", 80)
