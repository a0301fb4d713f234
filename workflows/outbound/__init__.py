"""Outbound HTTP for workflow `http_request` steps, behind an SSRF guard.

Use `send_request(..., policy=OutboundPolicy.from_settings())`; nothing else in the project
should open outbound HTTP connections on behalf of users.
"""

from .address_policy import (
    OutboundError,
    OutboundPolicy,
    OutboundRefused,
    ResolvedTarget,
    is_forbidden_ip,
)
from .http import ALLOWED_METHODS, OutboundResponse, header_name_problem, send_request

__all__ = [
    "ALLOWED_METHODS",
    "OutboundError",
    "OutboundPolicy",
    "OutboundRefused",
    "OutboundResponse",
    "ResolvedTarget",
    "header_name_problem",
    "is_forbidden_ip",
    "send_request",
]
