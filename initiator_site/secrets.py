"""Local development secrets: generated once into an ignored file, never used with DEBUG off."""

from __future__ import annotations

import secrets
from pathlib import Path

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

REQUIRED = ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS")


def ensure_dev_secrets(path: Path) -> None:
    """Write missing dev secrets to `path` (an ignored .env-style file) so a newcomer's
    `make run` just works. The file is read by django-environ like any .env file."""
    existing = path.read_text().splitlines() if path.exists() else []
    names = {line.split("=", 1)[0] for line in existing if "=" in line}
    generated = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    }
    missing = [f"{name}={value}" for name, value in generated.items() if name not in names]
    if missing:
        path.write_text("\n".join(existing + missing) + "\n")
        path.chmod(0o600)


def require(env, name: str) -> str:
    """Read a mandatory production secret; stop start-up naming it when it is missing."""
    value = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(
            f"{name} is not set. With DEBUG off it must come from the environment "
            f"(see .env.example); dev secrets are only generated when DEBUG is on."
        )
    return value
