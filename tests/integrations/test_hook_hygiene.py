"""No hook of ours left behind: a hook created but never recorded, a changed PUBLIC_BASE_URL,
new credentials and a deleted authentication each end with exactly the hooks the wanted
subscriptions record; other apps' hooks and other authentications' recorded hooks stay."""

import uuid

import pytest

from integrations import authentications, subscriptions
from integrations.models import WebhookSubscription
from integrations.subscriptions import subscription_for
from workflows import services

pytestmark = pytest.mark.django_db

OURS = "https://workflows.example.com/webhooks/bigcommerce"


def add_hook(store, destination: str, scope: str = "store/shipment/created", **fields) -> int:
    """A hook at BigCommerce that we did not record (made by a create whose save was lost)."""
    hook_id = store.next_hook_id
    store.next_hook_id += 1
    store.hooks[hook_id] = {
        "id": hook_id,
        "scope": scope,
        "destination": destination,
        "is_active": True,
        "headers": {},
        **fields,
    }
    return hook_id


def recorded_hooks() -> set[int]:
    return set(
        WebhookSubscription.objects.filter(wanted=True, hook_id__isnull=False).values_list(
            "hook_id", flat=True
        )
    )


def test_hooks_created_but_never_recorded_are_deleted_by_the_check(
    make_workflow, auth, store, make_authentication, other_account
):
    # Given an active workflow (its hook recorded), another account of ours on the same store
    # with its own recorded hook, and another app's hook on the store
    services.activate(make_workflow("shipment_created", status="draft"))
    rival = make_authentication(other_account, name="Rival")
    services.activate(make_workflow("cart_abandoned", authentication=rival, status="draft"))
    theirs = add_hook(store, "https://other-app.example.net/hooks/bigcommerce/1/")
    # and two hooks of ours that nothing records: one for a subscription no workflow wants
    # (created, then the save was lost), one for a subscription row that was never committed
    unwanted = subscription_for(auth, "cart_converted")
    lost = add_hook(store, f"{OURS}/{unwanted.uuid}/", "store/cart/converted")
    orphan = add_hook(store, f"{OURS}/{uuid.uuid4()}/")
    # When the periodic check runs
    counts = subscriptions.check_all().counts
    # Then both strays are deleted, and only they
    assert counts["strays_deleted"] == 2
    assert lost not in store.hooks and orphan not in store.hooks
    assert set(store.hooks) == recorded_hooks() | {theirs}
    # And a second check finds nothing more to do
    assert subscriptions.check_all().counts["strays_deleted"] == 0


def test_a_hook_created_but_not_yet_recorded_for_a_wanted_subscription_is_adopted(
    make_workflow, auth, store
):
    # Given a wanted subscription whose hook BigCommerce made but whose save was lost
    services.activate(make_workflow("shipment_created", status="draft"))
    sub = subscription_for(auth, "shipment_created")
    WebhookSubscription.objects.filter(pk=sub.pk).update(hook_id=None, status="error")
    # When the check runs
    subscriptions.check_all()
    # Then that hook is kept and recorded, not duplicated nor deleted
    (hook_id,) = store.hooks
    assert subscription_for(auth, "shipment_created").hook_id == hook_id


def test_pausing_the_last_workflow_deletes_a_hook_that_was_never_recorded(
    make_workflow, auth, store
):
    # Given an active workflow whose hook BigCommerce made but whose save was lost
    workflow = make_workflow("shipment_created", status="draft")
    services.activate(workflow)
    sub = subscription_for(auth, "shipment_created")
    WebhookSubscription.objects.filter(pk=sub.pk).update(hook_id=None)
    # When the workflow is paused, before any periodic check
    services.pause(workflow)
    # Then the hook is found by its scope and destination and deleted at once
    assert store.hooks == {}
    assert subscription_for(auth, "shipment_created").status == "not_registered"


def test_a_changed_public_base_url_leaves_no_hook_at_the_old_address(
    make_workflow, auth, store, settings
):
    # Given a hook registered under the old address, and another app's hook
    services.activate(make_workflow("shipment_created", status="draft"))
    (old_id,) = store.hooks
    theirs = add_hook(store, "https://other-app.example.net/hooks/bigcommerce/1/")
    # When PUBLIC_BASE_URL changes and the check runs
    settings.PUBLIC_BASE_URL = "https://initiator.example.org"
    subscriptions.check_all()
    # Then the only hook of ours delivers to the new address, and it is the one recorded
    sub = subscription_for(auth, "shipment_created")
    assert old_id not in store.hooks and theirs in store.hooks
    assert store.hooks[sub.hook_id]["destination"] == (
        f"https://initiator.example.org/webhooks/bigcommerce/{sub.uuid}/"
    )
    assert set(store.hooks) == {sub.hook_id, theirs}


def test_a_new_token_of_the_same_api_account_keeps_the_same_hooks(make_workflow, auth, store):
    # Given a registered hook
    services.activate(make_workflow("shipment_created", status="draft"))
    (hook_id,) = store.hooks
    # When the access token is rotated (same API account: it sees the same hooks)
    authentications.update_authentication(auth, access_token="rotated-token-of-same-account")
    # Then the hook is kept as it is: no gap, nothing created or deleted
    assert set(store.hooks) == {hook_id} == recorded_hooks()
    assert not [w for w in store.hook_writes() if w[0] in ("POST", "DELETE")][1:]


def test_a_token_of_another_api_account_moves_the_hooks_and_deletes_the_old_ones(
    make_workflow, auth, store
):
    # Given hooks registered with the first API account's token
    services.activate(make_workflow("shipment_created", status="draft"))
    services.activate(make_workflow("cart_abandoned", status="draft"))
    old_ids = set(store.hooks)
    # When the token is replaced by another API account's (which can't see those hooks)
    store.api_accounts["token-of-another-api-account"] = "another-client"
    authentications.update_authentication(auth, access_token="token-of-another-api-account")
    # Then each wanted subscription has a hook of the new account, recorded
    assert old_ids.isdisjoint(store.hooks)
    assert set(store.hooks) == recorded_hooks() and len(store.hooks) == 2
    assert {h["client_id"] for h in store.hooks.values()} == {"another-client"}
    # And the old account's hooks were deleted with the old token
    assert {("DELETE", f"/v3/hooks/{i}") for i in old_ids} <= set(store.hook_writes())


def test_a_deleted_authentication_leaves_no_hook_behind(make_workflow, auth, store, settings):
    # Given a workflow whose hook could not be deleted when it was removed (BigCommerce down)
    wf = services.activate(make_workflow("shipment_created", status="draft"))
    sub = subscription_for(auth, "shipment_created")
    store.fail_next("/v3/hooks/", 503)
    services.delete_workflow(wf)
    assert store.hooks and subscription_for(auth, "shipment_created").hook_id is not None
    # and an unrecorded hook of it left under an address we no longer use
    settings.PUBLIC_BASE_URL = "https://initiator.example.org"
    old_address = add_hook(store, f"{OURS}/{sub.uuid}/")
    theirs = add_hook(store, "https://other-app.example.net/hooks/bigcommerce/1/")
    # When the authentication is deleted
    authentications.delete_authentication(auth)
    # Then every hook of ours is gone from BigCommerce; the other app's stays
    assert old_address not in store.hooks
    assert set(store.hooks) == {theirs}
