"""No hook of ours left behind at BigCommerce.

A hook is ours when it delivers to our receiver: its destination starts with
PUBLIC_BASE_URL + the receiver's path, or (PUBLIC_BASE_URL changed since) its path is the
receiver path of one of our subscriptions on that store. Ours but recorded by no wanted
subscription — left by a crash between BigCommerce's create and our save, by a changed
PUBLIC_BASE_URL, by credentials replaced or an authentication deleted — it is a stray: it would
keep delivering (or failing) for nothing, so it is deleted. Hooks of other apps are never
touched, nor those another authentication of ours on the same store has recorded.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse

from integrations.bigcommerce import errors
from integrations.bigcommerce.client import BigCommerceClient
from integrations.events import get_event
from integrations.models import WebhookSubscription

logger = logging.getLogger(__name__)


def receiver_path(sub_uuid: uuid.UUID | str) -> str:
    return reverse("bigcommerce-webhook", args=[sub_uuid])


def destination(sub_uuid: uuid.UUID | str) -> str | None:
    """The URL BigCommerce delivers a subscription's events to (None without PUBLIC_BASE_URL)."""
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    return base + receiver_path(sub_uuid) if base else None


def receiver_prefix() -> str | None:
    """Where every destination of ours starts today (None without PUBLIC_BASE_URL)."""
    example = destination(uuid.UUID(int=0))
    return example.rsplit("/", 2)[0] + "/" if example else None


def _store_subscriptions(store_hash: str):
    return WebhookSubscription.objects.filter(authentication__store_hash=store_hash)


def _kept(store_hash: str) -> tuple[set[int], set[tuple[str, str]]]:
    """Hook ids recorded by a wanted subscription on the store, and the (scope, destination)
    each wanted subscription asks for."""
    ids, wanted = set(), set()
    for sub in _store_subscriptions(store_hash).filter(wanted=True):
        if sub.hook_id is not None:
            ids.add(sub.hook_id)
        url = destination(sub.uuid)
        if url:
            wanted.add((get_event(sub.event).scope, url))
    return ids, wanted


def strays(
    hooks: list[dict],
    store_hash: str,
    *,
    keep_unrecorded: bool = True,
    also_ours: Iterable[uuid.UUID] = (),
) -> list[dict]:
    """The hooks among `hooks` (one store's) that are ours and that no wanted subscription
    records. With keep_unrecorded, one that a wanted subscription asks for (same scope and
    destination) is kept even unrecorded: the next check records it. `also_ours`: UUIDs of
    subscriptions just deleted, whose hooks are ours too."""
    uuids = [*_store_subscriptions(store_hash).values_list("uuid", flat=True), *also_ours]
    ids, wanted = _kept(store_hash)
    return [
        hook
        for hook in unrecorded_of_ours(hooks, uuids, ids)
        if not (keep_unrecorded and (hook.get("scope"), hook["destination"]) in wanted)
    ]


def unrecorded_of_ours(
    hooks: list[dict], uuids: Iterable[uuid.UUID], recorded: set[int]
) -> list[dict]:
    """The hooks that are ours (see the module's docstring; `uuids`: the store's
    subscriptions) and whose id is not in `recorded`. Other apps' hooks are never in it."""
    prefix = receiver_prefix()
    paths = {receiver_path(u) for u in uuids}
    return [
        hook
        for hook in hooks
        if isinstance(url := hook.get("destination"), str)
        and hook.get("id") not in recorded
        and ((prefix and url.startswith(prefix)) or urlsplit(url).path in paths)
    ]


def remove_strays(
    client: BigCommerceClient,
    store_hash: str,
    *,
    keep_unrecorded: bool = True,
    also_ours: Iterable[uuid.UUID] = (),
) -> int | None:
    """Delete the strays `client`'s credentials can see on the store. Returns how many, or None
    when BigCommerce could not be asked (logged; the periodic check tries again)."""
    try:
        found = strays(
            client.list_hooks(), store_hash, keep_unrecorded=keep_unrecorded, also_ours=also_ours
        )
        for hook in found:
            client.delete_hook(hook["id"])
            logger.info(
                "Deleted stray BigCommerce hook %s (%s) of store %s",
                hook["id"],
                hook.get("scope"),
                store_hash,
            )
    except errors.BigCommerceError as exc:
        logger.warning("Could not remove stray hooks of store %s: %s", store_hash, exc.message)
        return None
    return len(found)
