"""Survey data outlives the runs that produced it: pruning a run keeps its invitation and
response, with their copies of the order and customer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from surveys.models import Invitation, SurveyResponse
from tests.factories import make_invitation, make_survey
from workflows import retention
from workflows.models import WorkflowRun

pytestmark = pytest.mark.django_db


def test_a_pruned_run_leaves_its_survey_response(make_workflow, account, settings):
    # Given an old finished run whose customer answered its survey
    settings.RUN_RETENTION_DAYS = 30
    run = WorkflowRun.objects.create(workflow=make_workflow(), status="succeeded")
    WorkflowRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(days=31))
    invitation, _token = make_invitation(make_survey(account), run=run, order_id=251)
    SurveyResponse.objects.create(
        invitation=invitation, survey=invitation.survey, run=run, order_id=251, answers={"nps": 9}
    )
    # When retention prunes runs
    assert retention.prune().runs == 1
    # Then the run is gone and the survey data stays, detached from it
    assert not WorkflowRun.objects.exists()
    response = SurveyResponse.objects.get()
    assert (response.run_id, response.order_id, response.answers) == (None, 251, {"nps": 9})
    assert Invitation.objects.get().run_id is None
