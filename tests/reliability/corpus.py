"""The hostile webhook corpus: data files in tests/corpus/webhooks/, turned into requests.

A case file is JSON:

- ``description``: what it tries.
- The body, one of: ``body`` (any JSON value, serialised as is); ``base: "valid"`` (a valid
  delivery for the subscription) changed by ``set`` (``{"data.orderId": -1}``) and ``unset``
  (``["hash"]``); ``raw_body`` (text, or a list of text parts); ``raw_body_base64`` (bytes).
  ``encoding`` encodes the text with another codec than UTF-8.
- ``subscription``: ``"shipment"`` (default) or ``"cart"``: which subscription it targets.
- ``method`` (default POST), ``path`` (default ``/webhooks/bigcommerce/{sub}/``), ``headers``
  (merged over ``X-Webhook-Secret: {secret}``; ``null`` removes one), ``content_length`` (a
  forged Content-Length; ``in_process_only: true`` as real HTTP servers refuse those first).
- ``setup: "original"``: a valid delivery with the same hash is stored first (a replay).
- ``expect_status``, and ``stored: "unusable"`` for an authenticated body we can't use: it is
  answered 200 and kept as one `unusable` delivery (a 4xx would make BigCommerce retry it and
  then deactivate the hook).

Anywhere in text: ``{store}``, ``{sub}``, ``{secret}``, ``{other_sub}``, ``{other_secret}``,
``{unknown}``, ``{sub_upper}``, ``{secret_prefix}``, ``{secret_swapcase}``; anywhere in a
value, ``{"repeat": "x", "times": 70000}`` stands for a long string and ``{"concat": [...]}``
for its parts joined.
"""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from integrations.subscriptions import SECRET_HEADER
from tests.factories import drop_path, set_path

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "webhooks"
BASES = {
    "shipment": {
        "scope": "store/shipment/created",
        "store_id": "1025646",
        "data": {"type": "shipment", "id": 12, "orderId": 251},
        "hash": "corpus-hash",
        "created_at": 1561482857,
        "producer": "stores/{store}",
    },
    "cart": {
        "scope": "store/cart/abandoned",
        "store_id": "1025646",
        "data": {"type": "cart", "id": "09346904-4175-44fd-be53-f7e598531b6c"},
        "hash": "corpus-hash",
        "created_at": 1561482857,
        "producer": "stores/{store}",
    },
}


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes
    headers: dict[str, str]
    content_length: str | None


@dataclass(frozen=True)
class Case:
    name: str
    spec: dict

    @property
    def expect_status(self) -> int:
        return self.spec["expect_status"]

    @property
    def subscription(self) -> str:
        return self.spec.get("subscription", "shipment")

    @property
    def is_replay(self) -> bool:
        return self.spec.get("setup") == "original"

    @property
    def stored_unusable(self) -> bool:
        return self.spec.get("stored") == "unusable"

    @property
    def in_process_only(self) -> bool:
        return bool(self.spec.get("in_process_only"))

    def request(self, ctx: dict[str, str]) -> Request:
        headers = {SECRET_HEADER: "{secret}", **self.spec.get("headers", {})}
        return Request(
            method=self.spec.get("method", "POST"),
            path=expand(self.spec.get("path", "/webhooks/bigcommerce/{sub}/"), ctx),
            body=self.body(ctx),
            headers={k: expand(v, ctx) for k, v in headers.items() if v is not None},
            content_length=self.spec.get("content_length"),
        )

    def body(self, ctx: dict[str, str]) -> bytes:
        spec = self.spec
        if "raw_body_base64" in spec:
            return base64.b64decode(spec["raw_body_base64"])
        if "raw_body" in spec:
            raw = spec["raw_body"]
            text = "".join(expand(p, ctx) for p in raw) if isinstance(raw, list) else raw
            text = expand(text, ctx)
        elif spec.get("base") == "valid":
            text = json.dumps(self.valid_body(ctx, spec.get("set", {}), spec.get("unset", [])))
        else:
            text = json.dumps(expand(spec["body"], ctx))
        return text.encode(spec.get("encoding", "utf-8"), "surrogatepass")

    def valid_body(self, ctx, set_: dict | None = None, unset: list | None = None) -> dict:
        body = expand(copy.deepcopy(BASES[self.subscription]), ctx)
        for dotted, value in (set_ or {}).items():
            set_path(body, dotted, expand(value, ctx))
        for dotted in unset or []:
            drop_path(body, dotted)
        return body

    def original_body(self, ctx: dict[str, str]) -> bytes:
        """For replays: the first delivery of the same event (same hash, unchanged data)."""
        return json.dumps(self.valid_body(ctx, {"hash": self.spec["set"]["hash"]})).encode()


def expand(value: Any, ctx: dict[str, str]) -> Any:
    """Placeholders and `{"repeat", "times"}` strings, anywhere in a JSON value."""
    if isinstance(value, str):
        for name, replacement in ctx.items():
            value = value.replace("{" + name + "}", replacement)
        return value
    if isinstance(value, dict):
        if set(value) == {"repeat", "times"}:
            return value["repeat"] * value["times"]
        if set(value) == {"concat"}:
            return "".join(expand(part, ctx) for part in value["concat"])
        return {k: expand(v, ctx) for k, v in value.items()}
    if isinstance(value, list):
        return [expand(v, ctx) for v in value]
    return value


def load() -> list[Case]:
    return [
        Case(path.stem, json.loads(path.read_text(encoding="utf-8")))
        for path in sorted(CORPUS.glob("*.json"))
    ]


def context(sub, other_sub, unknown_uuid) -> dict[str, str]:
    secret = sub.secret
    return {
        "store": sub.authentication.store_hash,
        "sub": str(sub.uuid),
        "secret": secret,
        "other_sub": str(other_sub.uuid),
        "other_secret": other_sub.secret,
        "unknown": str(unknown_uuid),
        "sub_upper": str(sub.uuid).upper(),
        "secret_prefix": secret[:10],
        "secret_swapcase": secret.swapcase(),
    }
