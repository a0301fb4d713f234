"""A CSV import into the suppression list, as a job on the task cluster: the file is checked
when it is uploaded (each refused row reported by number), then its rows are added a batch at a
time, the job's page and `GET jobs/{id}/` showing how far it is (done of total, the refused
rows); nobody waits on the request."""

from __future__ import annotations

from workflows import jobs
from workflows.models import Job, JobKind
from workflows.sending import suppressions

BATCH = 200  # rows added per batch (progress is saved after each)


def start(account, user, text: str, *, source: str) -> Job:
    """Check `text` now and queue the import of its good rows."""
    parsed = suppressions.parse_csv(text)
    return jobs.create(
        kind=JobKind.IMPORT_SUPPRESSIONS,
        account=account,
        created_by=user,
        params={"rows": parsed.rows, "source": source, "added": 0, "already": 0},
        total=len(parsed.rows),
        errors=[{"id": None, "error": error} for error in parsed.errors],
        error_count=len(parsed.errors),
    )


def import_step(job: Job) -> bool:
    """Add the job's next batch of rows; once all are in, the addresses are dropped from the
    job (the list has them), its counts kept."""
    rows = job.params.get("rows", [])
    batch = rows[job.last_id : job.last_id + BATCH]
    for _number, address, reason in batch:
        _row, created = suppressions.suppress(job.account_id, address, reason, job.params["source"])
        job.params["added" if created else "already"] += 1
    job.last_id += len(batch)
    job.done = job.last_id
    more = job.last_id < len(rows)
    if not more:
        job.params.pop("rows", None)
    return more
