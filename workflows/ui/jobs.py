"""A job's page: its progress, refreshed every few seconds until it is finished."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import QueryDict
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.ui.permissions import scoped_or_404
from workflows.models import Job, JobKind

REFRESH_SECONDS = 2


@require_GET
@login_required
def job_detail(request, pk):
    job = scoped_or_404(Job.objects.select_related("created_by"), request, pk=pk)
    filters = ""
    if job.kind == JobKind.REPLAY_DELIVERIES:
        # The same deliveries, whatever their status now: how the replayed ones are doing.
        query = QueryDict(job.params.get("filters", ""), mutable=True)
        query.pop("status", None)
        filters = query.urlencode()
    elif job.kind == JobKind.BACKFILL:
        filters = "origin=backfill"
    context = {
        "job": job,
        "percent": round(100 * job.done / job.total) if job.total else 100,
        "refresh": None if job.finished else REFRESH_SECONDS,
        "deliveries_query": filters,
    }
    # Each kind's page extends workflows/job.html with its own words.
    return render(request, f"workflows/jobs/{JobKind(job.kind).value}.html", context)
