"""The survey and unsubscribe tokens never reach the logs: Django's request warnings, the
production server's access lines and gunicorn's access log show ``/s/[token]/`` instead."""

from __future__ import annotations

import io
import logging
import runpy

import pytest

from initiator_site import serve
from initiator_site.log_filters import redact
from tests.factories import make_invitation, make_survey
from tests.harness import ROOT
from workflows.sending.unsubscribe import make_token


@pytest.mark.django_db
def test_a_closed_survey_page_is_logged_without_its_token(client, account, caplog):
    # Given an invitation whose time is up
    invitation, token = make_invitation(make_survey(account), days=-1)
    # When its link is opened (a 410 page, which Django logs as a warning)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get(f"/s/{token}/").status_code == 410
    # Then the warning names the page but not the token
    assert "Gone: /s/[token]/" in caplog.text
    assert token not in caplog.text


def test_the_access_line_of_an_unsubscribe_link_has_no_token(caplog, settings):
    # Given the production server's access log and a signed unsubscribe token
    token = make_token(7, "ann@example.com")
    app = serve.with_access_log(lambda environ, start: start("200 OK", []) or [b""])
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": f"/u/{token}/", "QUERY_STRING": "a=1"}
    # When its page is requested
    with caplog.at_level(logging.INFO, logger="initiator.access"):
        list(app({**environ, "SERVER_PROTOCOL": "HTTP/1.1"}, lambda *args: None))
    # Then the line shows the page, not the token
    assert '"GET /u/[token]/?a=1 HTTP/1.1" 200' in caplog.text
    assert token not in caplog.text


def test_gunicorns_access_log_has_no_token(caplog):
    # Given gunicorn's worker set up by gunicorn.conf.py
    access = logging.getLogger("gunicorn.access")
    before = list(access.filters)
    runpy.run_path(str(ROOT / "gunicorn.conf.py"))["post_fork"](None, None)
    try:
        # When it logs a request line the way gunicorn does (a format and its atoms)
        with caplog.at_level(logging.INFO, logger="gunicorn.access"):
            access.info(
                '%(h)s "%(r)s" %(s)s',
                {"h": "10.0.0.1", "r": "GET /s/abcDEF_-1/ HTTP/1.1", "s": "200"},
            )
        # Then the token is gone
        assert '10.0.0.1 "GET /s/[token]/ HTTP/1.1" 200' in caplog.text
        assert "abcDEF_-1" not in caplog.text
    finally:
        access.filters[:] = before


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ("Not Found: /s/x-y_z/", "Not Found: /s/[token]/"),
        ("https://shop.example/u/eyJh:1a2b:c3/?x=1", "https://shop.example/u/[token]/?x=1"),
        ('"GET /static/s/app.css HTTP/1.1"', '"GET /static/s/app.css HTTP/1.1"'),
        ('"GET /surveys/3/results/ HTTP/1.1"', '"GET /surveys/3/results/ HTTP/1.1"'),
    ],
)
def test_only_what_follows_s_or_u_is_redacted(line, shown):
    assert redact(line) == shown


def test_runservers_request_lines_still_print_without_the_token():
    # Given `make run`'s web server logging a request line the way Django's runserver does
    server = logging.getLogger("django.server")
    (handler,) = [h for h in server.handlers if type(h) is logging.StreamHandler]  # ours
    printed = io.StringIO()
    before = handler.setStream(printed)
    try:
        server.info('"%s" %s %s', "GET /s/abcDEF_-1/ HTTP/1.1", 200, 1234)
    finally:
        handler.setStream(before)
    # Then it is printed once, with the page but not the token
    assert printed.getvalue().count('"GET /s/[token]/ HTTP/1.1" 200 1234') == 1
    assert "abcDEF_-1" not in printed.getvalue()
