"""The stand-in's quota: BigCommerce's rate-limit headers on every reply, 429 past the quota,
counts per store and window, and its control API."""

import pytest
import requests

from integrations.standin import StandIn

STORE, TOKEN = "quotastore", "quota-token"


@pytest.fixture
def small():
    with StandIn(port=0, stores={STORE: TOKEN}, quota=3, window_ms=60_000) as running:
        yield running


def get(standin, path="/v2/orders/7", token=TOKEN):
    return requests.get(
        f"{standin.base_url}/stores/{STORE}{path}", headers={"X-Auth-Token": token}, timeout=5
    )


def test_every_reply_carries_the_rate_limit_headers_and_the_quota_is_enforced(small):
    # When a client sends five requests in one window of a quota of three (one for a
    # resource that does not exist)
    replies = [get(small), get(small, "/v2/orders/999999"), get(small), get(small), get(small)]
    # Then every reply says the quota and the window, and how many are left
    assert [r.status_code for r in replies] == [200, 404, 200, 429, 429]
    assert [r.headers["X-Rate-Limit-Requests-Left"] for r in replies] == ["2", "1", "0", "0", "0"]
    for reply in replies:
        assert reply.headers["X-Rate-Limit-Requests-Quota"] == "3"
        assert reply.headers["X-Rate-Limit-Time-Window-Ms"] == "60000"
        assert 0 < int(reply.headers["X-Rate-Limit-Time-Reset-Ms"]) <= 60_000
    # And it counted three served and two refused in that window
    assert small.rate_limit.describe()["windows"] == [
        {"store_hash": STORE, "window": 0, "served": 3, "refused": 2}
    ]


def test_a_wrong_token_is_refused_before_it_counts(small):
    assert get(small, token="wrong").status_code == 401
    assert small.rate_limit.describe()["windows"] == []


def test_the_control_api_sets_the_quota_and_spends_for_other_apps(small):
    control = f"{small.base_url}/_standin/rate-limit"
    # When the quota is set over the control API, and other apps spend 4 of it
    answer = requests.post(control, json={"quota": 5, "window_ms": 1000}, timeout=5).json()
    assert (answer["quota"], answer["window_ms"]) == (5, 1000)
    requests.post(f"{control}/spend", json={"store_hash": STORE, "count": 4}, timeout=5)
    # Then one request is left to us
    assert get(small).headers["X-Rate-Limit-Requests-Left"] == "0"
    assert requests.get(control, timeout=5).json()["windows"][0]["served"] == 5
    # And bad settings are refused with a reason
    for bad in ({"quota": 0, "window_ms": 1000}, {"quota": 5, "window_ms": "x"}, []):
        reply = requests.post(control, json=bad, timeout=5)
        assert reply.status_code == 400 and reply.json()["error"]
