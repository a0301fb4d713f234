"""Connection pinning: requests/urllib3 classes that dial only the policy-checked addresses.

`OutboundPolicy.check_url` resolves a host once; these classes make the TCP connection to one
of the addresses it checked (never a second lookup, so DNS rebinding cannot swap in an internal
address), while the Host header, TLS SNI and certificate verification still use the host name.
`http.send_request` sends each hop through its own `_PinnedAdapter`.
"""

from __future__ import annotations

import socket
import sys

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.poolmanager import PoolManager
from urllib3.util import connection as urllib3_connection

from .address_policy import OutboundRefused, ResolvedTarget


class _PinnedConnectionMixin:
    """Connects to the policy-checked addresses instead of resolving `self.host` again.

    Mirrors urllib3 2.x `HTTPConnection._new_conn`, which would otherwise call
    `create_connection((self._dns_host, port))` and so perform its own DNS lookup. `self.host`
    is left untouched: it feeds the Host header, TLS SNI and hostname verification.
    """

    host: str
    port: int
    timeout: float | None
    source_address: tuple[str, int] | None
    socket_options: list[tuple[int, int, int | bytes]] | None

    def __init__(self, *args: object, pinned_addresses: tuple[str, ...] = (), **kwargs: object):
        self.pinned_addresses = pinned_addresses
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]

    def _new_conn(self) -> socket.socket:
        last_error: OSError | None = None
        for address in self.pinned_addresses:
            try:
                # An IP literal: getaddrinfo parses it numerically, no DNS query is made.
                sock = urllib3_connection.create_connection(
                    (address, self.port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except TimeoutError as exc:
                raise ConnectTimeoutError(
                    self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
                ) from exc
            except OSError as exc:
                last_error = exc  # e.g. refused on this address family; try the next one
                continue
            sys.audit("http.client.connect", self, self.host, self.port)
            return sock
        raise NewConnectionError(
            self, f"Failed to establish a new connection: {last_error or 'no checked address'}"
        )


class _PinnedHTTPConnection(_PinnedConnectionMixin, HTTPConnection):
    pass


class _PinnedHTTPSConnection(_PinnedConnectionMixin, HTTPSConnection):
    pass


class _PinnedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _PinnedHTTPConnection


class _PinnedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _PinnedHTTPSConnection


class _PinnedPoolManager(PoolManager):
    """Opens pools only for the checked origin, handing its addresses to each connection."""

    def __init__(self, target: ResolvedTarget, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._target = target
        self.pool_classes_by_scheme = {
            "http": _PinnedHTTPConnectionPool,
            "https": _PinnedHTTPSConnectionPool,
        }

    def _new_pool(
        self,
        scheme: str,
        host: str,
        port: int,
        request_context: dict[str, object] | None = None,
    ) -> HTTPConnectionPool:
        target = self._target
        # Defence in depth: should requests ever parse the URL differently from the policy,
        # refuse rather than connect somewhere unchecked.
        if (scheme, host.strip("[]").lower(), port) != (target.scheme, target.host, target.port):
            raise OutboundRefused(f"{target.origin} could not be called safely")
        if request_context is None:
            request_context = dict(self.connection_pool_kw)
        # Added after the pool key was computed, so it only reaches the connections' kwargs.
        request_context["pinned_addresses"] = tuple(str(a) for a in target.addresses)
        return super()._new_pool(scheme, host, port, request_context)


class _PinnedAdapter(HTTPAdapter):
    """A requests adapter bound to one checked target (one per hop); it never uses a proxy."""

    def __init__(self, target: ResolvedTarget) -> None:
        self._target = target
        super().__init__(max_retries=0)

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: object
    ) -> None:
        self._pool_connections = connections
        self._pool_maxsize = maxsize
        self._pool_block = block
        self.poolmanager = _PinnedPoolManager(
            self._target, num_pools=connections, maxsize=maxsize, block=block, **pool_kwargs
        )

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: object) -> PoolManager:
        raise OutboundRefused("outbound workflow requests never go through a proxy")
