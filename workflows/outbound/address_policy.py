"""The single rule for "may an outbound workflow request connect here?" (SSRF guard).

`is_forbidden_ip` judges one address; `OutboundPolicy.check_url` judges a URL: scheme, host
syntax, allowlist, and every address its host resolves to. The resolved addresses are returned
so the HTTP layer connects to exactly those (no second DNS lookup an attacker could rebind).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_LENGTH = 4096
_DEFAULT_PORTS = {"http": 80, "https": 443}
_ALLOWLIST_SETTING = "OUTBOUND_HTTP_ALLOWLIST"


class OutboundRefused(Exception):
    """The request is not allowed by policy. The message is safe to show to users."""


class OutboundError(Exception):
    """The request could not be completed (DNS, network, timeout, redirects, ...).

    The message is safe to show to users; the underlying exception is chained as __cause__.
    """


_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

# Cloud metadata endpoints: refused even for allowlisted hosts, because reaching one usually
# means handing out the server's cloud credentials.
_METADATA_NETWORKS: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = (
    (_V4("169.254.169.254/32"), "cloud metadata"),  # AWS, GCP, Azure, DigitalOcean, ...
    (_V4("100.100.100.200/32"), "cloud metadata"),  # Alibaba Cloud
    (_V4("192.0.0.192/32"), "cloud metadata"),  # Oracle Cloud
    (_V6("fd00:ec2::254/128"), "cloud metadata"),  # AWS IPv6 IMDS
)

# Explicit table, checked before the `ipaddress` properties: it gives precise reasons and does
# not depend on the Python patch release (3.11's `is_global` wrongly passes 192.0.0.0/24 and
# ::ffff:0:0/96, for example).
_SPECIAL_V4: tuple[tuple[ipaddress.IPv4Network, str], ...] = (
    (_V4("0.0.0.0/32"), "unspecified"),
    (_V4("0.0.0.0/8"), "current-network (0.0.0.0/8)"),
    (_V4("10.0.0.0/8"), "private"),
    (_V4("100.64.0.0/10"), "carrier-grade NAT (100.64.0.0/10)"),
    (_V4("127.0.0.0/8"), "loopback"),
    (_V4("169.254.0.0/16"), "link-local"),
    (_V4("172.16.0.0/12"), "private"),
    (_V4("192.0.0.0/24"), "IETF protocol assignment"),
    (_V4("192.0.2.0/24"), "documentation"),
    (_V4("192.88.99.0/24"), "6to4 relay anycast"),
    (_V4("192.168.0.0/16"), "private"),
    (_V4("198.18.0.0/15"), "benchmarking"),
    (_V4("198.51.100.0/24"), "documentation"),
    (_V4("203.0.113.0/24"), "documentation"),
    (_V4("224.0.0.0/4"), "multicast"),
    (_V4("255.255.255.255/32"), "broadcast"),
    (_V4("240.0.0.0/4"), "reserved"),
)
_SPECIAL_V6: tuple[tuple[ipaddress.IPv6Network, str], ...] = (
    (_V6("::/128"), "unspecified"),
    (_V6("::1/128"), "loopback"),
    (_V6("::/96"), "IPv4-compatible IPv6 (deprecated)"),
    (_V6("64:ff9b:1::/48"), "local-use NAT64"),
    (_V6("100::/64"), "discard-only"),
    (_V6("2001:2::/48"), "benchmarking"),
    (_V6("2001:10::/28"), "ORCHID"),
    (_V6("2001:20::/28"), "ORCHID"),
    (_V6("2001:db8::/32"), "documentation"),
    (_V6("3fff::/20"), "documentation"),
    (_V6("fc00::/7"), "private (unique local)"),
    (_V6("fe80::/10"), "link-local"),
    (_V6("fec0::/10"), "site-local"),
    (_V6("ff00::/8"), "multicast"),
)
_NAT64 = _V6("64:ff9b::/96")
_GLOBAL_UNICAST_V6 = _V6("2000::/3")


def is_forbidden_ip(ip: IPAddress) -> str | None:
    """Why `ip` must not be connected to (e.g. "private"), or None for a global unicast address."""
    if isinstance(ip, ipaddress.IPv6Address):
        # Addresses that wrap an IPv4 address: judge what they really reach.
        if ip.ipv4_mapped is not None:
            return "IPv4-mapped IPv6"
        if ip in _NAT64:
            return _wrapped("NAT64", ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip.sixtofour is not None:
            return _wrapped("6to4", ip.sixtofour)
        if ip.teredo is not None:
            return "Teredo tunnel"
    for network, reason in _METADATA_NETWORKS:
        if ip.version == network.version and ip in network:
            return reason
    table: Iterable[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str]]
    table = _SPECIAL_V4 if ip.version == 4 else _SPECIAL_V6
    for network, reason in table:
        if ip in network:
            return reason
    # Catch-all on the stdlib's own registry for anything the table does not name.
    for attribute, reason in (
        ("is_loopback", "loopback"),
        ("is_private", "private"),
        ("is_link_local", "link-local"),
        ("is_multicast", "multicast"),
        ("is_unspecified", "unspecified"),
        ("is_reserved", "reserved"),
        ("is_site_local", "site-local"),
    ):
        if getattr(ip, attribute, False):
            return reason
    if isinstance(ip, ipaddress.IPv6Address) and ip not in _GLOBAL_UNICAST_V6:
        return "non-unicast IPv6"
    if not ip.is_global:
        return "non-global"
    return None


def _wrapped(kind: str, inner: ipaddress.IPv4Address) -> str | None:
    reason = is_forbidden_ip(inner)
    return None if reason is None else f"{kind}-wrapped {reason}"


def _metadata_reason(ip: IPAddress) -> str | None:
    """ "cloud metadata" if `ip` (or the IPv4 address it wraps) is a metadata endpoint."""
    candidates: list[IPAddress] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            candidates.append(ip.ipv4_mapped)
        if ip in _NAT64:
            candidates.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip.sixtofour is not None:
            candidates.append(ip.sixtofour)
    for candidate in candidates:
        for network, reason in _METADATA_NETWORKS:
            if candidate.version == network.version and candidate in network:
                return reason
    return None


@dataclass(frozen=True)
class ResolvedTarget:
    """A URL that passed the policy, with the addresses the connection must use."""

    host: str  # lower-case ASCII (IDNA) host name or canonical IP text, without brackets
    port: int
    scheme: str  # "http" or "https"
    addresses: tuple[IPAddress, ...]  # in resolver order; connect to these and nothing else
    url: str  # canonical URL rebuilt from the checked parts (no userinfo, no fragment)

    @property
    def origin(self) -> str:
        """`scheme://host[:port]/` for messages (no path or query, which may carry secrets)."""
        return _origin(self.scheme, self.host, self.port)


_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
_NUMERIC_LABEL = re.compile(r"^(?:[0-9]+|0x[0-9a-f]*)$")


class OutboundPolicy:
    """Decides which URLs outbound workflow requests may call.

    `allowlist` entries are host names or IP literals, optionally with a port (`host:port`,
    `[v6]:port`), matched exactly and case-insensitively. Allowlisted hosts may use http and
    may resolve to non-public addresses (except cloud metadata); all others need https and a
    host whose every resolved address is global unicast.
    """

    def __init__(self, allowlist: Iterable[str] = ()) -> None:
        self._allowed: frozenset[tuple[str, int | None]] = frozenset(
            _parse_allowlist_entry(entry) for entry in allowlist if entry.strip()
        )

    @classmethod
    def from_settings(cls) -> OutboundPolicy:
        """The policy configured by `settings.OUTBOUND_HTTP_ALLOWLIST`."""
        from django.conf import settings

        value = getattr(settings, _ALLOWLIST_SETTING, []) or []
        if isinstance(value, str):
            value = value.split(",")
        return cls(value)

    def is_allowlisted(self, host: str, port: int) -> bool:
        return (host, None) in self._allowed or (host, port) in self._allowed

    def check_url(self, url: str) -> ResolvedTarget:
        """Validate `url` and resolve its host once; raise OutboundRefused if not allowed.

        Raises OutboundError if the host name cannot be resolved.
        """
        scheme, host, port, path_and_query = _split_url(url)
        origin = _origin(scheme, host, port)
        allowlisted = self.is_allowlisted(host, port)
        if scheme != "https" and not allowlisted:
            raise OutboundRefused(
                f"{origin} uses plain http; only https URLs may be called "
                f"(http is allowed only for hosts in {_ALLOWLIST_SETTING})"
            )
        addresses = _resolve(host, port)
        for address in addresses:
            reason = _metadata_reason(address) if allowlisted else is_forbidden_ip(address)
            if reason is not None:
                described = f"{origin} resolves to {address}, {_article(reason)} {reason} address"
                if allowlisted:
                    raise OutboundRefused(
                        f"{described}, which may never be called "
                        f"(not even for hosts in {_ALLOWLIST_SETTING})"
                    )
                raise OutboundRefused(
                    f"{described}; only public addresses "
                    f"(or hosts in {_ALLOWLIST_SETTING}) may be called"
                )
        url_host = f"[{host}]" if ":" in host else host
        port_part = "" if port == _DEFAULT_PORTS[scheme] else f":{port}"
        return ResolvedTarget(
            host=host,
            port=port,
            scheme=scheme,
            addresses=addresses,
            url=f"{scheme}://{url_host}{port_part}{path_and_query}",
        )


def _split_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, normalised host, port, path+query) of `url`, or OutboundRefused."""
    if not isinstance(url, str) or not url:
        raise OutboundRefused("the URL is empty")
    if len(url) > MAX_URL_LENGTH:
        raise OutboundRefused(f"the URL is longer than {MAX_URL_LENGTH} characters")
    # Whitespace, control characters and backslashes are where URL parsers disagree with each
    # other (and with servers); none belongs in a URL we send, so refuse rather than guess.
    if any(ord(ch) <= 0x20 or ord(ch) == 0x7F or ch == "\\" for ch in url):
        raise OutboundRefused("the URL contains spaces, control characters or backslashes")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise OutboundRefused("the URL is not valid (check the host and port)") from exc
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise OutboundRefused("only https URLs (or http for allowlisted hosts) may be called")
    if "@" in parts.netloc:
        # Never echo the userinfo: it is a password.
        raise OutboundRefused(
            "the URL contains credentials (user:password@host); send them in a header instead"
        )
    host = _normalise_host(parts.hostname or "", bracketed=parts.netloc.startswith("["))
    if port is None:
        port = _DEFAULT_PORTS[scheme]
    elif port == 0:
        raise OutboundRefused("the URL's port must be between 1 and 65535")
    path_and_query = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, host, port, path_and_query


