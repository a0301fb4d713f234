"""Outbound HTTP for workflow `http_request` steps, behind an SSRF guard.

Use `send_request(..., policy=OutboundPolicy.from_settings())`; nothing else in the project
should open outbound HTTP connections on behalf of users.

Written on requests/urllib3 rather than on requests-hardened, which pins the connection to the
address it checked but has no allowlist of hosts that may be private or use http, no response
size cap and no overall deadline, and lets a few non-public ranges through (see
docs/architecture.md, "Hand-written infrastructure, and why").
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
