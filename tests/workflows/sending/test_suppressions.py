"""The suppression list: the customer emails page (search, add, remove, CSV import and
export), its API and its admin, each scoped to the account."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.html import check_page
from workflows.models import Suppression

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


def test_csv_import_adds_rows_and_reports_each_refused_one(client, manager, account, listed):
    client.force_login(manager)
    csv_text = (
        "email,reason\n"
        "new@example.com,bounced\n"
        "GONE@example.com,\n"  # already listed
        "nonsense,manual\n"
        "other@example.com,angry\n"
        "plain@example.com\n"
    )
    upload = SimpleUploadedFile("list.csv", csv_text.encode(), content_type="text/csv")
    response = client.post(reverse("sending:suppression-import"), {"file": upload}, follow=True)
    html = response.content.decode()
    assert "2 added, 1 already on the list, 2 row(s) refused" in html
    assert "Row 4: &#x27;nonsense&#x27; is not a valid email address." in html
    assert "Row 5: unknown reason &#x27;angry&#x27;" in html
    assert {"new@example.com", "plain@example.com"} <= emails(account)
    assert Suppression.objects.get(account=account, email="plain@example.com").reason == "manual"


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