def _normalise_host(host: str, *, bracketed: bool) -> str:
    """Canonical host text: IDNA/lower-case name, canonical IPv4, or compressed IPv6."""
    if not host:
        raise OutboundRefused("the URL must include a host name")
    if bracketed or ":" in host:
        if "%" in host:
            raise OutboundRefused("IPv6 zone identifiers are not allowed in URLs")
        try:
            return str(ipaddress.IPv6Address(host))
        except ValueError as exc:
            raise OutboundRefused("the URL's IPv6 address is not valid") from exc
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise OutboundRefused("the URL's host name is not valid") from exc
    ascii_host = ascii_host.removesuffix(".")
    labels = ascii_host.split(".")
    if _NUMERIC_LABEL.match(labels[-1]):
        # A name ending in a number is an IPv4 literal to resolvers and browsers, which accept
        # decimal (2130706433), octal (0177.0.0.1), hex (0x7f.1) and short (127.1) forms.
        # Only the canonical dotted quad is accepted, so what we check is what gets dialled.
        try:
            canonical = str(ipaddress.IPv4Address(ascii_host))
        except ValueError:
            canonical = None
        if canonical != ascii_host:
            raise OutboundRefused(
                "the URL's host is a numeric address in a non-standard form; "
                "write IPv4 addresses as four decimal numbers (a.b.c.d)"
            )
        return canonical
    if len(ascii_host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise OutboundRefused("the URL's host name is not valid")
    return ascii_host


def _resolve(host: str, port: int) -> tuple[IPAddress, ...]:
    """All addresses of `host` (once, in resolver order); literals are not looked up."""
    try:
        return (ipaddress.ip_address(host),)
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise OutboundError(f"could not resolve the host name {host}") from exc
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _canonname, sockaddr in infos:
        try:
            address = ipaddress.ip_address(sockaddr[0])
        except ValueError:
            continue  # not an IP socket address (cannot happen for SOCK_STREAM inet lookups)
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise OutboundError(f"could not resolve the host name {host}")
    return tuple(addresses)


def _parse_allowlist_entry(entry: str) -> tuple[str, int | None]:
    """`host`, `host:port`, `[v6]`, `[v6]:port` or bare `v6` -> (normalised host, port)."""
    text = entry.strip().lower()
    if "/" in text or "@" in text:
        raise ValueError(f"{_ALLOWLIST_SETTING} entry {entry!r} is not host or host:port")
    port_text: str | None = None
    if text.startswith("["):
        host_text, _, rest = text[1:].partition("]")
        if rest:
            if not rest.startswith(":"):
                raise ValueError(f"{_ALLOWLIST_SETTING} entry {entry!r} is not host or host:port")
            port_text = rest[1:]
        bracketed = True
    elif text.count(":") == 1:
        host_text, port_text = text.split(":")
        bracketed = False
    else:
        host_text, bracketed = text, False
    try:
        host = _normalise_host(host_text, bracketed=bracketed or ":" in host_text)
    except OutboundRefused as exc:
        raise ValueError(f"{_ALLOWLIST_SETTING} entry {entry!r} has an invalid host") from exc
    if port_text is None:
        return host, None
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ValueError(f"{_ALLOWLIST_SETTING} entry {entry!r} has an invalid port")
    return host, int(port_text)


def _origin(scheme: str, host: str, port: int) -> str:
    url_host = f"[{host}]" if ":" in host else host
    port_part = "" if port == _DEFAULT_PORTS.get(scheme) else f":{port}"
    return f"{scheme}://{url_host}{port_part}/"


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" or word.startswith("IPv") else "a"
