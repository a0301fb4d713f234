"""The ``http_request`` step: one request through the SSRF-guarded outbound sender.

The destination is fixed when the step is saved: merge codes may appear only after the
``scheme://host[:port]`` part, and values are URL-encoded there, so no value (a customer's
name, notes, ...) can choose or change the host the store's data is sent to. The address policy
itself (https only, public addresses after DNS, redirects) is enforced at send time by
``workflows.outbound``; saving only refuses what is wrong without a DNS lookup.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from workflows.merge_codes import RenderContext, find_codes, render
from workflows.outbound import (
    ALLOWED_METHODS,
    OutboundError,
    OutboundPolicy,
    OutboundRefused,
    header_name_problem,
    send_request,
)

from .base import FieldErrors, StepContext, StepKind, StepOutcome, StepStatus, clean_text

MAX_URL_LENGTH = 2000
MAX_HEADERS = 20
MAX_HEADER_NAME_LENGTH = 100
MAX_HEADER_VALUE_LENGTH = 1000
MAX_BODY_LENGTH = 50_000
EXCERPT_LENGTH = 200
DEFAULT_METHOD = "POST"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")  # the outbound sender's ALLOWED_METHODS

_UNSAFE_URL_CHARS_RE = re.compile(r"[\x00-\x20\x7f\\]")
_CONTROL_RE = re.compile("[\x00-\x08\x0a-\x1f\x7f]")  # tab is legal in a header value
# A last host label that resolvers read as a number makes the host an IPv4 literal.
_NUMERIC_LABEL_RE = re.compile(r"(?:[0-9]+|0x[0-9a-f]*)", re.IGNORECASE)
_JSON_MEDIA_RE = re.compile(r"^\s*application/(?:[\w.+-]+\+)?json\s*(?:;|$)", re.IGNORECASE)

assert set(METHODS) == set(ALLOWED_METHODS), "keep in step with workflows.outbound"


# A test run's HTTP step, unless the tester asked for HTTP requests to be sent.
NOT_SENT_IN_TEST = "Not sent in a test (the tester did not ask for HTTP requests to be sent)"


class HttpRequestStep(StepKind):
    type = "http_request"
    label = "HTTP request"
    has_side_effect = True
    fields = ("method", "url", "headers", "body")

    def clean(self, config: dict, event_key: str, errors: FieldErrors) -> dict:
        method = config.get("method") or DEFAULT_METHOD
        if not isinstance(method, str) or method.strip().upper() not in METHODS:
            errors.add("method", f"must be one of {', '.join(METHODS)}.")
        else:
            method = method.strip().upper()

        url = clean_text(config, "url", errors, event_key=event_key, max_length=MAX_URL_LENGTH)
        if url and not errors.has("url"):
            for message in url_problems(url):
                errors.add("url", message)

        headers = _clean_headers(config.get("headers"), event_key, errors)
        body = clean_text(
            config,
            "body",
            errors,
            event_key=event_key,
            max_length=MAX_BODY_LENGTH,
            required=False,
            strip=False,
        )
        if body.strip() and method == "GET":
            errors.add("body", "a GET request has no body; use POST, PUT or PATCH to send one.")
        return {"method": method, "url": url, "headers": headers, "body": body}

    def execute(self, config: dict, ctx: StepContext) -> StepOutcome:
        method = config.get("method") or DEFAULT_METHOD
        try:
            url, shown = render_url(config["url"], ctx.merge_data)
        except ValueError as exc:
            return _failed(f"{method} not sent: {exc}")
        headers = {
            name: render(value, ctx.merge_data, context=RenderContext.HEADER)
            for name, value in (config.get("headers") or {}).items()
        }
        body = _body(method, config.get("body") or "", headers, ctx.merge_data)
        if ctx.is_test and not ctx.test_sends_http:
            return StepOutcome(StepStatus.SUCCEEDED, f"{NOT_SENT_IN_TEST}: {method} {shown}.")
        try:
            policy = OutboundPolicy.from_settings()
        except ValueError as exc:  # a bad OUTBOUND_HTTP_ALLOWLIST entry: say so, don't crash
            return _failed(f"{method} {shown} not sent: {exc}")
        try:
            response = send_request(method, url, headers=headers, body=body, policy=policy)
        except OutboundRefused as exc:
            return _failed(f"{method} {shown} refused: {exc}")
        except OutboundError as exc:
            return _failed(f"{method} {shown} failed: {exc}")

        summary = f"{method} {shown} → {response.status_code}"
        if 200 <= response.status_code < 300:
            return StepOutcome(StepStatus.SUCCEEDED, f"{summary} ({response.elapsed_ms} ms)")
        excerpt = " ".join(response.body_excerpt.split())
        if len(excerpt) > EXCERPT_LENGTH:
            excerpt = excerpt[: EXCERPT_LENGTH - 1] + "…"
        return _failed(f"{summary}: {excerpt}" if excerpt else summary)


def url_problems(url: str) -> list[str]:
    """Why the URL template cannot be saved, or []: the address policy's rules, the host's
    addresses included (an IP literal is judged without DNS, a name is resolved once)."""
    origin, _rest = split_origin(url)
    if find_codes(origin):
        return [
            "merge codes may only appear after the host (in the path or query), "
            "so that the data is always sent to the host you typed."
        ]
    # Outside merge codes (which contain spaces), a URL has no spaces, controls or backslashes.
    if _UNSAFE_URL_CHARS_RE.search(render(url, {}, context=RenderContext.TEXT)):
        return ["must not contain spaces, control characters or backslashes (outside merge codes)."]
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:
        return ["is not a valid URL (check the host and port)."]
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.netloc:
        return ["must start with https:// (or http:// for hosts in OUTBOUND_HTTP_ALLOWLIST)."]
    if "@" in parts.netloc:
        return ["must not contain credentials (user:password@host); send them in a header."]
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return ["must include a host name."]
    if port == 0:
        return ["the port must be between 1 and 65535."]
    try:
        policy = OutboundPolicy.from_settings()
    except ValueError as exc:
        return [str(exc)]
    if _is_ip_literal(host):
        # For an IP literal the guard decides without DNS: forbidden ranges, http, allowlist.
        try:
            policy.check_url(f"{scheme}://{parts.netloc}/")
        except (OutboundRefused, OutboundError) as exc:
            return [f"{exc}."]
        return []
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return ["the host name is not valid."]
    default_port = 443 if scheme == "https" else 80
    if scheme == "http" and not policy.is_allowlisted(ascii_host, port or default_port):
        return ["must use https:// (http is allowed only for hosts in OUTBOUND_HTTP_ALLOWLIST)."]
    # The name is resolved now too, so that one pointing at a refused address (an intranet,
    # the cloud's metadata) is refused on save, not only when a run calls it; a name that
    # does not resolve now is saved (the run resolves it again, and refuses it then).
    try:
        policy.check_url(f"{scheme}://{parts.netloc}/")
    except OutboundRefused as exc:
        return [f"{exc}."]
    except OutboundError:
        pass
    return []


def split_origin(url: str) -> tuple[str, str]:
    """``("https://host:port", "/path?query#fragment")``: where the authority ends."""
    start = url.find("://")
    start = 0 if start < 0 else start + 3
    end = next((i for i in range(start, len(url)) if url[i] in "/?#"), len(url))
    return url[:end], url[end:]


def render_url(template: str, merge_data: Any) -> tuple[str, str]:
    """The URL to call and a version safe to show (no query: it may hold an API key).

    Only the part after the host is rendered, values URL-encoded; the rendered URL is checked
    to have the template's scheme and host (``ValueError`` otherwise).
    """
    origin, rest = split_origin(template)
    if find_codes(origin):
        raise ValueError("merge codes are not allowed in the URL's scheme or host")
    url = origin + render(rest, merge_data, context=RenderContext.URL)
    try:
        parts, expected = urlsplit(url), urlsplit(origin)
    except ValueError as exc:
        raise ValueError("the URL is not valid (check the host and port)") from exc
    if (parts.scheme, parts.netloc) != (expected.scheme, expected.netloc):
        raise ValueError("the rendered URL's host differs from the step's host")
    shown = f"{parts.scheme}://{parts.netloc}{parts.path or '/'}" + ("?…" if parts.query else "")
    return url, shown


def _is_ip_literal(host: str) -> bool:
    return ":" in host or bool(_NUMERIC_LABEL_RE.fullmatch(host.rsplit(".", 1)[-1]))


def _clean_headers(raw: Any, event_key: str, errors: FieldErrors) -> dict[str, str]:
    if raw is None or raw == {}:
        return {}
    if not isinstance(raw, dict):
        errors.add("headers", "must be an object of header names to text values.")
        return {}
    if len(raw) > MAX_HEADERS:
        errors.add("headers", f"at most {MAX_HEADERS} headers (this has {len(raw)}).")
        return {}
    cleaned: dict[str, str] = {}
    seen: set[str] = set()
    for name, value in raw.items():
        problem = header_name_problem(name)
        if problem is None and len(name) > MAX_HEADER_NAME_LENGTH:
            problem = f"header names are at most {MAX_HEADER_NAME_LENGTH} characters"
        if problem:
            errors.add("headers", f"{problem}.")
            continue
        if name.lower() in seen:
            errors.add("headers", f"{name} is given twice.")
            continue
        seen.add(name.lower())
        value_errors = FieldErrors()
        text = clean_text(
            {"value": value},
            "value",
            value_errors,
            event_key=event_key,
            max_length=MAX_HEADER_VALUE_LENGTH,
            required=False,
        )
        if text and _CONTROL_RE.search(text):
            value_errors.add("value", "must be one line (no line breaks or control characters).")
        problem = value_errors.as_error()
        if problem is not None:
            for message in problem.messages:
                errors.add("headers", f"{name}: {message}")
            continue
        cleaned[name] = text
    return cleaned


def _body(method: str, template: str, headers: dict[str, str], merge_data: Any) -> str | None:
    """The request body; sets Content-Type in ``headers`` when the step did not."""
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
    if not template.strip():
        if method == "GET":
            return None
        # Without a body of its own, a request carries the run's merge data as JSON.
        if content_type is None:
            headers["Content-Type"] = "application/json"
        return json.dumps(dict(merge_data), ensure_ascii=False, default=str)
    if content_type is None:
        is_json = template.lstrip().startswith("{")
        headers["Content-Type"] = "application/json" if is_json else "text/plain; charset=utf-8"
    else:
        is_json = bool(_JSON_MEDIA_RE.match(content_type))
    # In a JSON body, codes sit inside string literals: values are escaped as JSON string
    # content, so a value can neither break the JSON nor add keys.
    context = RenderContext.JSON if is_json else RenderContext.TEXT
    return render(template, merge_data, context=context)


def _failed(detail: str) -> StepOutcome:
    return StepOutcome(StepStatus.FAILED, detail)
