"""The cluster's delivery relay, one poll of it, with its tasks run in the test's process."""

from django.utils.module_loading import import_string
from django_q.signing import SignedPackage


def run_due_deliveries() -> int:
    """What a cluster's pusher does on each poll (`workflows.broker.relayed`): due deliveries
    are handed out as tasks; here the tasks run inline. Returns how many were handed out."""
    from workflows.broker import relayed

    handed_out = relayed()
    for _ack, package in handed_out:
        task = SignedPackage.loads(package)
        import_string(task["func"])(*task["args"], **task["kwargs"])
    return len(handed_out)
