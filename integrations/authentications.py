"""Rules for BigCommerce authentications: verify, create, change credentials, delete.

Views, serializers, forms and admin call these functions; none of them talks to BigCommerce
directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import timedelta

from django.db import transaction
from django.db.models import F, ProtectedError, Q
from django.utils import timezone

from integrations import signals, store_settings
from integrations.bigcommerce import errors, quota
from integrations.bigcommerce.client import BigCommerceClient
from integrations.models import BigCommerceAuthentication, VerificationStatus

CREDENTIAL_FIELDS = ("store_hash", "client_id", "access_token")


class VerificationFailed(Exception):
    """BigCommerce refused the credentials (or could not be reached). `field` names the form
    field the user should fix, or None when it is not theirs to fix (network)."""

    def __init__(self, message: str, field: str | None = None, *, permanent: bool = True):
        super().__init__(message)
        self.message = message
        self.field = field
        self.permanent = permanent


class AuthenticationInUse(Exception):
    def __init__(self, workflow_names: list[str]):
        self.workflow_names = workflow_names
        names = ", ".join(f"“{n}”" for n in workflow_names)
        super().__init__(
            f"This authentication is used by {len(workflow_names)} workflow(s): {names}. "
            "Delete those workflows or switch them to another authentication first."
        )


@dataclass(frozen=True)
class StoreInfo:
    name: str
    store: dict = dataclass_field(default_factory=dict, compare=False)  # the /v2/store reply


STORE_INFO_MAX_AGE = timedelta(days=1)
STORE_SETTINGS_FIELDS = ["store_settings", "store_settings_fetched_at"]


def client_for(auth: BigCommerceAuthentication, **kwargs) -> BigCommerceClient:
    """The client for `auth`'s store, within the store's shared API budget."""
    kwargs.setdefault("api_budget", quota.SHARED)
    return BigCommerceClient(auth.store_hash, auth.access_token, **kwargs)


def verify_credentials(store_hash: str, access_token: str) -> StoreInfo:
    """`GET /v2/store` with these credentials; the store's name, or VerificationFailed saying
    what to fix."""
    try:
        with BigCommerceClient(
            store_hash, access_token, max_retries=1, api_budget=quota.SHARED
        ) as client:
            store = client.get_store()
    except errors.InvalidCredentials as exc:
        field = "store_hash" if "store hash" in exc.message.lower() else "access_token"
        raise VerificationFailed(exc.message, field) from None
    except errors.AuthenticationFailed:
        raise VerificationFailed(
            "BigCommerce rejected the access token (401). Check that you pasted the Access Token "
            "of a store-level API account, and that the account has not been deleted.",
            "access_token",
        ) from None
    except errors.PermissionDenied:
        raise VerificationFailed(
            "BigCommerce refused access (403): the API account lacks the read-only scopes, or the "
            "store hash belongs to another store. Check the scopes and the Store Hash.",
            "store_hash",
        ) from None
    except errors.NotFound:
        raise VerificationFailed(
            "BigCommerce found no store with this store hash (404). Copy the Store Hash from the "
            "API account file again.",
            "store_hash",
        ) from None
    except (errors.Unavailable, errors.RateLimited) as exc:
        raise VerificationFailed(
            f"BigCommerce could not be reached to verify the credentials: {exc.message} "
            "Nothing was saved; try again in a minute.",
            None,
            permanent=False,
        ) from None
    except errors.BigCommerceError as exc:
        raise VerificationFailed(f"BigCommerce answered unexpectedly: {exc.message}") from None
    return StoreInfo(name=str(store.get("name") or ""), store=store)


def mark_verified(auth: BigCommerceAuthentication, info: StoreInfo) -> None:
    auth.status = VerificationStatus.VERIFIED
    auth.status_detail = ""
    auth.store_name = info.name[:255]
    auth.last_verified_at = timezone.now()
    if info.store:
        store_settings.remember(auth, info.store)


def refresh_store_settings(auth_ids, limit: int = 200) -> int:
    """Read the store's settings (its time zone among them) again where they are over a day
    old, for these authentications (one call each, the oldest first). A refusal is left to the
    hook check and the pipeline: the last known settings stay. Returns how many were read."""
    stale = timezone.now() - STORE_INFO_MAX_AGE
    auths = BigCommerceAuthentication.objects.filter(
        Q(store_settings_fetched_at__isnull=True) | Q(store_settings_fetched_at__lt=stale),
        pk__in=list(auth_ids),
        status=VerificationStatus.VERIFIED,
    ).order_by(F("store_settings_fetched_at").asc(nulls_first=True))[:limit]
    read = 0
    for auth in auths:
        try:
            with client_for(auth, max_retries=1) as client:
                store_settings.remember(auth, client.get_store())
        except errors.BigCommerceError:
            continue
        auth.save(update_fields=STORE_SETTINGS_FIELDS)
        read += 1
    return read


def create_authentication(*, account, created_by, name, store_hash, client_id, access_token):
    """Verify first, then store: an authentication that BigCommerce refused is never saved."""
    info = verify_credentials(store_hash, access_token)
    auth = BigCommerceAuthentication(
        account=account,
        created_by=created_by,
        name=name,
        store_hash=store_hash,
        client_id=client_id,
        access_token=access_token,
    )
    mark_verified(auth, info)
    auth.save()
    return auth


def verify_changes(auth: BigCommerceAuthentication, changes: dict) -> StoreInfo | None:
    """Verify the credentials `auth` would have after `changes`, when a credential changes
    (a new authentication always counts as changed); None when nothing needs checking."""
    changed = auth.pk is None or any(
        field in changes and changes[field] != getattr(auth, field) for field in CREDENTIAL_FIELDS
    )
    if not changed:
        return None
    return verify_credentials(
        changes.get("store_hash", auth.store_hash),
        changes.get("access_token", auth.access_token),
    )


def update_authentication(auth: BigCommerceAuthentication, **changes) -> BigCommerceAuthentication:
    """Apply `changes`; when a credential changes, verify the new set before saving anything,
    then announce it with a client on the old credentials (their hooks are tidied with it)."""
    info = verify_changes(auth, changes)
    previous = client_for(auth) if info is not None and auth.pk is not None else None
    for field, value in changes.items():
        setattr(auth, field, value)
    if info is not None:
        mark_verified(auth, info)
    auth.save()
    if previous is not None:
        with previous:
            signals.credentials_replaced.send(
                sender=BigCommerceAuthentication, authentication=auth, previous=previous
            )
    return auth


def reverify(auth: BigCommerceAuthentication) -> BigCommerceAuthentication:
    """Check the stored credentials again and record the outcome (never raises for a refusal)."""
    try:
        info = verify_credentials(auth.store_hash, auth.access_token)
    except VerificationFailed as exc:
        if exc.permanent:
            auth.status = VerificationStatus.FAILED
        auth.status_detail = exc.message
    else:
        mark_verified(auth, info)
    auth.save(
        update_fields=[
            "status",
            "status_detail",
            "store_name",
            "last_verified_at",
            *STORE_SETTINGS_FIELDS,
        ]
    )
    return auth


def mark_failing(auth_id: int, message: str) -> None:
    """Called by the pipeline when BigCommerce refuses the stored credentials (401/403)."""
    BigCommerceAuthentication.objects.filter(pk=auth_id).update(
        status=VerificationStatus.FAILED, status_detail=message
    )


def delete_authentication(auth: BigCommerceAuthentication) -> None:
    """Delete, unless workflows use it (the FK is PROTECT, so this is race-free); then announce
    it (its hooks are removed at BigCommerce)."""
    uuids = list(auth.subscriptions.values_list("uuid", flat=True))
    try:
        with transaction.atomic():
            auth.delete()
    except ProtectedError as exc:
        names = sorted({str(obj) for obj in exc.protected_objects})
        raise AuthenticationInUse(names) from None
    signals.authentication_deleted.send(
        sender=BigCommerceAuthentication, authentication=auth, subscription_uuids=uuids
    )
