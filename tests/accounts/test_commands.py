"""manage.py create_account and ensure_dev_user."""

import pytest
from django.core.management import CommandError, call_command

from accounts.models import INTEGRATION_MANAGER_PERM, Account, User

pytestmark = pytest.mark.django_db


def test_create_account_makes_account_and_admin(monkeypatch):
    # Given a password in the environment
    monkeypatch.setenv("ACCOUNT_ADMIN_PASSWORD", "a-long-unusual-passphrase-42")
    # When the command runs without input
    call_command(
        "create_account", "XYZ T-Shirts", "--admin", "xyz", "--email", "x@y.z", "--no-input"
    )
    # Then the account exists with a staff admin who can log in and manage integrations
    account = Account.objects.get(name="XYZ T-Shirts")
    admin = User.objects.get(username="xyz")
    assert admin.account == account
    assert admin.is_staff and not admin.is_superuser
    assert admin.check_password("a-long-unusual-passphrase-42")
    assert admin.has_perm(INTEGRATION_MANAGER_PERM)


def test_create_account_refuses_duplicate_name(monkeypatch, account):
    monkeypatch.setenv("ACCOUNT_ADMIN_PASSWORD", "a-long-unusual-passphrase-42")
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_account", account.name, "--admin", "someone", "--no-input")


def test_create_account_refuses_weak_password_and_creates_nothing(monkeypatch):
    monkeypatch.setenv("ACCOUNT_ADMIN_PASSWORD", "123")
    with pytest.raises(CommandError, match="Password rejected"):
        call_command("create_account", "Weak", "--admin", "weak", "--no-input")
    assert not Account.objects.filter(name="Weak").exists()


def test_create_account_without_password_says_how(monkeypatch):
    monkeypatch.delenv("ACCOUNT_ADMIN_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="ACCOUNT_ADMIN_PASSWORD"):
        call_command("create_account", "NoPw", "--admin", "nopw", "--no-input")


def test_ensure_dev_user_creates_demo_login_once(settings, tmp_path):
    settings.DEBUG = True
    settings.DEV_SECRETS_FILE = tmp_path / "dev.env"
    call_command("ensure_dev_user")
    call_command("ensure_dev_user")
    demo = User.objects.get(username="demo")
    password = settings.DEV_SECRETS_FILE.read_text().split("DEV_USER_PASSWORD=")[1].strip()
    assert demo.check_password(password)
    assert User.objects.count() == 1
    assert demo.email == "demo@example.com"  # test events email the user who sends them


def test_ensure_dev_user_gives_an_older_demo_user_an_email(settings, tmp_path):
    # given a demo user made before it had an address
    settings.DEBUG = True
    settings.DEV_SECRETS_FILE = tmp_path / "dev.env"
    account = Account.objects.create(name="Demo team")
    User.objects.create_user("demo", password="x-long-pass-123", account=account)
    # when make run ensures it again
    call_command("ensure_dev_user")
    # then it has the demo address
    assert User.objects.get(username="demo").email == "demo@example.com"
