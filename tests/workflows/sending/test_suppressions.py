"""The suppression list: the customer emails page (search, add, remove, CSV import and
export), its API and its admin, each scoped to the account."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.html import check_page
from workflows import jobs, tasks
from workflows.models import Job, Suppression
from workflows.sending import suppression_import

pytestmark = pytest.mark.django_db
PAGE = "/suppressions/"
API = "/api/v1/suppressions/"


@pytest.fixture
def listed(account, other_account):
    Suppression.objects.create(account=account, email="gone@example.com", reason="bounced")
    Suppression.objects.create(account=account, email="left@example.com", reason="unsubscribed")
    Suppression.objects.create(account=other_account, email="rival@example.com", reason="manual")


def emails(account) -> set[str]:
    return set(Suppression.objects.filter(account=account).values_list("email", flat=True))


# --- UI --------------------------------------------------------------------------------------


def test_the_page_lists_and_searches_the_accounts_addresses(client, member, listed):
    client.force_login(member)
    html = check_page(client.get(PAGE))
    assert "gone@example.com" in html and "left@example.com" in html
    assert "rival@example.com" not in html
    found = client.get(PAGE, {"q": "GONE"}).content.decode()
    assert "gone@example.com" in found and "left@example.com" not in found
    # A member can look, not change
    assert "Add to the list" not in html
    assert client.post(reverse("sending:suppression-add"), {"email": "x@y.co"}).status_code == 403


def test_a_manager_adds_and_removes_an_address(client, manager, account):
    client.force_login(manager)
    response = client.post(
        reverse("sending:suppression-add"),
        {"email": "  Someone@Example.COM ", "reason": "manual"},
        follow=True,
    )
    assert "someone@example.com will get no customer email" in response.content.decode()
    row = Suppression.objects.get(account=account)
    assert (row.email, row.source) == ("someone@example.com", "added by manny")
    # Adding it again changes nothing
    client.post(reverse("sending:suppression-add"), {"email": "someone@example.com"})
    assert Suppression.objects.count() == 1
    client.post(reverse("sending:suppression-remove", args=[row.pk]))
    assert emails(account) == set()


def test_a_bad_address_is_refused_with_the_input_kept(client, manager):
    client.force_login(manager)
    response = client.post(reverse("sending:suppression-add"), {"email": "not-an-address"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "is not a valid email address" in html and 'value="not-an-address"' in html


CSV = (
    "email,reason\n"
    "new@example.com,bounced\n"
    "GONE@example.com,\n"  # already listed
    "nonsense,manual\n"
    "other@example.com,angry\n"
    "plain@example.com\n"
)


def test_csv_import_runs_as_a_job_and_its_page_shows_the_progress_and_refused_rows(
    client, manager, account, listed
):
    # Given a manager uploading a CSV with good, known and bad rows
    client.force_login(manager)
    upload = SimpleUploadedFile("list.csv", CSV.encode(), content_type="text/csv")
    response = client.post(reverse("sending:suppression-import"), {"file": upload})
    # Then the request only queues a job, and sends the manager to its page
    job = Job.objects.get(kind="import_suppressions")
    assert response.status_code == 302 and response.url == reverse("workflows:job", args=[job.pk])
    assert (job.status, job.done, job.total, job.error_count) == ("queued", 0, 3, 2)
    assert not {"new@example.com", "plain@example.com"} & emails(account)
    html = check_page(client.get(response.url))
    assert "0 of 3" in html and "refreshes itself" in html
    # When the cluster runs it
    assert tasks.run_job(job.pk) == "succeeded: 3 of 3, 2 error(s)"
    # Then the addresses are on the list, and the page says what happened, row by row
    assert {"new@example.com", "plain@example.com"} <= emails(account)
    assert Suppression.objects.get(account=account, email="plain@example.com").reason == "manual"
    html = check_page(client.get(response.url))
    assert "3 of 3" in html and "2 added, 1 already on the list" in html
    assert "Rows refused: 2" in html
    assert "Row 4: &#x27;nonsense&#x27; is not a valid email address." in html
    assert "Row 5: unknown reason &#x27;angry&#x27;" in html
    # And the job no longer holds the addresses (the list has them)
    assert "rows" not in Job.objects.get(pk=job.pk).params


def test_a_long_import_saves_its_progress_batch_by_batch(account, manager, monkeypatch):
    # Given an import of 5 addresses, 2 per batch
    monkeypatch.setattr(suppression_import, "BATCH", 2)
    text = "".join(f"user{n}@example.com\n" for n in range(5))
    job = suppression_import.start(account, manager, text, source="test")
    seen = []

    def step(job):
        seen.append(Job.objects.get(pk=job.pk).done)  # what the job page shows meanwhile
        return suppression_import.import_step(job)

    # When it runs
    assert jobs.run(job.pk, {job.kind: step}) == "succeeded: 5 of 5, 0 error(s)"
    # Then its progress was saved after each batch, and every address is in
    assert seen == [0, 2, 4]
    assert emails(account) == {f"user{n}@example.com" for n in range(5)}


def test_an_unreadable_row_is_reported_not_a_500(client, manager, account):
    client.force_login(manager)
    # Given a CSV whose second row has a cell longer than the csv module reads (128 KiB)
    upload = SimpleUploadedFile("list.csv", b"a@example.com\n" + b"x" * 200_000)
    client.post(reverse("sending:suppression-import"), {"file": upload})
    # When it is imported, the rows before it are, and it is reported
    job = Job.objects.get()
    tasks.run_job(job.pk)
    job.refresh_from_db()
    assert (job.status, job.done, job.total, job.error_count) == ("succeeded", 1, 1, 1)
    assert "not readable as CSV" in job.errors[0]["error"]


def test_csv_export_has_the_accounts_rows_only(client, member, listed, account):
    Suppression.objects.create(account=account, email="=cmd@example.com", reason="manual")
    client.force_login(member)
    response = client.get(reverse("sending:suppression-export"))
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0] == "email,reason,source,created_at"
    assert {line.split(",")[0] for line in lines[1:]} == {
        "gone@example.com",
        "left@example.com",
        "'=cmd@example.com",  # a spreadsheet won't run it as a formula
    }


def test_the_frequency_cap_is_set_on_the_same_page(client, manager, account):
    client.force_login(manager)
    client.post(
        reverse("sending:frequency-cap"),
        {"cap-frequency_cap_emails": 3, "cap-frequency_cap_hours": 72},
    )
    account.refresh_from_db()
    assert (account.frequency_cap_emails, account.frequency_cap_hours) == (3, 72)
    bad = client.post(
        reverse("sending:frequency-cap"),
        {"cap-frequency_cap_emails": 1, "cap-frequency_cap_hours": 0},
    )
    assert bad.status_code == 400


# --- API -------------------------------------------------------------------------------------


def test_api_lists_searches_adds_and_deletes(api_client, manager, account, listed):
    api_client.force_authenticate(manager)
    listing = api_client.get(API).json()
    assert listing["count"] == 2
    assert {row["email"] for row in listing["results"]} == {"gone@example.com", "left@example.com"}
    assert api_client.get(API, {"search": "left"}).json()["count"] == 1
    created = api_client.post(API, {"email": "A@B.example"}, format="json")
    assert created.status_code == 201
    assert created.json() | {"id": 0, "created_at": ""} == {
        "id": 0,
        "email": "a@b.example",
        "reason": "manual",
        "source": "API (manny)",
        "created_at": "",
    }
    again = api_client.post(API, {"email": "a@b.example", "reason": "bounced"}, format="json")
    assert again.status_code == 200 and again.json()["reason"] == "manual"
    assert api_client.delete(f"{API}{created.json()['id']}/").status_code == 204
    assert "a@b.example" not in emails(account)


def test_api_refuses_bad_input_and_other_accounts_rows(api_client, manager, other_account):
    api_client.force_authenticate(manager)
    bad = api_client.post(API, {"email": "nope", "reason": "angry"}, format="json")
    assert bad.status_code == 400 and set(bad.json()) == {"email", "reason"}
    rival = Suppression.objects.create(account=other_account, email="r@x.co", reason="manual")
    assert api_client.delete(f"{API}{rival.pk}/").status_code == 404
    assert Suppression.objects.filter(pk=rival.pk).exists()


def test_api_imports_a_csv_as_a_job_followed_at_jobs(api_client, manager, account, listed):
    # Given a manager sending a CSV to the API
    api_client.force_authenticate(manager)
    response = api_client.post(f"{API}import/", {"csv": CSV}, format="json")
    # Then it is accepted as a job
    assert response.status_code == 202
    job = response.json()
    assert (job["kind"], job["status"], job["total"], job["error_count"]) == (
        "import_suppressions",
        "queued",
        3,
        2,
    )
    # When the cluster has run it, jobs/{id}/ shows it done, with the refused rows
    tasks.run_job(job["id"])
    done = api_client.get(f"/api/v1/jobs/{job['id']}/").json()
    assert (done["status"], done["done"], done["total"]) == ("succeeded", 3, 3)
    assert [e["error"][:6] for e in done["errors"]] == ["Row 4:", "Row 5:"]
    assert {"new@example.com", "plain@example.com"} <= emails(account)
    # And a body that is no CSV text is a 400 naming the field; nothing is queued
    bad = api_client.post(f"{API}import/", {"csv": ["x"]}, format="json")
    assert bad.status_code == 400 and "csv" in bad.json()
    assert Job.objects.count() == 1


def test_api_writes_need_the_integration_manager_permission(api_client, member, listed):
    api_client.force_authenticate(member)
    assert api_client.get(API).status_code == 200
    response = api_client.post(API, {"email": "a@b.co"}, format="json")
    assert response.status_code == 403 and "Integration Manager" in response.json()["detail"]


# --- Admin -----------------------------------------------------------------------------------


def test_an_account_admin_sees_only_their_accounts_suppressions(client, account_admin, listed):
    client.force_login(account_admin)
    html = client.get(reverse("admin:workflows_suppression_changelist")).content.decode()
    assert "gone@example.com" in html and "rival@example.com" not in html
