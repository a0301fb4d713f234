"""The sending gate: the one place that decides whether a customer email goes out now.

A customer email is a send of a real (non-test) run whose recipient came from a merge code.
The engine asks the gate before executing a step kind flagged ``sends_customer_email``
(step kinds never touch the database); the gate reads what it needs in one query and applies,
in this order:

1. the account's **suppression list** → skipped, ``suppressed``;
2. **consent** (the workflow's ``consent`` setting, BigCommerce's own fields) → ``no_consent``;
3. the account's **frequency cap** (emails actually sent to the recipient, any workflow) →
   ``frequency_cap``;
4. **send once** is applied earlier, when the run is created (``fanout.skip_repeat``: it holds
   the whole run back, and serialises two deliveries of one order);
5. the workflow's **send window** (weekdays and hours, store time): outside it the email is
   not refused but waits (the step and the run ``waiting`` until the window opens; the rules
   are applied again then).

A test run bypasses none of this silently: its email goes to the tester, and the step log says
which rules would have held a real one back. docs/architecture.md, "Customer-safe sending".

One email to several customer addresses is held back when any of them is refused, and its
unsubscribe link names the first. The cap counts emails already recorded: two runs for one
recipient executing at the same instant can both pass it (it is a courtesy limit, not a lock).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from accounts.models import Account
from workflows.models import Consent
from workflows.sending import unsubscribe, window
from workflows.sending.addresses import normalise
from workflows.sending.consent import consent
from workflows.sending.models import SentEmail, Suppression
from workflows.states import SkipReason


@dataclass(frozen=True)
class Facts:
    """What the gate reads from the database for one email."""

    suppressed: str = ""  # a SuppressionReason of one of the recipients, "" for none
    sent_recently: int = 0  # the most emails one recipient had within the cap's window


@dataclass(frozen=True)
class Refusal:
    reason: str  # a SkipReason value
    detail: str


@dataclass(frozen=True)
class Verdict:
    """The gate's answer for one email: send it, or hold it back (the first refusal)."""

    recipients: tuple[str, ...]  # the customer addresses, normalised
    refusals: tuple[Refusal, ...] = ()  # every rule that holds it back, in the gate's order
    unsubscribe_url: str | None = None
    wait_until: datetime | None = None  # outside the send window: when it opens
    wait_detail: str = ""

    @property
    def refusal(self) -> Refusal | None:
        return self.refusals[0] if self.refusals else None

    def test_note(self) -> str:
        """For a test run's step log: what a real run would have met."""
        notes = []
        if self.refusals:
            held = "; ".join(refusal.detail for refusal in self.refusals)
            notes.append(f"A real event would have been skipped: {held}.")
        if self.wait_until is not None:
            notes.append(f"A real event would have waited: {self.wait_detail}.")
        return " ".join(notes) or "It would pass every sending rule."


def read_facts(account: Account, recipients: list[str], now: datetime) -> Facts:
    """One query: the recipients' suppression and their most emails within the cap window."""
    since = now - timedelta(hours=account.frequency_cap_hours)
    suppressed = Suppression.objects.filter(account=OuterRef("pk"), email__in=recipients)
    recent = (
        SentEmail.objects.filter(
            account=OuterRef("pk"), recipient__in=recipients, sent_at__gte=since
        )
        .order_by()
        .values("recipient")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values("n")[:1]
    )
    row = (
        Account.objects.filter(pk=account.pk)
        .annotate(
            suppressed=Subquery(suppressed.order_by("created_at").values("reason")[:1]),
            sent_recently=Coalesce(Subquery(recent, output_field=IntegerField()), Value(0)),
        )
        .values_list("suppressed", "sent_recently")
        .first()
    )
    if row is None:
        return Facts()
    return Facts(suppressed=row[0] or "", sent_recently=row[1] or 0)


def decide(
    *,
    account: Account,
    consent_required: bool,
    event_key: str,
    merge_data,
    recipients: list[str],
    facts: Facts,
) -> list[Refusal]:
    """Every rule that refuses this email, in the gate's order (pure: tests call it as is)."""
    refusals = []
    if facts.suppressed:
        refusals.append(
            Refusal(
                SkipReason.SUPPRESSED,
                f"the recipient is on the suppression list ({facts.suppressed})",
            )
        )
    if consent_required:
        given, why = consent(event_key, merge_data)
        if not given:
            refusals.append(Refusal(SkipReason.NO_CONSENT, f"no consent: {why}"))
    cap = account.frequency_cap_emails
    if cap and facts.sent_recently >= cap:
        refusals.append(
            Refusal(
                SkipReason.FREQUENCY_CAP,
                f"frequency cap: the recipient already had {facts.sent_recently} email(s) in "
                f"the last {account.frequency_cap_hours} hours (the account allows {cap})",
            )
        )
    return refusals


def check(run, recipients: list[str], now: datetime, *, tester: str | None = None) -> Verdict:
    """The gate for one email of `run` (its workflow and account loaded) to `recipients`, the
    addresses that came from merge codes. A test run's email goes to `tester`, and so does its
    unsubscribe link."""
    workflow = run.workflow
    account = workflow.account
    addresses = list(dict.fromkeys(normalise(address) for address in recipients))
    facts = read_facts(account, addresses, now)
    refusals = decide(
        account=account,
        consent_required=workflow.consent == Consent.REQUIRED,
        event_key=workflow.event,
        merge_data=run.merge_data,
        recipients=addresses,
        facts=facts,
    )
    link_for = tester or (addresses[0] if addresses else None)
    wait_until, wait_detail = None, ""
    send_window = window.SendWindow.of(workflow)
    if send_window is not None:
        zone = window.store_zone(workflow.authentication.timezone)
        opens = send_window.next_opening(now, zone)
        if opens > now:
            wait_until = opens
            wait_detail = f"waiting for the send window: {window.described(opens, zone)}"
    return Verdict(
        recipients=tuple(addresses),
        refusals=tuple(refusals),
        unsubscribe_url=unsubscribe.url_for(account.pk, link_for) if link_for else None,
        wait_until=wait_until,
        wait_detail=wait_detail,
    )


def record_sent(run, step_result, recipients: tuple[str, ...], message_id: str, now) -> None:
    """One INSERT: what the frequency cap counts from now on, and where tracking lands."""
    SentEmail.objects.bulk_create(
        SentEmail(
            account_id=run.workflow.account_id,
            recipient=recipient,
            run=run,
            step_result=step_result,
            message_id=message_id[:255],
            sent_at=now,
        )
        for recipient in recipients
    )
