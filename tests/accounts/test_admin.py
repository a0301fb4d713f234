"""The Django admin as an account admin: their own account's users, and nothing else."""

import pytest
from django.urls import reverse

from accounts.models import INTEGRATION_MANAGER_PERM, User

pytestmark = pytest.mark.django_db


def change_url(user):
    return reverse("admin:accounts_user_change", args=[user.pk])


def test_account_admin_lists_only_their_accounts_users(client, account_admin, member, other_member):
    # Given an account admin and a user in another account
    client.force_login(account_admin)
    # When they open the users list
    response = client.get(reverse("admin:accounts_user_changelist"))
    # Then their own account's users are listed and the other account's are not
    assert response.status_code == 200
    html = response.content.decode()
    assert member.username in html
    assert other_member.username not in html


def test_account_admin_cannot_open_another_accounts_user(client, account_admin, other_member):
    client.force_login(account_admin)
    response = client.get(change_url(other_member), follow=True)
    assert other_member.email not in response.content.decode()
    assert response.redirect_chain, "expected a redirect away from the foreign user"


def test_account_admin_cannot_edit_another_accounts_user(client, account_admin, other_member):
    client.force_login(account_admin)
    client.post(change_url(other_member), {"username": "hijacked", "is_active": "on"})
    other_member.refresh_from_db()
    assert other_member.username == "olga"


def test_list_filters_do_not_offer_other_accounts(client, account_admin, other_member):
    # Given an account admin (the default 'account' filter would list every tenant)
    client.force_login(account_admin)
    response = client.get(reverse("admin:accounts_user_changelist"))
    # Then no filter names the other account
    assert "Rival Mugs" not in response.content.decode()
    # And filtering by the other account's id by hand shows none of its users
    response = client.get(
        reverse("admin:accounts_user_changelist"), {"account__id__exact": other_member.account_id}
    )
    assert other_member.username not in response.content.decode()


def test_account_admin_never_sees_superusers(client, account_admin, make_user, account):
    root_in_account = make_user(account, "sneaky-root", superuser=True)
    client.force_login(account_admin)
    response = client.get(reverse("admin:accounts_user_changelist"))
    assert root_in_account.username not in response.content.decode()


def test_permissions_section_has_integration_manager_checkbox(client, account_admin, member):
    client.force_login(account_admin)
    response = client.get(change_url(member))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="integration_manager"' in html
    assert "Integration Manager" in html
    # And no superuser, group or raw permission controls for an account admin
    assert 'name="is_superuser"' not in html
    assert 'name="user_permissions"' not in html
    assert 'name="account"' not in html


def user_form_data(user, **extra):
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    data.update(extra)
    return data


def test_account_admin_grants_integration_manager(client, account_admin, member):
    # Given a member without the permission
    assert not member.has_perm(INTEGRATION_MANAGER_PERM)
    client.force_login(account_admin)
    # When the account admin ticks the Integration Manager box and saves
    response = client.post(change_url(member), user_form_data(member, integration_manager="on"))
    # Then the member holds the real Django permission
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(pk=member.pk).has_perm(INTEGRATION_MANAGER_PERM)


def test_account_admin_revokes_integration_manager(client, account_admin, manager):
    client.force_login(account_admin)
    response = client.post(change_url(manager), user_form_data(manager))
    assert response.status_code == 302
    assert not User.objects.get(pk=manager.pk).has_perm(INTEGRATION_MANAGER_PERM)


def test_forged_superuser_and_account_fields_are_ignored(
    client, account_admin, member, other_account
):
    # Given an account admin who forges fields the page does not show
    client.force_login(account_admin)
    forged = user_form_data(
        member, is_superuser="on", is_staff="on", account=str(other_account.pk), groups="1"
    )
    # When they save
    client.post(change_url(member), forged)
    # Then the user is neither superuser nor moved to another account
    member.refresh_from_db()
    assert member.is_superuser is False
    assert member.account_id == account_admin.account_id


def test_account_admin_adds_user_into_their_own_account(client, account_admin, other_account):
    client.force_login(account_admin)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "newbie",
            "email": "newbie@example.com",
            "password1": "a-long-unusual-passphrase-42",
            "password2": "a-long-unusual-passphrase-42",
            "integration_manager": "on",
            "account": str(other_account.pk),  # forged: not on the form
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    newbie = User.objects.get(username="newbie")
    assert newbie.account_id == account_admin.account_id
    assert newbie.has_perm(INTEGRATION_MANAGER_PERM)


def test_member_without_staff_cannot_use_admin(client, manager):
    client.force_login(manager)
    response = client.get(reverse("admin:accounts_user_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_account_admin_sees_only_own_account_in_accounts(client, account_admin, other_account):
    client.force_login(account_admin)
    response = client.get(reverse("admin:accounts_account_changelist"))
    assert response.status_code == 200
    assert "Acme T-Shirts" in response.content.decode()
    assert "Rival Mugs" not in response.content.decode()


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:django_q_schedule_changelist",
        "admin:django_q_success_changelist",
        "admin:django_q_failure_changelist",
        "admin:django_q_ormq_changelist",
    ],
)
def test_task_queue_admin_is_superuser_only(client, account_admin, superuser, url_name):
    client.force_login(account_admin)
    assert client.get(reverse(url_name)).status_code == 403
    client.force_login(superuser)
    assert client.get(reverse(url_name)).status_code == 200


def test_superuser_sees_every_account(client, superuser, member, other_member):
    client.force_login(superuser)
    html = client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert member.username in html and other_member.username in html
