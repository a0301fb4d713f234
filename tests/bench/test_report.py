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
