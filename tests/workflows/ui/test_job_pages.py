"""Each kind of job has its own page (workflows/jobs/<kind>.html extending workflows/job.html):
its own way back, its own summary and its own heading for the rows it could not do."""

import pytest
from django.urls import reverse

from workflows.models import Job, JobKind, JobStatus

pytestmark = pytest.mark.django_db

WORDS = {
    JobKind.REPLAY_DELIVERIES: ("deliveries handed back to the queue", "Not replayed: 1"),
    JobKind.IMPORT_SUPPRESSIONS: ("addresses imported", "Rows refused: 1"),
    JobKind.BACKFILL: ("orders changed in the gap looked at", "Problems: 1"),
}


@pytest.mark.parametrize("kind", list(JobKind))
def test_every_kind_of_job_has_its_page(as_manager, account, kind):
    # Given a running job of that kind, half done, with one row it could not do
    job = Job.objects.create(
        kind=kind,
        account=account,
        status=JobStatus.RUNNING,
        total=4,
        done=2,
        error_count=1,
        errors=[{"id": None, "error": "Row 3: not an email address."}],
        params={"created": 1, "duplicates": 0, "since": "2026-12-01T00:00:00"},
    )
    # When its page is opened
    page = as_manager.get(reverse("workflows:job", args=[job.pk])).content.decode()
    # Then it says what this kind did, that it refreshes, and what it could not do
    summary, heading = WORDS[kind]
    assert f"2 of 4</strong> {summary}" in page
    assert "This page refreshes itself until the job is done." in page
    assert heading in page and "Row 3: not an email address." in page
