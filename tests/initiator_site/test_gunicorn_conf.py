"""The production gunicorn.conf.py: sync workers by default, gthread when threads are asked for."""

import runpy

import pytest
from gunicorn.config import Config

from tests.harness import ROOT

CONF = ROOT / "gunicorn.conf.py"


def loaded(monkeypatch, **env) -> Config:
    for name in ("GUNICORN_THREADS", "GUNICORN_WORKERS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    config = Config()
    for name, value in runpy.run_path(str(CONF)).items():
        if name in config.settings:
            config.set(name, value)
    return config


def test_default_is_sync_workers_two_per_core_plus_one(monkeypatch):
    # Given no GUNICORN_* settings, when gunicorn loads the file
    config = loaded(monkeypatch)
    # then it runs sync workers (short latency tails behind a buffering proxy)
    assert config.worker_class_str == "sync"
    assert config.workers >= 3


@pytest.mark.parametrize("threads", ["2", "4"])
def test_threads_switch_to_gthread_with_keep_alive(monkeypatch, threads):
    config = loaded(monkeypatch, GUNICORN_THREADS=threads, GUNICORN_WORKERS="2")
    assert config.worker_class_str == "gthread"
    assert (config.threads, config.workers, config.keepalive) == (int(threads), 2, 5)
