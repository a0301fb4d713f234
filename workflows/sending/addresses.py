"""How an email address is compared: lower case, surrounding white space removed. Nothing
else (no dots or plus parts dropped): two addresses are the same recipient only if a mail
server would treat them so for nearly every provider."""

from __future__ import annotations


def normalise(address: str) -> str:
    return address.strip().lower()


def masked(address: str) -> str:
    """``j***@e***.com``: enough for its owner to recognise, nothing for anyone else."""
    local, _, domain = normalise(address).partition("@")
    name, dot, tld = domain.rpartition(".")
    if not dot:
        name, tld = domain, ""
    shown_domain = f"{name[:1]}***{dot}{tld}" if name else "***"
    return f"{local[:1]}***@{shown_domain}"
