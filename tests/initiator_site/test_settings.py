"""Settings come from the environment; production refuses to start without its secrets."""

import os
import subprocess
import sys

import pytest

from tests.harness import ROOT


def run_manage(*args, **env):
    base = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS")}
    base.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


FERNET_KEY = "hTg5Y3Fh0b2mCwYVxJ1bA0oQyGq6F3v8zCzK3V9m4Zs="
PROD = {
    "DEBUG": "false",
    "ALLOWED_HOSTS": "workflows.example.com",
    "SECRET_KEY": "x" * 20 + "-a-long-random-production-secret-key-value-1234567890",
}


@pytest.mark.parametrize("missing", ["SECRET_KEY", "FIELD_ENCRYPTION_KEYS"])
def test_debug_off_without_a_secret_stops_and_names_it(missing):
    env = dict(PROD, FIELD_ENCRYPTION_KEYS=FERNET_KEY)
    env.pop(missing)
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert missing in result.stderr


def test_invalid_encryption_key_fails_check():
    result = run_manage("check", **dict(PROD, FIELD_ENCRYPTION_KEYS="not-a-fernet-key"))
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS" in result.stderr


def test_check_deploy_is_clean_with_debug_off():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **dict(PROD, FIELD_ENCRYPTION_KEYS=FERNET_KEY),
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_q_cluster_is_explicit(settings):
    q = settings.Q_CLUSTER
    assert q["timeout"] < q["retry"]
    assert q["ack_failures"] is True
    assert ("orm" in q) != ("redis" in q)
