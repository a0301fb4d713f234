"""`make bench`'s printed report: the verdicts against #7's targets, and the server's shape."""

import json

from bench import report
from tests.factories import FIXTURES

SAVED = FIXTURES / "bench-report.json"


def saved() -> dict:
    return json.loads(SAVED.read_text())


def test_each_target_gets_its_verdict_per_topology():
    # Given a saved run where PostgreSQL's ingest missed and everything else met
    text = report.render(saved())
    # Then the report says so, line by line
    assert "(c)/(b) = 0.81 (target >= 0.7: met)" in text
    assert "(c)/(b) = 0.64 (target >= 0.7: MISSED)" in text
    assert "p99 (c) = 90.0 ms (target < 50: MISSED)" in text
    assert text.count("% met") == 4


def test_the_server_shape_follows_gunicorns_threads_rule():
    run = saved()
    assert "5 sync workers: each closes its connection" in report.render(run)
    run["config"]["web_threads"] = 4
    assert "gthread, 5 workers x 4 threads, keep-alive" in report.render(run)


def with_servers(run: dict) -> dict:
    """The saved run as a run on both servers: waitress 10% faster than gunicorn, and the
    receiver again with slow clients connected (gunicorn answering none, waitress all)."""
    import copy

    for result in run["results"].values():
        gunicorn = result["ingest"]
        waitress = copy.deepcopy(gunicorn)
        waitress["views"]["c"]["rps"] = round(gunicorn["views"]["c"]["rps"] * 1.1, 1)
        slow = copy.deepcopy(gunicorn["views"]["c"]) | {"key": "s", "label": "receiver, slow"}
        waitress["views"]["s"] = slow
        blocked = slow | {"requests": 0, "ok": 0, "rps": 0.0, "ok_total": 0, "rows_total": 0}
        gunicorn["views"]["s"] = blocked | {"server_cpu_ms_per_request": None}
        result["ingest"] = {"servers": {"gunicorn": gunicorn, "waitress": waitress}}
    run["config"].update(servers=["gunicorn", "waitress"], serve_processes=2, serve_threads=4)
    return run


def test_both_servers_are_reported_side_by_side_with_slow_clients():
    # Given a run measured on gunicorn sync and waitress
    text = report.render(with_servers(saved()))
    # Then each server has its block and shape, and the comparison is spelled out
    assert text.count("gunicorn sync (gunicorn.conf.py):") == 3  # shape line and two blocks
    assert "2 processes x 4 threads, keep-alive; each request read whole" in text
    assert "waitress against gunicorn sync, receiver (c): 1.10 x the req/s" in text
    # And with slow clients connected gunicorn answered nothing, waitress within its p99
    assert "p99 (s) = - ms against (c) 22.9 ms (target < 50: MISSED);  0 answered 2xx" in text
    assert "p99 (s) = 22.9 ms against (c) 22.9 ms (target < 50: met)" in text


def test_the_survey_page_is_reported_against_one_insert():
    # Given a run that measured the survey response page (d) at 60% and 40% of (b)
    import copy

    run = saved()
    for result, share in zip(run["results"].values(), (0.6, 0.4), strict=False):
        figures = result["ingest"]
        page = copy.deepcopy(figures["views"]["b"]) | {"key": "d", "label": "survey page"}
        page["rps"] = round(figures["views"]["b"]["rps"] * share, 1)
        page["rows_total"] = None
        figures["views"]["d"] = page
        figures["d_over_b"] = share
    # Then each topology's report gives its ratio and verdict, and the view's own row
    text = report.render(run)
    assert "(d)/(b) = 0.60, the survey response page (target >= 0.5: met)" in text
    assert "(d)/(b) = 0.40, the survey response page (target >= 0.5: MISSED)" in text
    assert text.count("(d) survey page") == 2
