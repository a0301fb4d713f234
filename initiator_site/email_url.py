"""``EMAIL_URL`` → Django's email settings: SMTP or console (django-environ's schemes), or an
email provider through django-anymail.

=========================================  ==============================================
``EMAIL_URL``                              sends through
=========================================  ==============================================
``consolemail://`` (default)               the console (development)
``smtp+tls://user:pass@host:587``          SMTP (also ``smtp://``, ``smtp+ssl://``)
``postmark://SERVER_TOKEN@``               Postmark's API
``sendgrid://API_KEY@``                    SendGrid's API
``mailgun://API_KEY@mg.example.com``       Mailgun's API (``?region=eu`` for its EU host)
``amazonses://`` (``?region=eu-west-1``)   Amazon SES (boto3; AWS credentials from the
                                           environment, as boto3 reads them)
=========================================  ==============================================

The provider's tracking webhooks are checked as anymail documents: HTTP basic auth with
``ANYMAIL_WEBHOOK_SECRET`` (``user:password``) for all of them, and the provider's own signature
where it has one (``MAILGUN_WEBHOOK_SIGNING_KEY``, ``SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY``).
"""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

import environ

ESP_BACKENDS = {
    "postmark": "anymail.backends.postmark.EmailBackend",
    "sendgrid": "anymail.backends.sendgrid.EmailBackend",
    "mailgun": "anymail.backends.mailgun.EmailBackend",
    "amazonses": "anymail.backends.amazon_ses.EmailBackend",
}
MAILGUN_EU_API_URL = "https://api.eu.mailgun.net/v3"


def email_settings(url: str, env: environ.Env) -> dict:
    """The settings ``url`` stands for: ``EMAIL_BACKEND`` and the rest, plus ``ANYMAIL``."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    anymail = _webhook_settings(env)
    if scheme not in ESP_BACKENDS:
        return {**environ.Env.email_url_config(url), "ANYMAIL": anymail}
    secret = unquote(parts.username or "")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    if scheme == "postmark":
        anymail["POSTMARK_SERVER_TOKEN"] = _required(secret, url, "the server token")
    elif scheme == "sendgrid":
        anymail["SENDGRID_API_KEY"] = _required(secret, url, "the API key")
    elif scheme == "mailgun":
        anymail["MAILGUN_API_KEY"] = _required(secret, url, "the API key")
        if parts.hostname:
            anymail["MAILGUN_SENDER_DOMAIN"] = parts.hostname
        if query.get("region", "").lower() == "eu":
            anymail["MAILGUN_API_URL"] = MAILGUN_EU_API_URL
    elif scheme == "amazonses" and query.get("region"):
        anymail["AMAZON_SES_CLIENT_PARAMS"] = {"region_name": query["region"]}
    return {"EMAIL_BACKEND": ESP_BACKENDS[scheme], "ANYMAIL": anymail}


def _webhook_settings(env: environ.Env) -> dict:
    settings = {}
    secret = env.str("ANYMAIL_WEBHOOK_SECRET", default="")
    if secret:
        settings["WEBHOOK_SECRET"] = secret
    for name in ("MAILGUN_WEBHOOK_SIGNING_KEY", "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY"):
        value = env.str(name, default="")
        if value:
            settings[name] = value
    return settings


def _required(value: str, url: str, what: str) -> str:
    if not value:
        scheme = urlsplit(url).scheme
        raise ValueError(f"EMAIL_URL {scheme}://… needs {what} before the @ ({scheme}://KEY@).")
    return value
