"""A loopback stand-in for the BigCommerce API (development and benchmarks only)."""

from .server import DEFAULT_ACCESS_TOKEN, DEFAULT_STORE_HASH, StandIn, is_loopback

__all__ = ["DEFAULT_ACCESS_TOKEN", "DEFAULT_STORE_HASH", "StandIn", "is_loopback"]
